// exile_i18n carries the app's compiled translations as Qt resources (:/i18n/exile_en.qm,
// :/i18n/exile_ko.qm; see CMakeLists.txt). This file only gives the static library a source.
