#include "cli/text_views.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <type_traits>

#include "cli/arguments.h"

namespace exile::cli {
namespace {

std::string str(const QJsonValue& v) { return v.toString().toStdString(); }
std::string num(const QJsonValue& v) { return std::to_string(v.toInteger()); }

std::optional<std::uint32_t> seconds(const QJsonValue& v) {
  if (v.isNull() || v.isUndefined()) return std::nullopt;
  return static_cast<std::uint32_t>(v.toInteger());
}

std::string chat_line(const QJsonObject& chat) {
  std::string line = num(chat["id"]) + "  " + str(chat["contact_name"]) + "  " + str(chat["state"]);
  if (chat["verified"].toBool()) line += ", verified";
  if (auto timer = seconds(chat["timer_seconds"])) line += ", timer " + describe_timer(timer);
  if (const auto unread = chat["unread"].toInteger(); unread > 0) {
    line += ", " + std::to_string(unread) + " unread";
  }
  line += "\n";
  if (chat["last_message"].isObject()) line += "    " + format_message(chat["last_message"]) + "\n";
  return line;
}

std::string request_lines(const QJsonObject& request) {
  return "request " + num(request["id"]) + " from \"" + str(request["display_name"]) +
         "\" (a name they chose), received " + format_time(request["received_at"].toInteger()) +
         "\n  safety number: " + str(request["safety_number"]) + "\n";
}

std::string message_list(const QJsonValue& result, std::string_view empty) {
  const QJsonArray messages = result.toArray();
  if (messages.isEmpty()) return std::string(empty);
  std::string out;
  for (const auto& m : messages) out += format_message(m) + "\n";
  return out;
}

}  // namespace

std::string format_safety_number(std::string_view safety_number) {
  std::string digits;
  for (char c : safety_number) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.size() != 60) return std::string(safety_number) + "\n";
  std::string out;
  for (std::size_t group = 0; group < 12; ++group) {
    out += digits.substr(group * 5, 5);
    out += (group % 4 == 3) ? "\n" : " ";
  }
  return out;
}

std::string format_key_image(const std::vector<std::uint8_t>& cells) {
  static constexpr std::string_view kShades[] = {"░", "▒", "▓", "█"};
  if (cells.size() != 144) return "(no key image)\n";
  for (auto cell : cells) {
    if (cell > 3) return "(no key image)\n";
  }
  std::string out;
  for (std::size_t row = 0; row < 12; ++row) {
    for (std::size_t column = 0; column < 12; ++column) {
      const auto shade = kShades[cells[row * 12 + column]];
      out.append(shade);
      out.append(shade);
    }
    out += "\n";
  }
  return out;
}

std::string format_time(std::int64_t unix_millis) {
  return QDateTime::fromMSecsSinceEpoch(unix_millis)
      .toLocalTime()
      .toString(QStringLiteral("yyyy-MM-dd HH:mm"))
      .toStdString();
}

std::string format_message(const QJsonValue& value) {
  const QJsonObject m = value.toObject();
  const bool outgoing = m["outgoing"].toBool();
  std::string line = "#" + num(m["id"]) + " " + format_time(m["sent_at"].toInteger()) + " " +
                     (outgoing ? "me" : "them") + ": ";
  const std::string kind = str(m["kind"]);
  if (kind == "timer_changed") {
    line += "[set the timer to " + describe_timer(seconds(m["timer_seconds"])) + "]";
  } else if (kind == "undecryptable") {
    line += "[a message that could not be decrypted]";
  } else {
    line += str(m["text"]);
  }
  if (outgoing) line += " (" + str(m["state"]) + ")";
  if (m["expires_at"].isDouble()) {
    line += " [disappears " + format_time(m["expires_at"].toInteger()) + "]";
  }
  return line;
}

std::string render_text(const Command& command, const QJsonValue& result, bool has_note) {
  const QJsonObject o = result.toObject();
  return std::visit(
      [&](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, Init>) {
          std::string out = "Profile created in " + str(o["profile"]) + ".\n";
          if (o["address_ready"].toBool()) {
            out += "Your contact address is published: `exile-cli invite` shows your link.\n";
          }
          return out;
        } else if constexpr (std::is_same_v<T, Invite>) {
          return str(o["link"]) + "\n\n" + str(o["qr_text"]);
        } else if constexpr (std::is_same_v<T, Accept>) {
          return "Chat " + num(o["chat"]) +
                 " started; it becomes active when your contact's answer arrives.\n";
        } else if constexpr (std::is_same_v<T, Requests>) {
          const QJsonArray requests = result.toArray();
          if (requests.isEmpty()) return "No contact requests.\n";
          std::string out;
          for (const auto& r : requests) out += request_lines(r.toObject());
          return out;
        } else if constexpr (std::is_same_v<T, AcceptRequest>) {
          return "Request accepted: chat " + num(o["chat"]) + ".\n";
        } else if constexpr (std::is_same_v<T, DeclineRequest>) {
          return "Request declined.\n";
        } else if constexpr (std::is_same_v<T, Chats>) {
          const QJsonArray chats = result.toArray();
          if (chats.isEmpty()) return "No chats.\n";
          std::string out;
          for (const auto& chat : chats) out += chat_line(chat.toObject());
          return out;
        } else if constexpr (std::is_same_v<T, History>) {
          return message_list(result, "No messages.\n");
        } else if constexpr (std::is_same_v<T, Search>) {
          return message_list(result, "Nothing found.\n");
        } else if constexpr (std::is_same_v<T, Send>) {
          return "Message " + num(o["message"]) + (has_note ? " saved.\n" : " sent.\n");
        } else if constexpr (std::is_same_v<T, Verify>) {
          std::vector<std::uint8_t> cells;
          for (const auto& cell : o["key_image"].toArray()) {
            cells.push_back(static_cast<std::uint8_t>(cell.toInteger(255)));
          }
          return "Safety number:\n" + format_safety_number(str(o["safety_number"])) +
                 "Key image:\n" + format_key_image(cells) +
                 (o["verified"].toBool()
                      ? "Verified.\n"
                      : "Not verified. Compare both with your contact (in person or on a call), "
                        "then run: exile-cli verify " +
                            std::to_string(c.chat) + " --mark-verified\n");
        } else if constexpr (std::is_same_v<T, Timer>) {
          return "Timer of chat " + std::to_string(c.chat) + ": " +
                 describe_timer(seconds(o["timer_seconds"])) + ".\n";
        } else if constexpr (std::is_same_v<T, Delete>) {
          return "Message deleted on both sides.\n";
        } else if constexpr (std::is_same_v<T, Retry>) {
          return "Sent again as message " + num(o["message"]) + ".\n";
        } else if constexpr (std::is_same_v<T, Read>) {
          if (!o["up_to"].isDouble()) return "No messages to mark read.\n";
          return "Read up to message " + num(o["up_to"]) + ".\n";
        } else {
          return "";  // typing, daemon, sync, lock, quit: nothing to say
        }
      },
      command);
}

}  // namespace exile::cli
