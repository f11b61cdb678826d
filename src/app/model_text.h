// The strings the models give QML for engine enums, and engine times as QDateTime.
#pragma once

#include <QDateTime>
#include <QString>

#include "engine/engine.h"

namespace exile::app {

[[nodiscard]] QString state_name(engine::MessageState state);
[[nodiscard]] QString kind_name(engine::MessageKind kind);
[[nodiscard]] QString chat_state_name(engine::ChatState state);
[[nodiscard]] QDateTime to_date_time(UnixMillis at);

// The longest preview line: more than the widest chat list shows before it elides.
inline constexpr qsizetype kPreviewLength = 300;

// `text` as one line for a preview: every run of white space (line breaks too) as one space,
// none at the ends, cut after kPreviewLength UTF-16 units (never inside a surrogate pair). A
// preview is laid out for every chat in view, and shaping a whole long message cost more than
// the row itself.
[[nodiscard]] QString preview_line(const std::string& text);
[[nodiscard]] inline QString to_qstring(const std::string& s) {
  return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

}  // namespace exile::app
