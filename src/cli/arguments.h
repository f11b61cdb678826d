// exile-cli's command line: global options, a command and its arguments (docs/cli.md). Parsing
// here is syntax only; the engine checks what only it can (a timer's range, a link's format).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cli/command.h"
#include "common/result.h"

namespace exile::cli {

struct GlobalOptions {
  std::optional<std::filesystem::path> profile;          // none: engine::default_profile_dir()
  std::optional<std::filesystem::path> passphrase_file;  // before EXILE_PASSPHRASE and the prompt
  bool json = false;
  std::chrono::milliseconds wait = kDefaultWait;  // how long one-shot commands wait for relays
};

enum class Action : std::uint8_t { Run, Help, Version };

struct Invocation {
  Action action = Action::Run;
  GlobalOptions options;
  Command command;
};

// `args` without the program name. Every error is a usage error (InvalidArgument, exit 1) whose
// message names the argument at fault, never its value (a value may be a passphrase file's
// path or a message's text).
[[nodiscard]] Result<Invocation> parse_arguments(std::span<const std::string> args);

// A timer as typed: "off" (nullopt), a number of seconds ("90"), or a number with one unit
// s, m, h, d or w ("5s", "1m", "1h", "1d", "1w"). Zero and values above 2^32 - 1 seconds are
// refused here; the engine refuses what lies outside its range. InvalidArgument otherwise.
[[nodiscard]] Result<std::optional<std::uint32_t>> parse_timer(std::string_view value);

// A timer for people: "off", "1 week", "90 seconds", "2 hours".
[[nodiscard]] std::string describe_timer(std::optional<std::uint32_t> seconds);

// An id as typed: a decimal number from 1 to 2^63 - 1, digits only.
[[nodiscard]] std::optional<std::int64_t> parse_id(std::string_view text);

// The text of --help.
[[nodiscard]] std::string_view usage_text();

}  // namespace exile::cli
