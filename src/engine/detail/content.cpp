// Content messages (docs/protocol.md §13). Decoding is: a size bound, the protobuf parse, the
// version, then the fields; the structural checks (byte lengths, known kinds) happen while the
// protobuf message becomes a Content, and the value rules (ranges, UTF-8, the display-name and
// relay-URL rules) in content_problem(), which encode runs too, so that both sides apply one
// set of rules.
//
// Every byte of the parsed or built protobuf message is wiped before it is freed: it holds the
// user's text. Errors name the rule, never a byte of the content.
#include "engine/detail/content.h"

#include <sodium.h>

#include <algorithm>
#include <climits>
#include <type_traits>

#include "common/sodium.h"
#include "crypto/limits.h"
#include "engine/detail/relay_url.h"
#include "engine/invitation.h"
#include "message.pb.h"
#include "proto_wipe.h"
#include "relay/wire/wire.h"
#include "store/repo_chats.h"

namespace exile::engine::detail {

static_assert(kMinTimerSeconds == store::kMinTimerSeconds);
static_assert(kMaxTimerSeconds == store::kMaxTimerSeconds);
static_assert(std::tuple_size_v<decltype(RouteContent{}.send_id)> == relay::wire::kQueueIdBytes);
static_assert(std::tuple_size_v<decltype(RouteContent{}.sender_key)> ==
              relay::wire::kPublicKeyBytes);

namespace {

// ---- size budget (docs/protocol.md §13.6) -----------------------------------------------------

// An Initial envelope is the 95-byte initial header, then a Ratchet envelope of 81 bytes of
// header, the padded plaintext and a 16-byte tag (docs/protocol.md §5.5, §5.7).
constexpr std::size_t kInitialEnvelopeOverhead = 95 + 81 + 16;
constexpr std::size_t kContentBucket = crypto::kPaddingBuckets[2];
static_assert(kContentBucket == kMaxContentBytes + 1, "the 0x80 padding marker needs one byte");
static_assert(kContentBucket + kInitialEnvelopeOverhead <= relay::wire::kMaxBodyBytes);

constexpr std::size_t varint_bytes(std::uint64_t value) {
  std::size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}
// One length-delimited field of `length` bytes, with a one-byte tag (field numbers below 16).
constexpr std::size_t field_bytes(std::size_t length) { return 1 + varint_bytes(length) + length; }
// version, id, sent_at at their largest (a positive int64 takes at most 9 varint bytes).
constexpr std::size_t kMaxHeaderBytes = 2 + field_bytes(kContentIdBytes) + 1 + 9;
constexpr std::size_t kMaxTextBody =
    field_bytes(kMaxTextBytes) + 1 + varint_bytes(kMaxTimerSeconds);
constexpr std::size_t kMaxReceiptBody = 2 + kMaxReceiptIds * field_bytes(kContentIdBytes);
constexpr std::size_t kMaxRouteBody = field_bytes(kMaxRelayUrlBytes) + field_bytes(16) +
                                      field_bytes(32) + field_bytes(kMaxDisplayNameBytes);
static_assert(kMaxHeaderBytes + field_bytes(kMaxTextBody) <= kMaxContentBytes);
static_assert(kMaxHeaderBytes + field_bytes(kMaxReceiptBody) <= kMaxContentBytes);
static_assert(kMaxHeaderBytes + field_bytes(kMaxRouteBody) <= kMaxContentBytes);

// In Content, field numbers from 10 up are bodies (proto/message.proto).
constexpr int kFirstBodyField = 10;

// ---- rules ------------------------------------------------------------------------------------

// The length of the UTF-8 sequence at text[i] (RFC 3629 §4: shortest form, no surrogates,
// nothing above U+10FFFF), with its code point; 0 if it is not one.
std::size_t utf8_sequence(std::string_view text, std::size_t i, char32_t& code_point) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  }
  std::size_t length = 0;
  unsigned char low = 0x80;   // the range of the second byte, which excludes overlong forms,
  unsigned char high = 0xbf;  // surrogates and code points above U+10FFFF
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  code_point = lead & (0x7f >> length);
  for (std::size_t k = 1; k < length; ++k) {
    if (k > 1 && (byte(k) & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(k) & 0x3f);
  }
  return length;
}

bool valid_utf8(std::string_view text) {
  char32_t code_point = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence(text, i, code_point);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::optional<std::string_view> display_name_problem(std::string_view name) {
  if (name.empty()) return "display name: empty";
  if (name.size() > kMaxDisplayNameBytes) return "display name: longer than 64 bytes";
  char32_t c = 0;
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t length = utf8_sequence(name, i, c);
    if (length == 0) return "display name: not valid UTF-8";
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return "display name: control character";
    if (c == 0x2028 || c == 0x2029) return "display name: line or paragraph separator";
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
      return "display name: bidirectional embedding, override or isolate";
    }
    i += length;
  }
  return std::nullopt;
}

