// Content messages (docs/protocol.md §13, proto/message.proto): what travels inside the Double
// Ratchet. The engine encrypts encode_content's output with the chat's session and hands
// decode_content what a session decrypted.
//
// Invariants: decode reads everything encode writes back to the same Content (and encode
// accepts every Content decode returns, UnknownContent aside: the fuzz target checks both);
// beyond that decode takes what protobuf allows (fields in any order or repeated, unknown fields,
// which it ignores) and gives UnknownContent for a body of a newer version; anything encode
// writes fits one relay body once encrypted (kMaxContentBytes); no error message holds a byte
// of the content.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "common/secure_buffer.h"

namespace exile::engine::detail {

inline constexpr std::uint32_t kContentVersion = 1;
inline constexpr std::size_t kContentIdBytes = 16;
using ContentId = std::array<std::uint8_t, kContentIdBytes>;

// The largest serialized Content: the largest plaintext whose envelope, padded to the 16 KiB
// bucket and with an initial header in front, fits the relay's 65,536-byte body limit. The
// 64 KiB bucket does not fit it (65,633 bytes at least), so no content may need it.
inline constexpr std::size_t kMaxContentBytes = 16384 - 1;
// Chosen so that the largest Text and Receipt fit kMaxContentBytes with room to spare for
// fields a later version may add (content.cpp checks the sums).
inline constexpr std::size_t kMaxTextBytes = 15 * 1024;
inline constexpr std::size_t kMaxReceiptIds = 800;
inline constexpr std::size_t kMaxDisplayNameBytes = 64;
// Self-destruct timers: off, or 5 s … 1 week (store::kMinTimerSeconds / kMaxTimerSeconds).
inline constexpr std::uint32_t kMinTimerSeconds = 5;
inline constexpr std::uint32_t kMaxTimerSeconds = 7 * 24 * 3600;

struct TextContent {
  std::string text;
  std::optional<std::uint32_t> timer_seconds;  // nullopt: no timer (0 on the wire)
  friend bool operator==(const TextContent&, const TextContent&) = default;
};
enum class ReceiptKind : std::uint8_t { Delivered = 1, Read = 2 };
struct ReceiptContent {
  ReceiptKind kind = ReceiptKind::Delivered;
  std::vector<ContentId> ids;
  friend bool operator==(const ReceiptContent&, const ReceiptContent&) = default;
};
struct TypingContent {
  bool typing = false;
  friend bool operator==(const TypingContent&, const TypingContent&) = default;
};
struct TimerContent {
  std::optional<std::uint32_t> seconds;  // nullopt: timer off (0 on the wire)
  friend bool operator==(const TimerContent&, const TimerContent&) = default;
};
struct DeleteContent {
  ContentId target{};
  friend bool operator==(const DeleteContent&, const DeleteContent&) = default;
};
struct RouteContent {
  std::string relay_url;
  std::array<std::uint8_t, 16> send_id{};
  std::array<std::uint8_t, 32> sender_key{};
  std::string display_name;
  friend bool operator==(const RouteContent&, const RouteContent&) = default;
};
struct UnknownContent {  // a body this version does not know: the engine ignores it
  friend bool operator==(const UnknownContent&, const UnknownContent&) = default;
};
using ContentBody = std::variant<TextContent, ReceiptContent, TypingContent, TimerContent,
                                 DeleteContent, RouteContent, UnknownContent>;
struct Content {
  ContentId id{};
  UnixMillis sent_at;
  ContentBody body;
  friend bool operator==(const Content&, const Content&) = default;
};

// The serialized Content, in wiped memory. InvalidArgument for a value a reader would refuse
// (and for UnknownContent); the message names the rule, never the value.
[[nodiscard]] Result<SecureBytes> encode_content(const Content& content);
// InvalidContent naming the broken rule (never quoting the content); UnsupportedVersion for a
// version other than 1 (and not 0). A body of a newer version gives UnknownContent.
[[nodiscard]] Result<Content> decode_content(ByteView plaintext);
// The display-name rule of docs/protocol.md §13.4, for the engine's own name before it sends it
// (InvalidArgument naming the rule); decode_content applies it to the names that arrive.
[[nodiscard]] Result<void> check_display_name(std::string_view name);

}  // namespace exile::engine::detail
