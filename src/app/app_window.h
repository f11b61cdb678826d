// AppWindow: one window of the app: an AppController, the QML engine showing ui/'s Main.qml with
// it as the context property `app`, the image providers and the translator that follows
// app.language. main() makes one; GUI tests make several in one process (one per profile).
#pragma once

#include <QObject>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QTranslator>
#include <memory>

#include "app/app_controller.h"

namespace exile::app {

class AppWindow final : public QObject {
  Q_OBJECT

 public:
  explicit AppWindow(AppOptions options, QObject* parent = nullptr);
  ~AppWindow() override;
  AppWindow(const AppWindow&) = delete;
  AppWindow& operator=(const AppWindow&) = delete;

  // Loads the QML; false (with the QML engine's warnings on stderr) when it fails.
  [[nodiscard]] bool load();
  [[nodiscard]] AppController& controller() { return *controller_; }
  [[nodiscard]] QQmlApplicationEngine& qml() { return qml_; }
  // The top-level window once loaded.
  [[nodiscard]] QQuickWindow* window() const;

  // Any key, mouse button or wheel in the window restarts the idle-lock countdown.
  bool eventFilter(QObject* watched, QEvent* event) override;

  // The language a setting of "" (follow the system) resolves to: "ko" for a Korean locale,
  // else "en".
  [[nodiscard]] static QString system_language();

 private:
  void apply_language();

  std::unique_ptr<AppController> controller_;
  QTranslator translator_;
  bool translator_installed_ = false;
  QQmlApplicationEngine qml_;
};

}  // namespace exile::app