bool all_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

bool timer_in_range(std::optional<std::uint32_t> seconds) {
  return !seconds || (*seconds >= kMinTimerSeconds && *seconds <= kMaxTimerSeconds);
}

// The value rules of §13.3 that a Content can break once its fields have the right sizes.
std::optional<std::string> body_problem(const TextContent& text) {
  if (text.text.empty()) return "text: empty";
  if (text.text.size() > kMaxTextBytes) return "text: longer than 15360 bytes";
  if (!valid_utf8(text.text)) return "text: not valid UTF-8";
  if (!timer_in_range(text.timer_seconds)) return "text: timer outside 5 ... 604800 seconds";
  return std::nullopt;
}
std::optional<std::string> body_problem(const ReceiptContent& receipt) {
  if (receipt.kind != ReceiptKind::Delivered && receipt.kind != ReceiptKind::Read) {
    return "receipt: unknown kind";  // reached from encode only: decode maps kinds itself
  }
  if (receipt.ids.empty()) return "receipt: no ids";
  if (receipt.ids.size() > kMaxReceiptIds) return "receipt: more than 800 ids";
  for (const ContentId& id : receipt.ids) {
    if (all_zero(id)) return "receipt: id is all zero";
  }
  return std::nullopt;
}
std::optional<std::string> body_problem(const TypingContent&) { return std::nullopt; }
std::optional<std::string> body_problem(const TimerContent& timer) {
  if (!timer_in_range(timer.seconds)) return "timer: outside 5 ... 604800 seconds";
  return std::nullopt;
}
std::optional<std::string> body_problem(const DeleteContent& del) {
  if (all_zero(del.target)) return "delete: id is all zero";
  return std::nullopt;
}
std::optional<std::string> body_problem(const RouteContent& route) {
  if (auto problem = relay_url_problem(route.relay_url)) return "route: " + std::string(*problem);
  if (!relay::wire::acceptable_queue_key(route.sender_key)) {
    return "route: sender key is a low-order point";
  }
  if (auto problem = display_name_problem(route.display_name)) {
    return "route: " + std::string(*problem);
  }
  return std::nullopt;
}
std::optional<std::string> body_problem(const UnknownContent&) { return std::nullopt; }

std::optional<std::string> content_problem(const Content& content) {
  if (all_zero(content.id)) return "content: id is all zero";
  if (to_millis(content.sent_at) < 0) return "content: sent_at is negative";
  return std::visit([](const auto& body) { return body_problem(body); }, content.body);
}

// ---- wiping -----------------------------------------------------------------------------------

// Every bytes field (secret or not) is wiped before the message is destroyed (proto_wipe.h).
void wipe(const std::string& s) { pb::wipe_bytes(s); }
using pb::wipe_unknown;

void wipe(pb::Content& m) {
  wipe(m.id());
  switch (m.body_case()) {
    case pb::Content::kText:
      wipe(m.text().text());
      wipe_unknown(*m.mutable_text());
      break;
    case pb::Content::kReceipt:
      for (const std::string& id : m.receipt().ids()) wipe(id);
      wipe_unknown(*m.mutable_receipt());
      break;
    case pb::Content::kTyping: wipe_unknown(*m.mutable_typing()); break;
    case pb::Content::kTimer: wipe_unknown(*m.mutable_timer()); break;
    case pb::Content::kDeleteForBoth:
      wipe(m.delete_for_both().id());
      wipe_unknown(*m.mutable_delete_for_both());
      break;
    case pb::Content::kRoute:
      wipe(m.route().relay_url());
      wipe(m.route().send_id());
      wipe(m.route().sender_key());
      wipe(m.route().display_name());
      wipe_unknown(*m.mutable_route());
      break;
    case pb::Content::BODY_NOT_SET: break;
  }
  wipe_unknown(m);
}

