#include "app/model_text.h"

#include <algorithm>

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
  const QString whole = QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
  QString out;
  out.reserve(std::min(whole.size(), kPreviewLength + 1));
  bool space = false;
  for (qsizetype i = 0; i < whole.size() && out.size() < kPreviewLength; ++i) {
    const QChar c = whole.at(i);
    if (c.isSpace()) {
      space = !out.isEmpty();
      continue;
    }
    if (space) {
      out.append(QLatin1Char(' '));
      space = false;
      if (out.size() == kPreviewLength) break;
    }
    if (c.isHighSurrogate() && i + 1 < whole.size()) {
      if (out.size() + 2 > kPreviewLength) break;  // the pair does not fit: cut before it
      out.append(c);
      out.append(whole.at(++i));
      continue;
    }
    out.append(c);
  }
  return out;
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
