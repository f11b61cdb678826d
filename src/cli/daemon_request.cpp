#include "cli/daemon_request.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QString>
#include <initializer_list>
#include <limits>
#include <string>

namespace exile::cli {
namespace {

std::unexpected<Error> invalid(std::string message) {
  return fail(ErrorCode::InvalidArgument, std::move(message));
}

// A request's fields, each read once; unread fields are refused at the end.
class Fields {
 public:
  explicit Fields(const QJsonObject& object) : object_(object) {}

  Result<void> only(std::initializer_list<const char*> allowed) const {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      const QString key = it.key();
      if (key == "id" || key == "cmd") continue;
      bool ok = false;
      for (const char* a : allowed) ok = ok || key == QLatin1String(a);
      if (!ok) return invalid("unknown field \"" + key.toStdString() + "\" for this command");
    }
    return {};
  }

  Result<std::optional<std::int64_t>> optional_id(const char* name) const {
    const QJsonValue v = object_.value(QLatin1String(name));
    if (v.isUndefined() || v.isNull()) return std::optional<std::int64_t>();
    const qint64 n = v.toInteger(0);
    if (!v.isDouble() || n < 1) {
      return invalid(std::string("\"") + name + "\" must be a whole number from 1 up");
    }
    return std::optional<std::int64_t>(n);
  }

  Result<std::int64_t> id(const char* name) const {
    auto v = optional_id(name);
    if (!v) return std::unexpected(v.error());
    if (!*v) return invalid(std::string("\"") + name + "\" is missing");
    return **v;
  }

  Result<std::string> string(const char* name) const {
    const QJsonValue v = object_.value(QLatin1String(name));
    if (!v.isString()) return invalid(std::string("\"") + name + "\" must be a string");
    return v.toString().toStdString();
  }

  Result<std::optional<bool>> optional_bool(const char* name) const {
    const QJsonValue v = object_.value(QLatin1String(name));
    if (v.isUndefined() || v.isNull()) return std::optional<bool>();
    if (!v.isBool()) return invalid(std::string("\"") + name + "\" must be true or false");
    return std::optional<bool>(v.toBool());
  }

  Result<std::size_t> limit(std::size_t fallback) const {
    auto v = optional_id("limit");
    if (!v) return std::unexpected(v.error());
    if (!*v) return fallback;
    if (**v > static_cast<std::int64_t>(kMaxLimit)) {
      return invalid("\"limit\" must be from 1 to " + std::to_string(kMaxLimit));
    }
    return static_cast<std::size_t>(**v);
  }

  Result<std::chrono::milliseconds> millis(const char* name,
                                           std::chrono::milliseconds fallback) const {
    const QJsonValue v = object_.value(QLatin1String(name));
    if (v.isUndefined() || v.isNull()) return fallback;
    const qint64 n = v.toInteger(-1);
    if (!v.isDouble() || n < 0 || n > 3'600'000) {
      return invalid(std::string("\"") + name + "\" must be milliseconds from 0 to 3600000");
    }
    return std::chrono::milliseconds(n);
  }

  const QJsonObject& object() const { return object_; }

