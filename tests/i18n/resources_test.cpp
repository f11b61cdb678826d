// The translations are embedded in the app through exile_i18n (ui/i18n/CMakeLists.txt): linking
// the library is enough, with no Q_INIT_RESOURCE call, and each .qm file loads under its path.
#include <gtest/gtest.h>

#include <QFile>
#include <QLocale>
#include <QString>
#include <QTranslator>

namespace {

TEST(I18nResources, EachLanguageIsEmbeddedAndLoads) {
  for (const QString& language : {QStringLiteral("en"), QStringLiteral("ko")}) {
    const QString path = QStringLiteral(":/i18n/exile_%1.qm").arg(language);
    SCOPED_TRACE(path.toStdString());
    ASSERT_TRUE(QFile::exists(path));
    QTranslator translator;
    ASSERT_TRUE(translator.load(path));
    EXPECT_EQ(translator.language(), language);
  }
}

TEST(I18nResources, TheQtStyleLookupFindsKorean) {
  // What the app does: the translation of a locale, found by name, prefix and directory.
  QTranslator translator;
  EXPECT_TRUE(translator.load(QLocale(QLocale::Korean, QLocale::SouthKorea),
                              QStringLiteral("exile"), QStringLiteral("_"),
                              QStringLiteral(":/i18n")));
  EXPECT_EQ(translator.language(), QStringLiteral("ko"));
}

}  // namespace
