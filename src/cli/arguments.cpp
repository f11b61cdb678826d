#include "cli/arguments.h"

#include <charconv>
#include <limits>
#include <map>
#include <vector>

namespace exile::cli {
namespace {

constexpr std::string_view kUsage = R"(Usage: exile-cli [OPTIONS] COMMAND [ARGUMENTS]

Commands:
  init --name NAME --relay URL        create a profile whose contact address lives on URL
  invite                              print your invitation link and its QR code
  accept LINK                         start a secret chat from someone's invitation link
  requests                            list contact requests waiting for your answer
  accept-request ID                   accept a contact request: it becomes a chat
  decline-request ID                  decline a contact request: it is deleted
  chats                               list chats, with the last message and unread count
  history CHAT [--before ID] [--limit N]
                                      show a chat's messages, oldest first (default 50)
  send CHAT TEXT                      send a message
  search QUERY [--chat CHAT] [--limit N]
                                      search messages (default 20 results)
  verify CHAT [--mark-verified | --unmark-verified]
                                      show the safety number and key image of a chat
  timer CHAT off|SECONDS|5s|1m|1h|1d|1w
                                      set the self-destruct timer of a chat
  delete CHAT MESSAGE --for-both      delete a message on both sides
  retry CHAT MESSAGE                  send a failed message again (it replaces the failed one)
  read CHAT [UP_TO]                   mark messages read up to UP_TO (default: the newest)
  typing CHAT on|off                  tell the contact you are typing, or stopped
  daemon                              unlock once, then answer JSON commands on stdin

Options:
  --profile DIR            the profile directory (default $XDG_DATA_HOME/exile/profile)
  --passphrase-file FILE   read the passphrase from FILE (first line); else $EXILE_PASSPHRASE,
                           else a prompt on the terminal
  --json                   print one JSON object instead of text
  --wait MS                how long to wait for the relays (default 10000)
  --help                   print this help
  --version                print the version

Exit codes:
  0 ok   1 usage error   2 wrong passphrase   3 profile in use
  4 not found (profile, chat, message, request)   5 network (relay unreachable or timed out)
  6 invalid input (bad link, bad timer, content too long)   7 other error

See docs/cli.md for every command, the JSON output and the daemon protocol.
)";

struct OptionSpec {
  std::string_view name;
  bool takes_value;
};

constexpr OptionSpec kOptions[] = {
    {"profile", true},        {"passphrase-file", true},
    {"json", false},          {"wait", true},
    {"help", false},          {"version", false},
    {"name", true},           {"relay", true},
    {"before", true},         {"limit", true},
    {"chat", true},           {"for-both", false},
    {"mark-verified", false}, {"unmark-verified", false},
};

std::unexpected<Error> usage(std::string message) {
  return fail(ErrorCode::InvalidArgument, std::move(message));
}

const OptionSpec* find_option(std::string_view name) {
  for (const auto& spec : kOptions) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The options a command was given (besides the global ones), with their values.
using CommandOptions = std::map<std::string, std::string, std::less<>>;

Result<void> allow_only(std::string_view command, const CommandOptions& given,
                        std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : given) {
    bool ok = false;
    for (auto a : allowed) ok = ok || a == name;
    if (!ok) return usage("--" + name + " is not an option of " + std::string(command));
  }
  return {};
}

Result<void> expect_arguments(std::string_view command, const std::vector<std::string>& args,
                              std::size_t min, std::size_t max, std::string_view shape) {
  if (args.size() < min || args.size() > max) {
    return usage("usage: exile-cli " + std::string(command) +
                 (shape.empty() ? "" : " " + std::string(shape)));
  }
  return {};
}

Result<std::int64_t> id_argument(std::string_view text, std::string_view what) {
  auto id = parse_id(text);
  if (!id) return usage(std::string(what) + " must be a number from 1 up");
  return *id;
}

Result<std::size_t> limit_option(const CommandOptions& given, std::size_t fallback) {
  auto it = given.find("limit");
  if (it == given.end()) return fallback;
  auto value = parse_unsigned(it->second);
  if (!value || *value < 1 || *value > kMaxLimit) {
    return usage("--limit must be a number from 1 to " + std::to_string(kMaxLimit));
  }
  return static_cast<std::size_t>(*value);
}

Result<std::optional<std::int64_t>> id_option(const CommandOptions& given, std::string_view name) {
  auto it = given.find(name);
  if (it == given.end()) return std::optional<std::int64_t>();
  auto id = parse_id(it->second);
  if (!id) return usage("--" + std::string(name) + " must be a number from 1 up");
  return std::optional<std::int64_t>(*id);
}

Result<Command> make_command(const std::string& name, const std::vector<std::string>& args,
                             const CommandOptions& given) {
  if (name == "init") {
    EXILE_TRY(allow_only(name, given, {"name", "relay"}));
    EXILE_TRY(expect_arguments(name, args, 0, 0, "--name NAME --relay URL"));
    auto n = given.find("name");
    auto r = given.find("relay");
    if (n == given.end() || r == given.end()) {
      return usage("usage: exile-cli init --name NAME --relay URL");
    }
    return Init{n->second, r->second};
  }
  if (name == "invite" || name == "requests" || name == "chats" || name == "daemon") {
    EXILE_TRY(allow_only(name, given, {}));
    EXILE_TRY(expect_arguments(name, args, 0, 0, ""));
    if (name == "invite") return Invite{};
    if (name == "requests") return Requests{};
    if (name == "chats") return Chats{};
    return Daemon{};
  }
  if (name == "accept") {
    EXILE_TRY(allow_only(name, given, {}));
    EXILE_TRY(expect_arguments(name, args, 1, 1, "LINK"));
    return Accept{args[0]};
  }
  if (name == "accept-request" || name == "decline-request") {
    EXILE_TRY(allow_only(name, given, {}));
    EXILE_TRY(expect_arguments(name, args, 1, 1, "ID"));
    auto id = id_argument(args[0], "ID");
    if (!id) return std::unexpected(id.error());
    if (name == "accept-request") return AcceptRequest{*id};
    return DeclineRequest{*id};
  }
  if (name == "history") {
    EXILE_TRY(allow_only(name, given, {"before", "limit"}));
    EXILE_TRY(expect_arguments(name, args, 1, 1, "CHAT [--before ID] [--limit N]"));
    History h;
    auto chat = id_argument(args[0], "CHAT");
    if (!chat) return std::unexpected(chat.error());
    h.chat = *chat;
    auto before = id_option(given, "before");
    if (!before) return std::unexpected(before.error());
    h.before = *before;
    auto limit = limit_option(given, kDefaultHistoryLimit);
    if (!limit) return std::unexpected(limit.error());
    h.limit = *limit;
    return h;
  }
  if (name == "send") {
    EXILE_TRY(allow_only(name, given, {}));
    EXILE_TRY(expect_arguments(name, args, 2, 2, "CHAT TEXT (quote the text)"));
    auto chat = id_argument(args[0], "CHAT");
    if (!chat) return std::unexpected(chat.error());
    return Send{*chat, args[1]};
  }
  if (name == "search") {
    EXILE_TRY(allow_only(name, given, {"chat", "limit"}));
    EXILE_TRY(expect_arguments(name, args, 1, 1, "QUERY [--chat CHAT] [--limit N]"));
    Search s;
    s.query = args[0];
    auto chat = id_option(given, "chat");
    if (!chat) return std::unexpected(chat.error());
    s.chat = *chat;
    auto limit = limit_option(given, kDefaultSearchLimit);
    if (!limit) return std::unexpected(limit.error());
    s.limit = *limit;
    return s;
  }
  if (name == "verify") {
    EXILE_TRY(allow_only(name, given, {"mark-verified", "unmark-verified"}));
    EXILE_TRY(expect_arguments(name, args, 1, 1, "CHAT [--mark-verified | --unmark-verified]"));
    auto chat = id_argument(args[0], "CHAT");
    if (!chat) return std::unexpected(chat.error());
    Verify v{*chat, std::nullopt};
    const bool mark = given.contains("mark-verified");
    const bool unmark = given.contains("unmark-verified");
    if (mark && unmark) return usage("give --mark-verified or --unmark-verified, not both");
    if (mark) v.mark_verified = true;
    if (unmark) v.mark_verified = false;
    return v;
  }
  if (name == "timer") {
    EXILE_TRY(allow_only(name, given, {}));
    EXILE_TRY(expect_arguments(name, args, 2, 2, "CHAT off|SECONDS|5s|1m|1h|1d|1w"));
    auto chat = id_argument(args[0], "CHAT");
    if (!chat) return std::unexpected(chat.error());
    return Timer{*chat, args[1]};
  }
  if (name == "delete") {
    EXILE_TRY(allow_only(name, given, {"for-both"}));
    EXILE_TRY(expect_arguments(name, args, 2, 2, "CHAT MESSAGE --for-both"));
    if (!given.contains("for-both")) {
      return usage("delete needs --for-both: a message is deleted on both sides or not at all");
    }
    auto chat = id_argument(args[0], "CHAT");
    if (!chat) return std::unexpected(chat.error());
    auto message = id_argument(args[1], "MESSAGE");
    if (!message) return std::unexpected(message.error());
    return Delete{*chat, *message};
  }
  if (name == "retry") {
    EXILE_TRY(allow_only(name, given, {}));
    EXILE_TRY(expect_arguments(name, args, 2, 2, "CHAT MESSAGE"));
    auto chat = id_argument(args[0], "CHAT");
    if (!chat) return std::unexpected(chat.error());
    auto message = id_argument(args[1], "MESSAGE");
    if (!message) return std::unexpected(message.error());
    return Retry{*chat, *message};
  }
  if (name == "read") {
    EXILE_TRY(allow_only(name, given, {}));
    EXILE_TRY(expect_arguments(name, args, 1, 2, "CHAT [UP_TO]"));
    auto chat = id_argument(args[0], "CHAT");
    if (!chat) return std::unexpected(chat.error());
    Read r{*chat, std::nullopt};
    if (args.size() == 2) {
      auto up_to = id_argument(args[1], "UP_TO");
      if (!up_to) return std::unexpected(up_to.error());
      r.up_to = *up_to;
    }
    return r;
  }
  if (name == "typing") {
    EXILE_TRY(allow_only(name, given, {}));
    EXILE_TRY(expect_arguments(name, args, 2, 2, "CHAT on|off"));
    auto chat = id_argument(args[0], "CHAT");
    if (!chat) return std::unexpected(chat.error());
    if (args[1] != "on" && args[1] != "off") return usage("usage: exile-cli typing CHAT on|off");
    return Typing{*chat, args[1] == "on"};
  }
  return usage("unknown command (see exile-cli --help)");
}

}  // namespace

