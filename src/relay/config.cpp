#include "relay/config.h"

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

namespace exile::relay {
namespace {

constexpr std::string_view kUsage =
    "usage: exile-relay --listen HOST:PORT --data DIR [options]\n"
    "  --listen HOST:PORT        address to listen on (port 0: ephemeral); default "
    "127.0.0.1:7443\n"
    "  --data DIR                data directory (the queue store)\n"
    "  --tls-cert FILE           TLS certificate chain (PEM); without it, loopback only\n"
    "  --tls-key FILE            TLS private key (PEM)\n"
    "  --config FILE             key = value settings with the flags' names (flags win)\n"
    "  --threads N               io threads (default: cores - 1, at least 1)\n"
    "  --admin HOST:PORT         loopback listener serving GET /metrics\n"
    "  --message-ttl DURATION    default 21d\n"
    "  --idle-timeout DURATION   default 120s\n"
    "  --ack-hold DURATION       how long a message to a subscribed queue waits in memory for\n"
    "                            its ACK before it is written; 0 writes at once; default 250ms\n"
    "  --max-connections N       default 20000 (lowered to what the open-file limit\n"
    "                            allows; an explicit N it cannot meet is refused)\n"
    "  --max-connections-per-source N\n"
    "                            connections from one IPv4 address or IPv6 /64 (0: no\n"
    "                            cap); default 256\n"
    "  --queue-max-messages N    default 10000\n"
    "  --queue-max-bytes N       default 67108864\n"
    "  --rate N                  commands per second per connection (burst 2N); default 2000\n"
    "  --bundle-rate N           GET_BUNDLEs per minute per address and per connection\n"
    "                            (burst 2N); default 30\n"
    "  --first-contact-rate N    unauthenticated SENDs per minute per address (burst 3N);\n"
    "                            default 10\n"
    "  --push-window N           pushed messages a queue may have unacked at once\n"
    "                            (1-65536); default 512\n"
    "  --socket-send-buffer N    SO_SNDBUF of each client socket in bytes (0: the kernel\n"
    "                            grows it; else 4096-67108864); default 131072\n"
    "  --client-buffer-budget N  bytes queued to all clients together before those that do\n"
    "                            not read are disconnected (at least 1048576); default\n"
    "                            134217728\n"
    "  --log-level info|debug    default info\n"
    "  --test-clock FILE         read the time (Unix ms) from FILE; for tests\n";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

template <class T>
Result<T> parse_unsigned(std::string_view name, std::string_view text, T min_value = 0,
                         T max_value = std::numeric_limits<T>::max()) {
  std::uint64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v > max_value || v < min_value) {
    return fail(ErrorCode::InvalidArgument,
                "--" + std::string(name) + ": not a valid number: " + std::string(text));
  }
  return static_cast<T>(v);
}

bool needs_value(std::string_view name) { return name != "help"; }

}  // namespace

std::string_view usage() { return kUsage; }

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = trim(text);
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return fail(ErrorCode::InvalidArgument, "not a duration: " + std::string(text));
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, n);
  if (ec != std::errc()) return fail(ErrorCode::InvalidArgument, "duration out of range");
  const std::string_view unit = text.substr(digits);
  std::uint64_t factor = 0;
  if (unit.empty() || unit == "s") {
    factor = 1000;
  } else if (unit == "ms") {
    factor = 1;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else if (unit == "d") {
    factor = 86'400'000;
  } else {
    return fail(ErrorCode::InvalidArgument, "unknown duration unit: " + std::string(text));
  }
  if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / factor / 2) {
    return fail(ErrorCode::InvalidArgument, "duration out of range");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(n * factor));
}

