// exile-relay's configuration: command-line flags and an optional `key = value` file with the
// same names (flags win). Parsing only: no sockets, no files other than the config file, so the
// rules are unit-tested (tests/relay/config_test.cpp). docs/relay-protocol.md §6 gives the
// defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "common/result.h"

namespace exile::relay {

struct Endpoint {
  std::string host;  // a literal IPv4 or IPv6 address ("127.0.0.1", "::1", "0.0.0.0")
  std::uint16_t port = 0;
};

struct Config {
  Endpoint listen{"127.0.0.1", 7443};
  std::filesystem::path data_dir;
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  std::optional<std::filesystem::path> config_file;
  unsigned threads = 0;  // 0: cores - 1, at least 1
  std::optional<Endpoint> admin;
  std::chrono::milliseconds message_ttl = std::chrono::hours(24 * 21);
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(120);
  // relay-protocol.md §5, "Held for the ACK".
  std::chrono::milliseconds ack_hold = std::chrono::milliseconds(250);
  std::uint32_t max_connections = 20000;
  // Descriptors and connections (relay-protocol.md §6): whether --max-connections was given
  // (an explicit cap the open-file limit cannot meet is refused; the default is lowered), and
  // the cap per source address (an IPv4 address or an IPv6 /64; 0: no cap).
  bool max_connections_explicit = false;
  std::uint32_t max_connections_per_source = 256;
  std::uint32_t queue_max_messages = 10000;
  std::uint64_t queue_max_bytes = 64ull * 1024 * 1024;
  std::uint32_t rate = 2000;              // commands per second per connection; burst 2 × rate
  std::uint32_t bundle_rate = 30;         // GET_BUNDLE per minute per address and connection
  std::uint32_t first_contact_rate = 10;  // unauthenticated SENDs per minute per address
  std::uint32_t push_window = 512;        // pushed, unacked messages per queue (§5, "Push")
  // Clients that do not read (relay-protocol.md §6): SO_SNDBUF of each client socket (0: the
  // kernel's autotuning), and the budget for the bytes queued to all clients together.
  std::uint32_t socket_send_buffer = 128u << 10;
  std::uint64_t client_buffer_budget = 64ull << 20;
  log::Level log_level = log::Level::Info;
  std::optional<std::filesystem::path> test_clock;

  [[nodiscard]] bool tls() const { return !tls_cert.empty(); }
};

// "21d", "120s", "500ms", "5m", "1h"; a bare number is seconds.
[[nodiscard]] Result<std::chrono::milliseconds> parse_duration(std::string_view text);
// "127.0.0.1:7443", "[::1]:7443".
[[nodiscard]] Result<Endpoint> parse_endpoint(std::string_view text);
[[nodiscard]] bool is_loopback(std::string_view host);

// Applies one setting by name (flag name without the leading "--").
[[nodiscard]] Result<void> apply_setting(Config& config, std::string_view name,
                                         std::string_view value);
// Applies a config file's text: `key = value` lines, '#' comments, blank lines.
[[nodiscard]] Result<void> apply_config_text(Config& config, std::string_view text);

// Flags, with --config FILE read first and the flags applied over it; then validate().
// An argument "--help" returns InvalidArgument with the usage text as its message.
[[nodiscard]] Result<Config> parse_command_line(const std::vector<std::string>& args);

// The cross-field rules: a data directory, both or neither of cert and key, plain WebSocket
// on loopback only, the admin listener on loopback only.
[[nodiscard]] Result<void> validate(const Config& config);

[[nodiscard]] std::string_view usage();

}  // namespace exile::relay
