// The rules a relay URL in an invitation must follow (docs/protocol.md §2.5, "Relay URL"): a
// strict, canonical subset of RFC 3986 that RelayConnection accepts, so that one relay has one
// spelling and a link never points a client at a plain-text relay across a network.
#pragma once

#include <optional>
#include <string_view>

namespace exile::engine::detail {

// Nothing if `url` follows every rule; otherwise which rule it breaks, as a fixed sentence that
// holds no part of the URL.
[[nodiscard]] std::optional<std::string_view> relay_url_problem(std::string_view url);

}  // namespace exile::engine::detail