bool is_loopback(std::string_view host) {
  return host == "::1" || host.starts_with("127.") || host == "localhost";
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  text = trim(text);
  Endpoint out;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(ErrorCode::InvalidArgument, "expected [ADDRESS]:PORT: " + std::string(text));
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail(ErrorCode::InvalidArgument, "expected ADDRESS:PORT: " + std::string(text));
    }
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) {
      return fail(ErrorCode::InvalidArgument, "an IPv6 address needs brackets: [::1]:PORT");
    }
    port_text = text.substr(colon + 1);
  }
  auto port = parse_unsigned<std::uint16_t>("port", port_text);
  if (!port) return fail(ErrorCode::InvalidArgument, "not a valid port: " + std::string(text));
  out.port = *port;
  if (out.host == "localhost") out.host = "127.0.0.1";
  return out;
}

Result<void> apply_setting(Config& config, std::string_view name, std::string_view value) {
  value = trim(value);
  if (name == "listen") {
    auto e = parse_endpoint(value);
    if (!e) return fail(e.error());
    config.listen = *e;
  } else if (name == "data") {
    config.data_dir = std::string(value);
  } else if (name == "tls-cert") {
    config.tls_cert = std::string(value);
  } else if (name == "tls-key") {
    config.tls_key = std::string(value);
  } else if (name == "config") {
    config.config_file = std::string(value);
  } else if (name == "threads") {
    auto v = parse_unsigned<unsigned>(name, value, 1);
    if (!v) return fail(v.error());
    config.threads = *v;
  } else if (name == "admin") {
    auto e = parse_endpoint(value);
    if (!e) return fail(e.error());
    config.admin = *e;
  } else if (name == "message-ttl" || name == "idle-timeout") {
    auto d = parse_duration(value);
    if (!d)
      return fail(ErrorCode::InvalidArgument, "--" + std::string(name) + ": " + d.error().message);
    if (d->count() <= 0) {
      return fail(ErrorCode::InvalidArgument, "--" + std::string(name) + " must be positive");
    }
    (name == "message-ttl" ? config.message_ttl : config.idle_timeout) = *d;
  } else if (name == "ack-hold") {
    auto d = parse_duration(value);
    if (!d) return fail(ErrorCode::InvalidArgument, "--ack-hold: " + d.error().message);
    if (d->count() < 0 || *d > std::chrono::minutes(1)) {
      return fail(ErrorCode::InvalidArgument, "--ack-hold must be between 0 and 1m");
    }
    config.ack_hold = *d;
  } else if (name == "max-connections") {
    auto v = parse_unsigned<std::uint32_t>(name, value, 1);
    if (!v) return fail(v.error());
    config.max_connections = *v;
    config.max_connections_explicit = true;
  } else if (name == "max-connections-per-source") {
    auto v = parse_unsigned<std::uint32_t>(name, value);
    if (!v) return fail(v.error());
    config.max_connections_per_source = *v;
  } else if (name == "queue-max-messages") {
    auto v = parse_unsigned<std::uint32_t>(name, value, 1);
    if (!v) return fail(v.error());
    config.queue_max_messages = *v;
  } else if (name == "queue-max-bytes") {
    auto v = parse_unsigned<std::uint64_t>(name, value, 1);
    if (!v) return fail(v.error());
    config.queue_max_bytes = *v;
  } else if (name == "rate") {
    auto v = parse_unsigned<std::uint32_t>(name, value, 1);
    if (!v) return fail(v.error());
    config.rate = *v;
  } else if (name == "bundle-rate") {
    auto v = parse_unsigned<std::uint32_t>(name, value, 1, 1'000'000);
    if (!v) return fail(v.error());
    config.bundle_rate = *v;
  } else if (name == "first-contact-rate") {
    auto v = parse_unsigned<std::uint32_t>(name, value, 1, 1'000'000);
    if (!v) return fail(v.error());
    config.first_contact_rate = *v;
  } else if (name == "push-window") {
    auto v = parse_unsigned<std::uint32_t>(name, value, 1, 65536);
    if (!v) return fail(v.error());
    config.push_window = *v;
  } else if (name == "socket-send-buffer") {
    auto v = parse_unsigned<std::uint32_t>(name, value, 0, 64u << 20);
    if (!v) return fail(v.error());
    if (*v != 0 && *v < 4096) {
      return fail(ErrorCode::InvalidArgument, "--socket-send-buffer: 0, or 4096 to 67108864");
    }
    config.socket_send_buffer = *v;
  } else if (name == "client-buffer-budget") {
    auto v = parse_unsigned<std::uint64_t>(name, value, 1u << 20);
    if (!v) return fail(v.error());
    config.client_buffer_budget = *v;
  } else if (name == "log-level") {
    if (value == "info") {
      config.log_level = log::Level::Info;
    } else if (value == "debug") {
      config.log_level = log::Level::Debug;
    } else if (value == "warn") {
      config.log_level = log::Level::Warn;
    } else if (value == "error") {
      config.log_level = log::Level::Error;
    } else {
      return fail(ErrorCode::InvalidArgument, "--log-level: info, debug, warn or error");
    }
  } else if (name == "test-clock") {
    config.test_clock = std::string(value);
  } else {
    return fail(ErrorCode::InvalidArgument, "unknown setting: " + std::string(name));
  }
  return {};
}

