// Relay URL rules (docs/protocol.md §2.5). Grammar, checked front to back:
//
//   relay-url = ( "wss://" / "ws://" ) host [ ":" port ] [ path ]
//   host      = reg-name / IPv4 / "[" IPv6 "]"     lowercase, canonical
//   port      = 1..65535, no leading zero, not the scheme's default (443 for wss, 80 for ws)
//   path      = 1*( "/" segment ), segment = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" ),
//               no "." or ".." segment
//
// ws:// is allowed only to loopback: localhost, 127.0.0.0/8, [::1].
#include "engine/detail/relay_url.h"

#include <arpa/inet.h>

#include <array>
#include <string>

#include "engine/invitation.h"

namespace exile::engine::detail {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

std::optional<std::string_view> reg_name_problem(std::string_view host) {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = host.find('.', start);
    const std::string_view label =
        host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty()) return "relay URL: empty label in the host name";
    if (label.size() > 63) return "relay URL: host name label longer than 63 characters";
    for (char c : label) {
      if (is_upper(c)) return "relay URL: host must be lowercase";
      if (!is_lower_alnum(c) && c != '-') return "relay URL: character not allowed in the host";
    }
    if (label.front() == '-' || label.back() == '-') {
      return "relay URL: host name label starts or ends with '-'";
    }
    if (dot == std::string_view::npos) return std::nullopt;
    start = dot + 1;
  }
}

// inet_pton accepts exactly one spelling per address only together with inet_ntop: an address
// is canonical when formatting it again gives the same text (RFC 5952 for IPv6).
bool canonical_address(int family, std::string_view text, unsigned char* out) {
  const std::string copy(text);
  if (inet_pton(family, copy.c_str(), out) != 1) return false;
  std::array<char, INET6_ADDRSTRLEN> again{};
  if (inet_ntop(family, out, again.data(), again.size()) == nullptr) return false;
  return std::string_view(again.data()) == text;
}

std::optional<std::string_view> path_problem(std::string_view path) {
  if (path == "/") return "relay URL: a path of \"/\" alone must be omitted";
  std::size_t start = 1;  // path[0] == '/'
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view segment =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment.empty()) return "relay URL: empty segment in the path";
    if (segment == "." || segment == "..") return "relay URL: '.' or '..' in the path";
    for (char c : segment) {
      if (c == '?' || c == '#') return "relay URL: query or fragment not allowed";
      if (c == '%') return "relay URL: percent-encoding not allowed";
      if (!is_lower_alnum(c) && !is_upper(c) && c != '-' && c != '.' && c != '_' && c != '~') {
        return "relay URL: character not allowed in the path";
      }
    }
    if (slash == std::string_view::npos) return std::nullopt;
    start = slash + 1;
  }
}

}  // namespace

std::optional<std::string_view> relay_url_problem(std::string_view url) {
  if (url.empty()) return "relay URL: empty";
  if (url.size() > kMaxRelayUrlBytes) return "relay URL: longer than 128 bytes";
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return "relay URL: control, space or non-ASCII byte";
  }
  bool tls = false;
  std::string_view rest;
  if (url.starts_with("wss://")) {
    tls = true;
    rest = url.substr(6);
  } else if (url.starts_with("ws://")) {
    rest = url.substr(5);
  } else {
    return "relay URL: scheme must be wss:// (or ws:// to loopback), in lowercase";
  }

  const std::size_t path_start = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, path_start);
  const std::string_view path =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) {
    return "relay URL: user name or password not allowed";
  }

  // host [":" port]; an IPv6 literal is the one host with colons, always in brackets.
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return "relay URL: unclosed '[' in the host";
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "relay URL: character not allowed in the host";
      has_port = true;
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
  }
  if (host.empty()) return "relay URL: no host";

  bool loopback = false;
  if (host.front() == '[') {
    std::array<unsigned char, 16> address{};
    if (!canonical_address(AF_INET6, host.substr(1, host.size() - 2), address.data())) {
      return "relay URL: IPv6 address not valid or not in canonical form (RFC 5952)";
    }
    static constexpr std::array<unsigned char, 16> kIpv6Loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                                    0, 0, 0, 0, 0, 0, 0, 1};
    loopback = address == kIpv6Loopback;
  } else if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
    std::array<unsigned char, 4> address{};
    if (!canonical_address(AF_INET, host, address.data())) {
      return "relay URL: IPv4 address not valid or not in canonical form";
    }
    loopback = address[0] == 127;
  } else {
    if (auto problem = reg_name_problem(host)) return problem;
    loopback = host == "localhost";
  }

  if (has_port) {
    if (port.empty()) return "relay URL: empty port";
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
      return "relay URL: port is not a number from 1 to 65535";
    }
    if (port.front() == '0') return "relay URL: port with a leading zero, or port 0";
    unsigned value = 0;
    for (char c : port) value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) return "relay URL: port is not a number from 1 to 65535";
    if (value == (tls ? 443u : 80u)) return "relay URL: the scheme's default port must be omitted";
  }

  if (!path.empty()) {
    if (path.front() != '/') return "relay URL: query or fragment not allowed";
    if (auto problem = path_problem(path)) return problem;
  }

  if (!tls && !loopback) return "relay URL: ws:// (no TLS) is only for loopback; use wss://";
  return std::nullopt;
}

}  // namespace exile::engine::detail