std::optional<std::int64_t> parse_id(std::string_view text) {
  auto value = parse_unsigned(text);
  if (!value || *value < 1 ||
      *value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(*value);
}

Result<std::optional<std::uint32_t>> parse_timer(std::string_view value) {
  const auto bad = [] {
    return fail(ErrorCode::InvalidArgument,
                "a timer is off, a number of seconds, or a number with s, m, h, d or w (5s, 1m, "
                "1h, 1d, 1w)");
  };
  if (value == "off") return std::optional<std::uint32_t>();
  std::uint64_t unit = 1;
  std::string_view digits = value;
  if (!value.empty()) {
    switch (value.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: unit = 0; break;
    }
    if (unit != 0) {
      digits.remove_suffix(1);
    } else {
      unit = 1;
    }
  }
  auto number = parse_unsigned(digits);
  if (!number || *number == 0) return bad();
  if (*number > std::numeric_limits<std::uint32_t>::max() / unit) return bad();
  return std::optional<std::uint32_t>(static_cast<std::uint32_t>(*number * unit));
}

std::string describe_timer(std::optional<std::uint32_t> seconds) {
  if (!seconds) return "off";
  struct Unit {
    std::uint32_t seconds;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {7 * 86400, "week"}, {86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
  for (const auto& u : kUnits) {
    if (*seconds % u.seconds == 0) {
      const auto n = *seconds / u.seconds;
      return std::to_string(n) + " " + u.name + (n == 1 ? "" : "s");
    }
  }
  return std::to_string(*seconds) + " seconds";  // unreachable: every number divides by 1
}

std::string_view usage_text() { return kUsage; }

Result<Invocation> parse_arguments(std::span<const std::string> args) {
  Invocation invocation;
  std::vector<std::string> positional;
  CommandOptions given;
  bool help = false;
  bool version = false;
  bool options_end = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_end || arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_end = true;
      continue;
    }
    if (arg == "-h") {
      help = true;
      continue;
    }
    if (arg[1] != '-') return usage("unknown option (see exile-cli --help)");
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const OptionSpec* spec = find_option(name);
    if (spec == nullptr) return usage("unknown option --" + name + " (see exile-cli --help)");
    if (!spec->takes_value && value) return usage("--" + name + " takes no value");
    if (spec->takes_value && !value) {
      if (i + 1 >= args.size()) return usage("--" + name + " needs a value");
      value = args[++i];
    }
    if (name == "help") {
      help = true;
    } else if (name == "version") {
      version = true;
    } else if (name == "json") {
      invocation.options.json = true;
    } else if (name == "profile") {
      if (value->empty()) return usage("--profile needs a directory");
      invocation.options.profile = *value;
    } else if (name == "passphrase-file") {
      if (value->empty()) return usage("--passphrase-file needs a file");
      invocation.options.passphrase_file = *value;
    } else if (name == "wait") {
      auto ms = parse_unsigned(*value);
      if (!ms || *ms > 3'600'000) return usage("--wait must be a number of milliseconds up to 1 h");
      invocation.options.wait = std::chrono::milliseconds(*ms);
    } else {
      if (given.contains(name)) return usage("--" + name + " is given twice");
      given.emplace(name, value.value_or(""));
    }
  }
  if (help) {
    invocation.action = Action::Help;
    return invocation;
  }
  if (version) {
    invocation.action = Action::Version;
    return invocation;
  }
  if (positional.empty()) return usage("no command given (see exile-cli --help)");
  const std::string name = positional.front();
  positional.erase(positional.begin());
  auto command = make_command(name, positional, given);
  if (!command) return std::unexpected(command.error());
  invocation.command = std::move(*command);
  return invocation;
}

}  // namespace exile::cli
