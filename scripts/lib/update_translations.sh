#!/usr/bin/env bash
# scripts/lib/update_translations.sh: refreshes ui/i18n/exile_en.ts and ui/i18n/exile_ko.ts
# from the sources: lupdate over the QML in ui/ and the C++ in src/app. New messages arrive
# unfinished (translate them in Qt Linguist or in the file), messages gone from the sources are
# dropped (-no-obsolete), and no source locations are written (-locations none), so that a diff
# shows only what changed in the text. app_translations_test (tests/i18n) fails until every
# Korean message is translated. Environment: LUPDATE (default: Qt 6's lupdate).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$EXILE_ROOT"

lupdate="${LUPDATE:-/usr/lib/qt6/bin/lupdate}"
[[ -x "$lupdate" ]] || lupdate=$(command -v lupdate6 || command -v lupdate || true)
[[ -n "$lupdate" ]] || die "lupdate not found (Debian: qt6-l10n-tools)"

# The same sources and options as tests/i18n/check_translations.py (SOURCES, LUPDATE_OPTIONS).
# -I src: the C++ includes "app/….h" from src/; without it lupdate does not see the class in
# its namespace and files tr() under "AppController" instead of "exile::app::AppController",
# the context the running app asks for (QObject::tr uses the meta-object's class name).
for language in en ko; do
  "$lupdate" -no-obsolete -locations none -extensions qml,js,cpp,h -I src \
    -source-language en -target-language "$language" \
    ui src/app -ts "ui/i18n/exile_$language.ts"
done