// The copies a refused Content made of the text it carried (a Content that is returned keeps
// its text: the caller owns it then).
void wipe_text(Content& content) {
  if (auto* text = std::get_if<TextContent>(&content.body)) wipe(text->text);
  if (auto* route = std::get_if<RouteContent>(&content.body)) {
    wipe(route->relay_url);
    wipe(route->display_name);
  }
}

class WipeOnExit {
 public:
  explicit WipeOnExit(pb::Content& m) : m_(m) {}
  ~WipeOnExit() { wipe(m_); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  pb::Content& m_;
};

// ---- protobuf -> Content ----------------------------------------------------------------------

std::unexpected<Error> invalid(std::string message) {
  return fail(ErrorCode::InvalidContent, std::move(message));
}

template <std::size_t N>
bool copy_exact(const std::string& from, std::array<std::uint8_t, N>& to) {
  if (from.size() != N) return false;
  std::copy(from.begin(), from.end(), to.begin());
  return true;
}

std::optional<std::uint32_t> timer_of(std::uint32_t seconds) {
  return seconds == 0 ? std::nullopt : std::optional<std::uint32_t>(seconds);
}

// A body numbered kFirstBodyField or above that this version does not know: a message
// (length-delimited) field among the unknown ones.
bool has_newer_body(const pb::Content& m) {
  const google::protobuf::UnknownFieldSet& unknown = m.GetReflection()->GetUnknownFields(m);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const google::protobuf::UnknownField& field = unknown.field(i);
    if (field.number() >= kFirstBodyField &&
        field.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      return true;
    }
  }
  return false;
}

Result<ContentBody> body_of(const pb::Content& m) {
  switch (m.body_case()) {
    case pb::Content::kText:
      return TextContent{m.text().text(), timer_of(m.text().timer_seconds())};
    case pb::Content::kReceipt: {
      const pb::Receipt& r = m.receipt();
      ReceiptContent receipt;
      if (r.kind() == pb::Receipt::KIND_UNSPECIFIED) return invalid("receipt: no kind");
      if (r.kind() == pb::Receipt::DELIVERED) {
        receipt.kind = ReceiptKind::Delivered;
      } else if (r.kind() == pb::Receipt::READ) {
        receipt.kind = ReceiptKind::Read;
      } else {
        return UnknownContent{};  // a receipt kind of a newer version
      }
      // The count first, so that a long list is refused before it is copied.
      if (static_cast<std::size_t>(r.ids_size()) > kMaxReceiptIds) {
        return invalid("receipt: more than 800 ids");
      }
      receipt.ids.resize(static_cast<std::size_t>(r.ids_size()));
      for (int i = 0; i < r.ids_size(); ++i) {
        if (!copy_exact(r.ids(i), receipt.ids[static_cast<std::size_t>(i)])) {
          return invalid("receipt: id is not 16 bytes");
        }
      }
      return receipt;
    }
    case pb::Content::kTyping: return TypingContent{m.typing().typing()};
    case pb::Content::kTimer: return TimerContent{timer_of(m.timer().seconds())};
    case pb::Content::kDeleteForBoth: {
      DeleteContent del;
      if (!copy_exact(m.delete_for_both().id(), del.target)) {
        return invalid("delete: id is not 16 bytes");
      }
      return del;
    }
    case pb::Content::kRoute: {
      const pb::Route& r = m.route();
      RouteContent route;
      if (!copy_exact(r.send_id(), route.send_id)) return invalid("route: send id is not 16 bytes");
      if (!copy_exact(r.sender_key(), route.sender_key)) {
        return invalid("route: sender key is not 32 bytes");
      }
      route.relay_url = r.relay_url();
      route.display_name = r.display_name();
      return route;
    }
    case pb::Content::BODY_NOT_SET: break;
  }
  if (has_newer_body(m)) return UnknownContent{};
  return invalid("content: no body");
}

