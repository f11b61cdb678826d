// exile: the desktop app. `exile [--profile DIR] [--relay URL] [--language en|ko] [LINK]`
// (src/app/README.md). An exile:// link given as LINK is accepted after the user confirms it.
#include <QCommandLineParser>
#include <QGuiApplication>
#include <QtQml/QQmlExtensionPlugin>

#include "app/app_window.h"
#include "common/log.h"

Q_IMPORT_QML_PLUGIN(ExilePlugin)

int main(int argc, char** argv) {
  QGuiApplication app(argc, argv);
  QGuiApplication::setOrganizationName(QStringLiteral("Exile"));
  QGuiApplication::setApplicationName(QStringLiteral("exile"));
  QGuiApplication::setApplicationDisplayName(QStringLiteral("Exile"));
  QGuiApplication::setDesktopFileName(QStringLiteral("org.exile.Exile"));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Exile: end-to-end encrypted secret chats"));
  parser.addHelpOption();
  const QCommandLineOption profile(QStringLiteral("profile"),
                                   QStringLiteral("The profile directory."), QStringLiteral("dir"));
  const QCommandLineOption relay(QStringLiteral("relay"),
                                 QStringLiteral("The home relay a new profile is offered."),
                                 QStringLiteral("url"));
  const QCommandLineOption language(QStringLiteral("language"),
                                    QStringLiteral("en or ko (default: the saved setting)."),
                                    QStringLiteral("code"));
  parser.addOptions({profile, relay, language});
  parser.addPositionalArgument(QStringLiteral("link"),
                               QStringLiteral("An exile:// invitation link to accept."));
  parser.process(app);

  exile::app::AppOptions options;
  if (parser.isSet(profile)) options.engine.profile_dir = parser.value(profile).toStdString();
  options.default_relay = parser.value(relay);
  exile::app::AppWindow window(std::move(options));
  if (parser.isSet(language)) window.controller().setLanguage(parser.value(language));
  for (const auto& arg : parser.positionalArguments()) {
    if (arg.startsWith(QStringLiteral("exile:"))) window.controller().set_pending_link(arg);
  }
  if (!window.load()) {
    exile::log::write(exile::log::Level::Error, "app", "the window could not be loaded");
    return 1;
  }
  return QGuiApplication::exec();
}