Result<void> apply_config_text(Config& config, std::string_view text) {
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++line_number;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = trim(line);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      return fail(ErrorCode::InvalidArgument,
                  "config line " + std::to_string(line_number) + ": expected key = value");
    }
    const std::string_view key = trim(line.substr(0, eq));
    if (key == "config") {
      return fail(ErrorCode::InvalidArgument,
                  "config line " + std::to_string(line_number) + ": config cannot nest");
    }
    if (auto r = apply_setting(config, key, line.substr(eq + 1)); !r) {
      return fail(ErrorCode::InvalidArgument,
                  "config line " + std::to_string(line_number) + ": " + r.error().message);
    }
  }
  return {};
}

Result<Config> parse_command_line(const std::vector<std::string>& args) {
  // Pass 1: split into (name, value) pairs; find --config.
  std::vector<std::pair<std::string, std::string>> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with("--")) {
      return fail(ErrorCode::InvalidArgument, "unexpected argument: " + std::string(arg));
    }
    arg.remove_prefix(2);
    std::string name;
    std::string value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    } else {
      name = std::string(arg);
      if (name == "help") return fail(ErrorCode::InvalidArgument, std::string(kUsage));
      if (needs_value(name)) {
        if (i + 1 >= args.size()) {
          return fail(ErrorCode::InvalidArgument, "--" + name + " needs a value");
        }
        value = args[++i];
      }
    }
    flags.emplace_back(std::move(name), std::move(value));
  }
  Config config;
  for (const auto& [name, value] : flags) {
    if (name != "config") continue;
    std::ifstream in(value, std::ios::binary);
    if (!in) return fail(ErrorCode::InvalidArgument, "cannot read config file " + value);
    std::ostringstream text;
    text << in.rdbuf();
    EXILE_TRY(apply_config_text(config, text.str()));
  }
  for (const auto& [name, value] : flags) EXILE_TRY(apply_setting(config, name, value));
  EXILE_TRY(validate(config));
  return config;
}

Result<void> validate(const Config& config) {
  if (config.data_dir.empty()) return fail(ErrorCode::InvalidArgument, "--data DIR is required");
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return fail(ErrorCode::InvalidArgument, "--tls-cert and --tls-key go together");
  }
  if (!config.tls() && !is_loopback(config.listen.host)) {
    return fail(ErrorCode::InvalidArgument,
                "refusing plain (unencrypted) WebSocket on " + config.listen.host +
                    ": without --tls-cert/--tls-key the relay listens on loopback only "
                    "(127.0.0.1 or ::1)");
  }
  if (config.admin && !is_loopback(config.admin->host)) {
    return fail(ErrorCode::InvalidArgument, "--admin must be a loopback address");
  }
  return {};
}

}  // namespace exile::relay
