#include "app/model_text.h"

namespace exile::app {

QString state_name(engine::MessageState state) {
  switch (state) {
    case engine::MessageState::Queued: return QStringLiteral("queued");
    case engine::MessageState::Sent: return QStringLiteral("sent");
    case engine::MessageState::Delivered: return QStringLiteral("delivered");
    case engine::MessageState::Read: return QStringLiteral("read");
    case engine::MessageState::Failed: return QStringLiteral("failed");
    case engine::MessageState::Received: return QStringLiteral("received");
  }
  return {};
}

QString kind_name(engine::MessageKind kind) {
  switch (kind) {
    case engine::MessageKind::Text: return QStringLiteral("text");
    case engine::MessageKind::TimerChanged: return QStringLiteral("timer");
    case engine::MessageKind::Undecryptable: return QStringLiteral("undecryptable");
  }
  return {};
}

QString preview_line(const std::string& text) {
  QString line = to_qstring(text).simplified();  // white space runs as one space, none at the ends
  if (line.size() > kPreviewLength) {
    line.truncate(kPreviewLength);
    if (line.back().isHighSurrogate()) line.chop(1);  // never half a surrogate pair
  }
  return line;
}

QString chat_state_name(engine::ChatState state) {
  switch (state) {
    case engine::ChatState::Requested: return QStringLiteral("requested");
    case engine::ChatState::Pending: return QStringLiteral("pending");
    case engine::ChatState::Active: return QStringLiteral("active");
  }
  return {};
}

QDateTime to_date_time(UnixMillis at) { return QDateTime::fromMSecsSinceEpoch(to_millis(at)); }

}  // namespace exile::app
