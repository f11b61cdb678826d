// QtHost: the Engine on a Qt thread. The one adapter between the engine's thread and a Qt
// program (exile-cli, and the Qt Quick app later): it owns the Engine, re-emits each event as a
// queued signal on the host's thread, and delivers completions there. It holds no logic of its
// own, so that the app can do nothing the CLI cannot.
//
// THREADS. A QtHost lives on the thread that made it (the host thread). Engine events and
// completions arrive on the engine thread (engine.h, THREADS); the host posts each to its own
// thread with QMetaObject::invokeMethod, never blocking the engine thread. Synchronous engine
// calls may be made through engine() from the host thread as they are.
//
// LIFETIME. Destroying the host (or lock()) cancels the subscription and locks the engine, which
// calls pending completions with ProfileLocked before it returns; those still queued to the host
// are dropped with it (Qt removes an object's posted events when it is destroyed).
#pragma once

#include <QMetaType>
#include <QObject>
#include <QPointer>
#include <memory>
#include <utility>

#include "engine/engine.h"

namespace exile::engine {

class QtHost final : public QObject {
  Q_OBJECT

 public:
  // Subscribes to `engine`'s events. The host must be made on a thread with an event loop.
  explicit QtHost(std::unique_ptr<Engine> engine, QObject* parent = nullptr);
  ~QtHost() override;
  QtHost(const QtHost&) = delete;
  QtHost& operator=(const QtHost&) = delete;

  [[nodiscard]] Engine& engine() { return *engine_; }

  // Stops the events and locks the engine (Engine::lock()): every later call fails with
  // ProfileLocked. Called by the destructor.
  void lock();

  // Runs `call`, an engine call that takes a Done<T> (accept_invitation, accept_request, sync),
  // with a completion that calls `done` on the host thread, unless `context` is gone by then:
  //   host.run<ChatId>(this, [&](auto d) { host.engine().accept_invitation(link, d); },
  //                    [](Result<ChatId> chat) { … });
  // `context` must live on the host thread (it is checked there, never on the engine thread).
  template <class T, class Call>
  void run(QObject* context, Call&& call, Done<T> done) {
    call(deliver_here<T>(context, std::move(done)));
  }

  // A Done<T> to hand to an engine call: it re-posts the result to the host thread and calls
  // `done` there if `context` still exists.
  template <class T>
  [[nodiscard]] Done<T> deliver_here(QObject* context, Done<T> done) {
    return [this, guard = QPointer<QObject>(context),
            done = std::make_shared<Done<T>>(std::move(done))](Result<T> result) mutable {
      post([guard, done, result = std::move(result)]() mutable {
        if (guard) (*done)(std::move(result));
      });
    };
  }

 Q_SIGNALS:
  // Each engine event, in the engine's order, on the host thread.
  void engine_event(const exile::engine::Event& event);

 private:
  void post(std::function<void()> task);

  std::unique_ptr<Engine> engine_;
  Subscription subscription_;
};

}  // namespace exile::engine

Q_DECLARE_METATYPE(exile::engine::Event)