 private:
  const QJsonObject& object_;
};

Result<Command> parse_command(const QString& cmd, const Fields& f) {
  if (cmd == "invite" || cmd == "requests" || cmd == "chats" || cmd == "lock" || cmd == "quit") {
    EXILE_TRY(f.only({}));
    if (cmd == "invite") return Invite{};
    if (cmd == "requests") return Requests{};
    if (cmd == "chats") return Chats{};
    if (cmd == "lock") return Lock{};
    return Quit{};
  }
  if (cmd == "accept") {
    EXILE_TRY(f.only({"link"}));
    auto link = f.string("link");
    if (!link) return std::unexpected(link.error());
    return Accept{std::move(*link)};
  }
  if (cmd == "accept-request" || cmd == "decline-request") {
    EXILE_TRY(f.only({"request"}));
    auto request = f.id("request");
    if (!request) return std::unexpected(request.error());
    if (cmd == "accept-request") return AcceptRequest{*request};
    return DeclineRequest{*request};
  }
  if (cmd == "history") {
    EXILE_TRY(f.only({"chat", "before", "limit"}));
    auto chat = f.id("chat");
    if (!chat) return std::unexpected(chat.error());
    auto before = f.optional_id("before");
    if (!before) return std::unexpected(before.error());
    auto limit = f.limit(kDefaultHistoryLimit);
    if (!limit) return std::unexpected(limit.error());
    return History{*chat, *before, *limit};
  }
  if (cmd == "send") {
    EXILE_TRY(f.only({"chat", "text"}));
    auto chat = f.id("chat");
    if (!chat) return std::unexpected(chat.error());
    auto text = f.string("text");
    if (!text) return std::unexpected(text.error());
    return Send{*chat, std::move(*text)};
  }
  if (cmd == "search") {
    EXILE_TRY(f.only({"query", "chat", "limit"}));
    auto query = f.string("query");
    if (!query) return std::unexpected(query.error());
    auto chat = f.optional_id("chat");
    if (!chat) return std::unexpected(chat.error());
    auto limit = f.limit(kDefaultSearchLimit);
    if (!limit) return std::unexpected(limit.error());
    return Search{std::move(*query), *chat, *limit};
  }
  if (cmd == "verify") {
    EXILE_TRY(f.only({"chat", "mark_verified"}));
    auto chat = f.id("chat");
    if (!chat) return std::unexpected(chat.error());
    auto mark = f.optional_bool("mark_verified");
    if (!mark) return std::unexpected(mark.error());
    return Verify{*chat, *mark};
  }
  if (cmd == "timer") {
    EXILE_TRY(f.only({"chat", "timer"}));
    auto chat = f.id("chat");
    if (!chat) return std::unexpected(chat.error());
    const QJsonValue v = f.object().value(QLatin1String("timer"));
    if (v.isNull()) return Timer{*chat, "off"};
    if (v.isString()) return Timer{*chat, v.toString().toStdString()};
    const qint64 seconds = v.toInteger(-1);
    if (v.isDouble() && seconds >= 1 && seconds <= std::numeric_limits<std::uint32_t>::max()) {
      return Timer{*chat, std::to_string(seconds)};
    }
    return invalid("\"timer\" must be null, \"off\", a number of seconds or a string like \"1h\"");
  }
  if (cmd == "delete") {
    EXILE_TRY(f.only({"chat", "message", "for_both"}));
    auto chat = f.id("chat");
    if (!chat) return std::unexpected(chat.error());
    auto message = f.id("message");
    if (!message) return std::unexpected(message.error());
    auto for_both = f.optional_bool("for_both");
    if (!for_both) return std::unexpected(for_both.error());
    if (*for_both != true) return invalid("\"for_both\" must be true");
    return Delete{*chat, *message};
  }
  if (cmd == "retry") {
    EXILE_TRY(f.only({"chat", "message"}));
    auto chat = f.id("chat");
    if (!chat) return std::unexpected(chat.error());
    auto message = f.id("message");
    if (!message) return std::unexpected(message.error());
    return Retry{*chat, *message};
  }
  if (cmd == "read") {
    EXILE_TRY(f.only({"chat", "up_to"}));
    auto chat = f.id("chat");
    if (!chat) return std::unexpected(chat.error());
    auto up_to = f.optional_id("up_to");
    if (!up_to) return std::unexpected(up_to.error());
    return Read{*chat, *up_to};
  }
  if (cmd == "typing") {
    EXILE_TRY(f.only({"chat", "typing"}));
    auto chat = f.id("chat");
    if (!chat) return std::unexpected(chat.error());
    auto typing = f.optional_bool("typing");
    if (!typing) return std::unexpected(typing.error());
    if (!*typing) return invalid("\"typing\" must be true or false");
    return Typing{*chat, **typing};
  }
  if (cmd == "sync") {
    EXILE_TRY(f.only({"timeout_ms", "quiet_ms"}));
    auto timeout = f.millis("timeout_ms", kDefaultWait);
    if (!timeout) return std::unexpected(timeout.error());
    auto quiet = f.millis("quiet_ms", kDefaultQuiet);
    if (!quiet) return std::unexpected(quiet.error());
    return Sync{*timeout, *quiet};
  }
  if (cmd == "init" || cmd == "daemon") {
    return invalid("\"" + cmd.toStdString() + "\" is not a daemon command");
  }
  return invalid("unknown command");
}

}  // namespace

DaemonRequest parse_daemon_request(QByteArrayView line) {
  DaemonRequest request{QJsonValue(QJsonValue::Null),
                        fail(ErrorCode::InvalidEncoding, "not a JSON object")};
  if (static_cast<std::size_t>(line.size()) > kMaxRequestBytes) {
    request.command = fail(ErrorCode::InvalidArgument, "the request is longer than 1 MiB");
    return request;
  }
  QJsonParseError error{};
  const QJsonDocument document = QJsonDocument::fromJson(line.toByteArray(), &error);
  if (error.error != QJsonParseError::NoError || !document.isObject()) return request;
  const QJsonObject object = document.object();
  if (object.contains(QLatin1String("id"))) request.id = object.value(QLatin1String("id"));
  const QJsonValue cmd = object.value(QLatin1String("cmd"));
  if (!cmd.isString()) {
    request.command = invalid("\"cmd\" must be a string naming a command");
    return request;
  }
  const Fields fields(object);
  request.command = parse_command(cmd.toString(), fields);
  return request;
}

}  // namespace exile::cli
