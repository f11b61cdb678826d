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
[[nodiscard]] inline QString to_qstring(const std::string& s) {
  return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

}  // namespace exile::app
