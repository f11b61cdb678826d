#include "cli/command.h"

#include <type_traits>

namespace exile::cli {

std::string_view command_name(const Command& command) {
  return std::visit(
      [](const auto& c) -> std::string_view {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, Init>) return "init";
        if constexpr (std::is_same_v<T, Invite>) return "invite";
        if constexpr (std::is_same_v<T, Accept>) return "accept";
        if constexpr (std::is_same_v<T, Requests>) return "requests";
        if constexpr (std::is_same_v<T, AcceptRequest>) return "accept-request";
        if constexpr (std::is_same_v<T, DeclineRequest>) return "decline-request";
        if constexpr (std::is_same_v<T, Chats>) return "chats";
        if constexpr (std::is_same_v<T, History>) return "history";
        if constexpr (std::is_same_v<T, Send>) return "send";
        if constexpr (std::is_same_v<T, Search>) return "search";
        if constexpr (std::is_same_v<T, Verify>) return "verify";
        if constexpr (std::is_same_v<T, Timer>) return "timer";
        if constexpr (std::is_same_v<T, Delete>) return "delete";
        if constexpr (std::is_same_v<T, Retry>) return "retry";
        if constexpr (std::is_same_v<T, Read>) return "read";
        if constexpr (std::is_same_v<T, Typing>) return "typing";
        if constexpr (std::is_same_v<T, Daemon>) return "daemon";
        if constexpr (std::is_same_v<T, Sync>) return "sync";
        if constexpr (std::is_same_v<T, Lock>) return "lock";
        if constexpr (std::is_same_v<T, Quit>) return "quit";
      },
      command);
}

}  // namespace exile::cli