// ---- Content -> protobuf ----------------------------------------------------------------------

void set(std::string* to, std::span<const std::uint8_t> bytes) {
  to->assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

struct BodyWriter {
  pb::Content& m;
  void operator()(const TextContent& text) const {
    pb::Text* out = m.mutable_text();
    out->set_text(text.text);
    out->set_timer_seconds(text.timer_seconds.value_or(0));
  }
  void operator()(const ReceiptContent& receipt) const {
    pb::Receipt* out = m.mutable_receipt();
    out->set_kind(receipt.kind == ReceiptKind::Read ? pb::Receipt::READ : pb::Receipt::DELIVERED);
    for (const ContentId& id : receipt.ids) set(out->add_ids(), id);
  }
  void operator()(const TypingContent& typing) const {
    m.mutable_typing()->set_typing(typing.typing);
  }
  void operator()(const TimerContent& timer) const {
    m.mutable_timer()->set_seconds(timer.seconds.value_or(0));
  }
  void operator()(const DeleteContent& del) const {
    set(m.mutable_delete_for_both()->mutable_id(), del.target);
  }
  void operator()(const RouteContent& route) const {
    pb::Route* out = m.mutable_route();
    out->set_relay_url(route.relay_url);
    set(out->mutable_send_id(), route.send_id);
    set(out->mutable_sender_key(), route.sender_key);
    out->set_display_name(route.display_name);
  }
  void operator()(const UnknownContent&) const {}  // refused before
};

}  // namespace

Result<void> check_display_name(std::string_view name) {
  if (auto problem = display_name_problem(name)) {
    return fail(ErrorCode::InvalidArgument, std::string(*problem));
  }
  return {};
}

Result<SecureBytes> encode_content(const Content& content) {
  if (std::holds_alternative<UnknownContent>(content.body)) {
    return fail(ErrorCode::InvalidArgument, "content: an unknown body cannot be written");
  }
  if (auto problem = content_problem(content)) {
    return fail(ErrorCode::InvalidArgument, std::move(*problem));
  }
  ensure_sodium();
  pb::Content m;
  const WipeOnExit wipe_guard(m);
  m.set_version(kContentVersion);
  set(m.mutable_id(), content.id);
  m.set_sent_at(to_millis(content.sent_at));
  std::visit(BodyWriter{m}, content.body);
  // Without maps, protobuf's output is deterministic (fields in number order). The array
  // overload writes straight into the wiped buffer, with no intermediate copy.
  const std::size_t size = m.ByteSizeLong();
  if (size > kMaxContentBytes) {  // the limits make this impossible (the static_asserts above)
    return fail(ErrorCode::Internal, "content: larger than 16383 bytes");
  }
  SecureBytes out(size);
  if (!m.SerializeToArray(out.data(), static_cast<int>(out.size()))) {
    return fail(ErrorCode::Internal, "content: does not serialize");
  }
  return out;
}

Result<Content> decode_content(ByteView plaintext) {
  static_assert(kMaxContentBytes <= static_cast<std::size_t>(INT_MAX));
  if (plaintext.size() > kMaxContentBytes) return invalid("content: larger than 16383 bytes");
  ensure_sodium();
  pb::Content m;
  const WipeOnExit wipe_guard(m);
  if (!m.ParseFromArray(plaintext.data(), static_cast<int>(plaintext.size()))) {
    return invalid("content: does not parse");
  }
  if (m.version() == 0) return invalid("content: no version");
  if (m.version() != kContentVersion) {
    return fail(ErrorCode::UnsupportedVersion, "content: made by a newer version of Exile");
  }
  Content content;
  if (!copy_exact(m.id(), content.id)) return invalid("content: id is not 16 bytes");
  content.sent_at = from_millis(m.sent_at());
  auto body = body_of(m);
  if (!body) return fail(std::move(body).error());
  content.body = std::move(*body);
  if (auto problem = content_problem(content)) {
    wipe_text(content);
    return invalid(std::move(*problem));
  }
  return content;
}

}  // namespace exile::engine::detail
