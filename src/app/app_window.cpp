#include "app/app_window.h"

#include <QCoreApplication>
#include <QEvent>
#include <QLocale>
#include <QQmlContext>

#include "app/image_providers.h"

namespace exile::app {

AppWindow::AppWindow(AppOptions options, QObject* parent)
    : QObject(parent), controller_(std::make_unique<AppController>(std::move(options))) {
  // Every screen is made for Qt Quick Controls' Fusion style, whatever the desktop session asks
  // for (Plasma sets QT_QUICK_CONTROLS_STYLE). Controls reads the variable when it is first
  // imported (load()); setting it here rather than with QQuickStyle::setStyle keeps Qt Quick
  // Controls out of the app's link, and its libraries out of the start before the first frame
  // (docs/performance.md, "Desktop app").
  qputenv("QT_QUICK_CONTROLS_STYLE", "Fusion");
  qml_.addImportPath(QStringLiteral("qrc:/"));
  qml_.addImageProvider(QStringLiteral("qr"), new QrImageProvider);
  qml_.addImageProvider(QStringLiteral("keyimage"), new KeyImageProvider);
  qml_.rootContext()->setContextProperty(QStringLiteral("app"), controller_.get());
  connect(controller_.get(), &AppController::languageChanged, this, [this] { apply_language(); });
  apply_language();
}

AppWindow::~AppWindow() {
  // The window goes first, while the controller it shows still exists; then the profile locks.
  const auto roots = qml_.rootObjects();
  for (auto* root : roots) delete root;
  controller_->lock();
  if (translator_installed_) QCoreApplication::removeTranslator(&translator_);
}

bool AppWindow::load() {
  qml_.load(QUrl(QStringLiteral("qrc:/Exile/Main.qml")));
  auto* shown = window();
  if (shown != nullptr) {
    shown->installEventFilter(this);
    // The open chat is read once the window is in front again (its messages were shown).
    connect(shown, &QWindow::activeChanged, this, [this, shown] {
      if (shown->isActive()) controller_->markRead();
    });
  }
  return shown != nullptr;
}

bool AppWindow::eventFilter(QObject* watched, QEvent* event) {
  switch (event->type()) {
    case QEvent::KeyPress:
    case QEvent::MouseButtonPress:
    case QEvent::Wheel:
    case QEvent::TouchBegin: controller_->userActive(); break;
    default: break;
  }
  return QObject::eventFilter(watched, event);
}

QQuickWindow* AppWindow::window() const {
  const auto roots = qml_.rootObjects();
  return roots.isEmpty() ? nullptr : qobject_cast<QQuickWindow*>(roots.first());
}

QString AppWindow::system_language() {
  return QLocale::system().language() == QLocale::Korean ? QStringLiteral("ko")
                                                         : QStringLiteral("en");
}

void AppWindow::apply_language() {
  QString language = controller_->language();
  if (language.isEmpty()) language = system_language();
  if (translator_installed_) {
    QCoreApplication::removeTranslator(&translator_);
    translator_installed_ = false;
  }
  if (translator_.load(QStringLiteral(":/i18n/exile_%1.qm").arg(language))) {
    translator_installed_ = QCoreApplication::installTranslator(&translator_);
  }
  QLocale::setDefault(
      QLocale(language == QStringLiteral("ko") ? QLocale::Korean : QLocale::English));
  qml_.retranslate();
  controller_->messages()->retranslate();
  controller_->translations_installed();
}

}  // namespace exile::app
