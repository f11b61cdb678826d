#include "engine/qt_host.h"

#include <QMetaObject>

namespace exile::engine {

QtHost::QtHost(std::unique_ptr<Engine> engine, QObject* parent)
    : QObject(parent), engine_(std::move(engine)) {
  qRegisterMetaType<exile::engine::Event>();
  // The signal is emitted on the host thread by a posted call, so every receiver gets the events
  // in the engine's order whatever its connection type.
  subscription_ = engine_->subscribe(
      [this](const Event& event) { post([this, event] { Q_EMIT engine_event(event); }); });
}

QtHost::~QtHost() { lock(); }

void QtHost::lock() {
  // Cancelled first, so that the engine thread posts no event after this returns; then the
  // engine calls every pending completion (ProfileLocked) before lock() returns.
  subscription_.reset();
  if (engine_) engine_->lock();
}

void QtHost::post(std::function<void()> task) {
  // Safe from the engine thread while the host lives: the engine thread stops touching the host
  // once lock() has returned, and the destructor calls lock() first.
  QMetaObject::invokeMethod(this, std::move(task), Qt::QueuedConnection);
}

}  // namespace exile::engine
