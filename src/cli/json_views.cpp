#include "cli/json_views.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QString>
#include <type_traits>

namespace exile::cli {
namespace {

QString text(std::string_view s) {
  return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

QJsonValue millis(UnixMillis t) { return QJsonValue(static_cast<qint64>(to_millis(t))); }

QJsonValue id(std::int64_t value) { return QJsonValue(static_cast<qint64>(value)); }

template <class T>
QJsonValue optional_seconds(const std::optional<T>& seconds) {
  return seconds ? QJsonValue(static_cast<qint64>(*seconds)) : QJsonValue(QJsonValue::Null);
}

QString hex(const std::vector<std::uint8_t>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  QString out;
  out.reserve(static_cast<qsizetype>(bytes.size() * 2));
  for (auto b : bytes) {
    out.append(QChar(kDigits[b >> 4]));
    out.append(QChar(kDigits[b & 0x0f]));
  }
  return out;
}

}  // namespace

std::string_view to_string(engine::ChatState state) {
  switch (state) {
    case engine::ChatState::Requested: return "requested";
    case engine::ChatState::Pending: return "pending";
    case engine::ChatState::Active: return "active";
  }
  return "unknown";
}

std::string_view to_string(engine::MessageState state) {
  switch (state) {
    case engine::MessageState::Queued: return "queued";
    case engine::MessageState::Sent: return "sent";
    case engine::MessageState::Delivered: return "delivered";
    case engine::MessageState::Read: return "read";
    case engine::MessageState::Failed: return "failed";
    case engine::MessageState::Received: return "received";
  }
  return "unknown";
}

std::string_view to_string(engine::MessageKind kind) {
  switch (kind) {
    case engine::MessageKind::Text: return "text";
    case engine::MessageKind::TimerChanged: return "timer_changed";
    case engine::MessageKind::Undecryptable: return "undecryptable";
  }
  return "unknown";
}

std::string_view event_name(const engine::Event& event) {
  return std::visit(
      [](const auto& e) -> std::string_view {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, engine::MessageAdded>) return "message_added";
        if constexpr (std::is_same_v<T, engine::MessageChanged>) return "message_changed";
        if constexpr (std::is_same_v<T, engine::MessageDeleted>) return "message_deleted";
        if constexpr (std::is_same_v<T, engine::ChatChanged>) return "chat_changed";
        if constexpr (std::is_same_v<T, engine::ContactRequestReceived>) {
          return "contact_request_received";
        }
        if constexpr (std::is_same_v<T, engine::TypingChanged>) return "typing_changed";
        if constexpr (std::is_same_v<T, engine::RelayStatus>) return "relay_status";
        if constexpr (std::is_same_v<T, engine::AddressReady>) return "address_ready";
        if constexpr (std::is_same_v<T, engine::EngineError>) return "engine_error";
      },
      event);
}

QJsonObject to_json(const engine::MessageView& message) {
  QJsonObject o;
  o["id"] = id(message.id);
  o["chat"] = id(message.chat);
  o["kind"] = text(to_string(message.kind));
  o["outgoing"] = message.outgoing;
  o["text"] = text(message.text);
  o["state"] = text(to_string(message.state));
  o["sent_at"] = millis(message.sent_at);
  o["received_at"] = millis(message.received_at);
  o["timer_seconds"] = optional_seconds(message.timer_seconds);
  o["expires_at"] = message.expires_at ? millis(*message.expires_at) : QJsonValue();
  return o;
}

QJsonObject to_json(const engine::ChatSummary& chat) {
  QJsonObject o;
  o["id"] = id(chat.id);
  o["state"] = text(to_string(chat.state));
  o["contact_name"] = text(chat.contact_name);
  o["verified"] = chat.verified;
  o["timer_seconds"] = optional_seconds(chat.timer_seconds);
  o["last_message"] = chat.last_message ? QJsonValue(to_json(*chat.last_message)) : QJsonValue();
  o["unread"] = static_cast<qint64>(chat.unread);
  o["created_at"] = millis(chat.created_at);
  return o;
}

QJsonObject to_json(const engine::ContactRequest& request) {
  QJsonObject o;
  o["id"] = id(request.id);
  o["display_name"] = text(request.display_name);
  o["safety_number"] = text(request.safety_number);
  o["received_at"] = millis(request.received_at);
  return o;
}

QJsonObject to_json(const engine::Verification& verification) {
  QJsonObject o;
  o["safety_number"] = text(verification.safety_number);
  QJsonArray cells;
  for (auto cell : verification.key_image) cells.append(static_cast<int>(cell));
  o["key_image"] = cells;
  o["qr_payload"] = hex(verification.qr_payload);
  o["verified"] = verification.verified;
  return o;
}

QJsonObject to_json(const engine::InvitationView& invitation) {
  QJsonObject o;
  o["link"] = text(invitation.link);
  o["qr_text"] = text(invitation.qr_text);
  return o;
}

QJsonObject to_json(const Error& error) {
  QJsonObject o;
  o["code"] = static_cast<int>(error.code);
  o["name"] = text(exile::name_of(error.code));
  o["message"] = text(error.message);
  if (error.retry_after) o["retry_after_ms"] = static_cast<qint64>(error.retry_after->count());
  return o;
}

QJsonObject to_json(const engine::Event& event) {
  QJsonObject o;
  o["event"] = text(event_name(event));
  std::visit(
      [&o](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, engine::MessageAdded> ||
                      std::is_same_v<T, engine::MessageChanged> ||
                      std::is_same_v<T, engine::MessageDeleted>) {
          o["chat"] = id(e.chat);
          o["message"] = id(e.message);
        } else if constexpr (std::is_same_v<T, engine::ChatChanged>) {
          o["chat"] = id(e.chat);
        } else if constexpr (std::is_same_v<T, engine::ContactRequestReceived>) {
          o["request"] = id(e.request);
        } else if constexpr (std::is_same_v<T, engine::TypingChanged>) {
          o["chat"] = id(e.chat);
          o["typing"] = e.typing;
        } else if constexpr (std::is_same_v<T, engine::RelayStatus>) {
          o["connected"] = static_cast<qint64>(e.connected);
          o["relays"] = static_cast<qint64>(e.relays);
        } else if constexpr (std::is_same_v<T, engine::EngineError>) {
          o["error"] = to_json(e.error);
        }
      },
      event);
  return o;
}

QJsonObject ok_answer(const std::optional<QJsonValue>& request_id, const QJsonValue& result,
                      const std::optional<std::string>& note) {
  QJsonObject o;
  if (request_id) o["id"] = *request_id;
  o["ok"] = true;
  o["result"] = result;
  if (note) o["note"] = text(*note);
  return o;
}

QJsonObject error_answer(const std::optional<QJsonValue>& request_id, const Error& error) {
  QJsonObject o;
  if (request_id) o["id"] = *request_id;
  o["ok"] = false;
  o["error"] = to_json(error);
  return o;
}

std::string to_line(const QJsonObject& object) {
  QByteArray bytes = QJsonDocument(object).toJson(QJsonDocument::Compact);
  bytes.append('\n');
  return bytes.toStdString();
}

}  // namespace exile::cli
