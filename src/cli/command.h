// The commands of exile-cli, as plain values: what the command line (arguments.h) and the
// daemon's JSON requests (daemon_request.h) are parsed into, and what the runner (runner.h)
// executes. docs/cli.md describes each one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "engine/engine.h"

namespace exile::cli {

using engine::ChatId;
using engine::MessageId;
using engine::RequestId;

inline constexpr std::size_t kDefaultHistoryLimit = 50;
inline constexpr std::size_t kDefaultSearchLimit = 20;
inline constexpr std::size_t kMaxLimit = 1000;
inline constexpr std::chrono::milliseconds kDefaultWait{10'000};
// How long sync() waits for silence after the last message before it calls a read complete.
inline constexpr std::chrono::milliseconds kDefaultQuiet{300};

struct Init {
  std::string name;
  std::string relay;
};
struct Invite {};
struct Accept {
  std::string link;
};
struct Requests {};
struct AcceptRequest {
  RequestId request = 0;
};
struct DeclineRequest {
  RequestId request = 0;
};
struct Chats {};
struct History {
  ChatId chat = 0;
  std::optional<MessageId> before;
  std::size_t limit = kDefaultHistoryLimit;
};
struct Send {
  ChatId chat = 0;
  std::string text;
};
struct Search {
  std::string query;
  std::optional<ChatId> chat;
  std::size_t limit = kDefaultSearchLimit;
};
struct Verify {
  ChatId chat = 0;
  std::optional<bool> mark_verified;  // none: only show
};
struct Timer {
  ChatId chat = 0;
  std::string value;  // "off", seconds, or 5s/1m/1h/1d/1w: parse_timer() reads it when it runs
};
struct Delete {
  ChatId chat = 0;
  MessageId message = 0;
};
struct Retry {  // a Failed message of ours, sent again
  ChatId chat = 0;
  MessageId message = 0;
};
struct Read {
  ChatId chat = 0;
  std::optional<MessageId> up_to;  // none: the newest message of the chat
};
struct Typing {
  ChatId chat = 0;
  bool typing = false;
};
struct Daemon {};
// Daemon only.
struct Sync {
  std::chrono::milliseconds timeout = kDefaultWait;
  std::chrono::milliseconds quiet = kDefaultQuiet;
};
struct Lock {};
struct Quit {};

using Command = std::variant<Init, Invite, Accept, Requests, AcceptRequest, DeclineRequest, Chats,
                             History, Send, Search, Verify, Timer, Delete, Retry, Read, Typing,
                             Daemon, Sync, Lock, Quit>;

// The command's name as typed: "accept-request".
[[nodiscard]] std::string_view command_name(const Command& command);

}  // namespace exile::cli
