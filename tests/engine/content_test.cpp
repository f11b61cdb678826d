// Content messages (engine/detail/content.h; format in docs/protocol.md §13). Every body round
// trips; the worked example of §13.7 is pinned byte for byte; every rule of §13.3 and §13.4 has
// a case that breaks it alone. Inputs the encoder would not write are built with this file's
// own protobuf wire writer (Wire, below), from the field numbers of the document, so that the
// tests also pin the format independently of the generated code.
#include "engine/detail/content.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

namespace exile::engine::detail {
namespace {

using namespace std::string_literals;

// ---- a protobuf wire writer --------------------------------------------------------------------

class Wire {
 public:
  Wire& varint(std::uint32_t field, std::uint64_t value) {
    raw_varint(std::uint64_t{field} << 3);
    raw_varint(value);
    return *this;
  }
  Wire& bytes(std::uint32_t field, ByteView data) {
    raw_varint((std::uint64_t{field} << 3) | 2);
    raw_varint(data.size());
    append(out_, data);
    return *this;
  }
  Wire& bytes(std::uint32_t field, std::string_view text) { return bytes(field, as_bytes(text)); }
  Wire& message(std::uint32_t field, const Wire& inner) { return bytes(field, inner.out_); }
  [[nodiscard]] const Bytes& data() const { return out_; }

 private:
  void raw_varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  Bytes out_;
};

constexpr std::int64_t kSentAt = 1'700'000'000'000;

ContentId id_of(std::uint8_t first) {
  ContentId id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(first + i);
  return id;
}

Bytes bytes_of(std::size_t n, std::uint8_t value) { return Bytes(n, value); }

// version 1, id 00 01 … 0f, sent_at kSentAt: the fields beside the body, as a writer sets them.
Wire header(std::uint64_t version = 1) {
  Wire w;
  w.varint(1, version);
  const ContentId id = id_of(0);
  w.bytes(2, id);
  w.varint(3, static_cast<std::uint64_t>(kSentAt));
  return w;
}

Wire with_body(std::uint32_t field, const Wire& body) {
  Wire w = header();
  w.message(field, body);
  return w;
}

Wire text_body(std::string_view text, std::uint32_t timer = 0) {
  Wire w;
  w.bytes(1, text);
  if (timer != 0) w.varint(2, timer);
  return w;
}

// X25519 base point (u = 9): a valid queue key.
std::array<std::uint8_t, 32> good_key() {
  std::array<std::uint8_t, 32> key{};
  key[0] = 9;
  return key;
}

Wire route_body(std::string_view url, std::string_view name, ByteView send_id, ByteView key) {
  Wire w;
  w.bytes(1, url).bytes(2, send_id).bytes(3, key).bytes(4, name);
  return w;
}

Wire route_body(std::string_view url, std::string_view name) {
  const Bytes send_id = bytes_of(16, 0x44);
  const auto key = good_key();
  return route_body(url, name, send_id, key);
}

Content content_with(ContentBody body) {
  Content c;
  c.id = id_of(0);
  c.sent_at = from_millis(kSentAt);
  c.body = std::move(body);
  return c;
}

// ---- comparing ----------------------------------------------------------------------------------

bool same(const Content& a, const Content& b) { return a == b; }

// ---- expectations -------------------------------------------------------------------------------

void expect_round_trip(const Content& content) {
  auto encoded = encode_content(content);
  ASSERT_TRUE(encoded) << encoded.error();
  EXPECT_LE(encoded->size(), kMaxContentBytes);
  auto decoded = decode_content(ByteView(encoded->data(), encoded->size()));
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_TRUE(same(*decoded, content));
}

// decode refuses `input` with InvalidContent and a message that contains `rule`.
void expect_invalid(const Bytes& input, std::string_view rule) {
  auto decoded = decode_content(input);
  ASSERT_FALSE(decoded) << "accepted; expected: " << rule;
  EXPECT_EQ(decoded.error().code, ErrorCode::InvalidContent) << decoded.error();
  EXPECT_NE(decoded.error().message.find(rule), std::string::npos) << decoded.error();
}
void expect_invalid(const Wire& input, std::string_view rule) {
  expect_invalid(input.data(), rule);
}

// encode refuses `content` with InvalidArgument and a message that contains `rule`.
void expect_refused(const Content& content, std::string_view rule) {
  auto encoded = encode_content(content);
  ASSERT_FALSE(encoded) << "encoded; expected: " << rule;
  EXPECT_EQ(encoded.error().code, ErrorCode::InvalidArgument) << encoded.error();
  EXPECT_NE(encoded.error().message.find(rule), std::string::npos) << encoded.error();
}

// Decodes `input`, which must succeed.
Content decoded(const Wire& input) {
  auto result = decode_content(input.data());
  EXPECT_TRUE(result) << result.error();
  return result ? *result : Content{};
}

// ---- round trips --------------------------------------------------------------------------------

TEST(ContentTest, TextRoundTrips) {
  expect_round_trip(content_with(TextContent{"hello", std::nullopt}));
  expect_round_trip(content_with(TextContent{"Zoë says 你好 👋\nline two", 3600}));
  expect_round_trip(content_with(TextContent{"x", kMinTimerSeconds}));
  expect_round_trip(content_with(TextContent{"x", kMaxTimerSeconds}));
}

TEST(ContentTest, ReceiptRoundTrips) {
  expect_round_trip(content_with(ReceiptContent{ReceiptKind::Delivered, {id_of(1)}}));
  expect_round_trip(
      content_with(ReceiptContent{ReceiptKind::Read, {id_of(1), id_of(2), id_of(3)}}));
}

TEST(ContentTest, TypingRoundTrips) {
  expect_round_trip(content_with(TypingContent{true}));
  expect_round_trip(content_with(TypingContent{false}));
}

TEST(ContentTest, TimerRoundTrips) {
  expect_round_trip(content_with(TimerContent{std::nullopt}));
  expect_round_trip(content_with(TimerContent{5}));
  expect_round_trip(content_with(TimerContent{604800}));
}

TEST(ContentTest, DeleteRoundTrips) { expect_round_trip(content_with(DeleteContent{id_of(7)})); }

TEST(ContentTest, RouteRoundTrips) {
  RouteContent route;
  route.relay_url = "wss://relay.example.org";
  route.send_id.fill(0x44);
  route.sender_key = good_key();
  route.display_name = "Alice";
  expect_round_trip(content_with(route));
  route.relay_url = "ws://127.0.0.1:5223/exile";
  route.display_name = "مريم";  // right-to-left letters are fine; only the controls are not
  expect_round_trip(content_with(route));
}

TEST(ContentTest, SentAtZeroAndLargestRoundTrip) {
  Content c = content_with(TypingContent{true});
  c.sent_at = from_millis(0);
  expect_round_trip(c);
  c.sent_at = from_millis(INT64_MAX);
  expect_round_trip(c);
}

// docs/protocol.md §13.7: the worked example, byte for byte, both ways.
TEST(ContentTest, KnownAnswerText) {
  const Content example = content_with(TextContent{"Hello", 30});
  const std::string expected_hex =
      "08011210000102030405060708090a0b0c0d0e0f1880d095ffbc3152090a0548656c6c6f101e";
  auto encoded = encode_content(example);
  ASSERT_TRUE(encoded) << encoded.error();
  std::string hex;
  for (std::uint8_t b : *encoded) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  EXPECT_EQ(hex, expected_hex);
  // The same bytes from the document's field list, by this file's own writer.
  EXPECT_EQ(Bytes(encoded->begin(), encoded->end()), with_body(10, text_body("Hello", 30)).data());
  auto back = decode_content(ByteView(encoded->data(), encoded->size()));
  ASSERT_TRUE(back) << back.error();
  EXPECT_TRUE(same(*back, example));
}

// The largest content of each kind fits kMaxContentBytes, so that its envelope fits one relay
// body (docs/protocol.md §13.6).
TEST(ContentTest, LargestContentsFitOneRelayBody) {
  std::string text;
  while (text.size() + 4 <= kMaxTextBytes) text += "😀";
  while (text.size() < kMaxTextBytes) text += 'a';
  expect_round_trip(content_with(TextContent{text, kMaxTimerSeconds}));

  ReceiptContent receipt{ReceiptKind::Read, std::vector<ContentId>(kMaxReceiptIds, id_of(1))};
  expect_round_trip(content_with(receipt));

  RouteContent route;
  route.relay_url = "wss://" + std::string(63, 'a') + "." + std::string(58, 'b');
  ASSERT_EQ(route.relay_url.size(), 128u);
  route.send_id.fill(0x44);
  route.sender_key = good_key();
  route.display_name = std::string(kMaxDisplayNameBytes, 'n');
  expect_round_trip(content_with(route));

  Content longest = content_with(TextContent{text, kMaxTimerSeconds});
  longest.sent_at = from_millis(INT64_MAX);
  auto encoded = encode_content(longest);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->size(), 15400u);  // docs/protocol.md §13.6
  Content receipts = content_with(receipt);
  receipts.sent_at = from_millis(INT64_MAX);
  encoded = encode_content(receipts);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->size(), 14435u);
  Content longest_route = content_with(route);
  longest_route.sent_at = from_millis(INT64_MAX);
  encoded = encode_content(longest_route);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->size(), 282u);
}

// ---- the rules of §13.3, one at a time
// -----------------------------------------------------------

TEST(ContentRuleTest, LargerThanMaxContentBytes) {
  // A Text content padded with an unknown field (which alone would be ignored) to one byte over.
  Wire w = with_body(10, text_body("hi"));
  const std::size_t filler = kMaxContentBytes + 1 - w.data().size() - 3;  // tag 1 + length 2
  w.bytes(7, bytes_of(filler, 0x61));
  ASSERT_EQ(w.data().size(), kMaxContentBytes + 1);
  expect_invalid(w, "larger than 16383 bytes");
  // One byte less is read.
  Wire ok = with_body(10, text_body("hi"));
  ok.bytes(7, bytes_of(filler - 1, 0x61));
  ASSERT_EQ(ok.data().size(), kMaxContentBytes);
  EXPECT_TRUE(decode_content(ok.data()));
}

TEST(ContentRuleTest, DoesNotParse) {
  expect_invalid(Bytes{0xff}, "does not parse");
  expect_invalid(Bytes{0x12, 0x20, 0x00}, "does not parse");        // length beyond the end
  expect_invalid(Bytes{0x08}, "does not parse");                    // a tag with no value
  expect_invalid(Bytes{0x08, 0x01, 0x00, 0x00}, "does not parse");  // field number 0
  expect_invalid(Bytes{0x0e, 0x01}, "does not parse");              // wire type 6
  expect_invalid(Bytes{0x0f, 0x01}, "does not parse");              // wire type 7
  Bytes long_varint{0x08};
  long_varint.insert(long_varint.end(), 10, 0x81);
  long_varint.push_back(0x01);
  expect_invalid(long_varint, "does not parse");  // a varint of 11 bytes
}

TEST(ContentRuleTest, VersionZeroOrMissing) {
  Wire w;
  const ContentId id = id_of(0);
  w.bytes(2, id).varint(3, 1).message(12, Wire().varint(1, 1));
  expect_invalid(w, "no version");
  expect_invalid(Bytes{}, "no version");  // the empty message
}

TEST(ContentRuleTest, OtherVersionIsUnsupported) {
  for (std::uint64_t version : {2ull, 3ull, 0xffffffffull}) {
    // Decided before anything else: no id, no body.
    auto decoded = decode_content(Wire().varint(1, version).data());
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, ErrorCode::UnsupportedVersion);
    Wire full = header(version);
    full.message(10, text_body("hi"));
    decoded = decode_content(full.data());
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, ErrorCode::UnsupportedVersion);
  }
}

TEST(ContentRuleTest, IdNot16Bytes) {
  for (std::size_t size : {0u, 15u, 17u, 32u}) {
    Wire w;
    w.varint(1, 1).bytes(2, bytes_of(size, 0x01)).varint(3, 1).message(12, Wire());
    expect_invalid(w, "content: id is not 16 bytes");
  }
  // A known field with another wire type is an unknown field: the id is then missing.
  Wire w;
  w.varint(1, 1).varint(2, 5).varint(3, 1).message(12, Wire());
  expect_invalid(w, "content: id is not 16 bytes");
}

TEST(ContentRuleTest, IdAllZero) {
  Wire w;
  w.varint(1, 1).bytes(2, bytes_of(16, 0)).varint(3, 1).message(12, Wire());
  expect_invalid(w, "content: id is all zero");
  Content c = content_with(TypingContent{true});
  c.id = ContentId{};
  expect_refused(c, "content: id is all zero");
}

TEST(ContentRuleTest, SentAtNegative) {
  Wire w;
  const ContentId id = id_of(0);
  w.varint(1, 1).bytes(2, id).varint(3, static_cast<std::uint64_t>(-1)).message(12, Wire());
  expect_invalid(w, "sent_at is negative");
  Content c = content_with(TypingContent{true});
  c.sent_at = from_millis(-1);
  expect_refused(c, "sent_at is negative");
}

TEST(ContentRuleTest, NoBody) {
  expect_invalid(header(), "content: no body");
  // Unknown fields that are not a newer body: numbered below 10, or not length-delimited.
  expect_invalid(header().message(9, Wire().varint(1, 1)), "content: no body");
  expect_invalid(header().varint(99, 1), "content: no body");
}

TEST(ContentRuleTest, TextEmpty) {
  expect_invalid(with_body(10, Wire()), "text: empty");
  expect_invalid(with_body(10, text_body("", 30)), "text: empty");
  expect_refused(content_with(TextContent{"", std::nullopt}), "text: empty");
}

TEST(ContentRuleTest, TextLongerThanMax) {
  const std::string longest(kMaxTextBytes, 'a');
  EXPECT_TRUE(decode_content(with_body(10, text_body(longest)).data()));
  expect_invalid(with_body(10, text_body(longest + "a")), "text: longer than 15360 bytes");
  expect_refused(content_with(TextContent{longest + "a", std::nullopt}),
                 "text: longer than 15360 bytes");
}

TEST(ContentRuleTest, TextNotUtf8) {
  const std::vector<std::string> bad = {
      "\x80"s,                // a continuation byte alone
      "a\xc3"s,               // cut after the lead byte
      "\xe2\x82"s,            // cut inside a three-byte sequence
      "\xc0\xaf"s,            // overlong '/' (two bytes)
      "\xc1\xbf"s,            // overlong (C1 lead)
      "\xe0\x80\xaf"s,        // overlong '/' (three bytes)
      "\xe0\x9f\xbf"s,        // overlong U+07FF
      "\xf0\x80\x80\xaf"s,    // overlong '/' (four bytes)
      "\xf0\x8f\xbf\xbf"s,    // overlong U+FFFF
      "\xed\xa0\x80"s,        // surrogate U+D800
      "\xed\xbf\xbf"s,        // surrogate U+DFFF
      "\xf4\x90\x80\x80"s,    // U+110000
      "\xf5\x80\x80\x80"s,    // lead byte F5
      "\xff"s,                // lead byte FF
      "\xe2\x28\xa1"s,        // third byte not a continuation
      "\xf0\x9f\x98\x28"s,    // fourth byte not a continuation
      "ok\xe2\x82\xac\xa0"s,  // a stray continuation after a valid euro sign
  };
  for (const std::string& text : bad) {
    SCOPED_TRACE(testing::PrintToString(text));
    expect_invalid(with_body(10, text_body(text)), "text: not valid UTF-8");
    expect_refused(content_with(TextContent{text, std::nullopt}), "text: not valid UTF-8");
  }
  // The edges of what is valid.
  for (const std::string& text :
       {"\x7f"s, "\xc2\x80"s, "\xdf\xbf"s, "\xe0\xa0\x80"s, "\xed\x9f\xbf"s, "\xee\x80\x80"s,
        "\xef\xbf\xbf"s, "\xf0\x90\x80\x80"s, "\xf4\x8f\xbf\xbf"s, "a\0b"s}) {
    SCOPED_TRACE(testing::PrintToString(text));
    EXPECT_TRUE(decode_content(with_body(10, text_body(text)).data()));
  }
}

TEST(ContentRuleTest, TextTimerOutOfRange) {
  for (std::uint32_t seconds : {1u, 4u, 604801u, 0xffffffffu}) {
    expect_invalid(with_body(10, text_body("hi", seconds)), "text: timer outside");
    expect_refused(content_with(TextContent{"hi", seconds}), "text: timer outside");
  }
  // 0 on the wire is no timer; in the C++ value, no timer is nullopt, and 0 is refused.
  EXPECT_FALSE(
      std::get<TextContent>(decoded(with_body(10, text_body("hi", 0))).body).timer_seconds);
  expect_refused(content_with(TextContent{"hi", 0}), "text: timer outside");
  EXPECT_EQ(std::get<TextContent>(decoded(with_body(10, text_body("hi", 5))).body).timer_seconds,
            5u);
  EXPECT_EQ(
      std::get<TextContent>(decoded(with_body(10, text_body("hi", 604800))).body).timer_seconds,
      604800u);
}

Wire receipt_body(std::uint64_t kind, const std::vector<Bytes>& ids) {
  Wire w;
  w.varint(1, kind);
  for (const Bytes& id : ids) w.bytes(2, id);
  return w;
}

TEST(ContentRuleTest, ReceiptWithoutKind) {
  expect_invalid(with_body(11, receipt_body(0, {bytes_of(16, 1)})), "receipt: no kind");
  Content c = content_with(ReceiptContent{static_cast<ReceiptKind>(0), {id_of(1)}});
  expect_refused(c, "receipt: unknown kind");
  c = content_with(ReceiptContent{static_cast<ReceiptKind>(3), {id_of(1)}});
  expect_refused(c, "receipt: unknown kind");
}

TEST(ContentRuleTest, ReceiptWithoutIds) {
  expect_invalid(with_body(11, receipt_body(1, {})), "receipt: no ids");
  expect_refused(content_with(ReceiptContent{ReceiptKind::Read, {}}), "receipt: no ids");
}

TEST(ContentRuleTest, ReceiptWithTooManyIds) {
  const std::vector<Bytes> ids(kMaxReceiptIds + 1, bytes_of(16, 1));
  expect_invalid(with_body(11, receipt_body(2, ids)), "receipt: more than 800 ids");
  expect_refused(content_with(ReceiptContent{ReceiptKind::Read,
                                             std::vector<ContentId>(kMaxReceiptIds + 1, id_of(1))}),
                 "receipt: more than 800 ids");
}

TEST(ContentRuleTest, ReceiptIdNot16Bytes) {
  for (std::size_t size : {0u, 15u, 17u}) {
    expect_invalid(with_body(11, receipt_body(1, {bytes_of(16, 1), bytes_of(size, 1)})),
                   "receipt: id is not 16 bytes");
  }
}

TEST(ContentRuleTest, ReceiptIdAllZero) {
  expect_invalid(with_body(11, receipt_body(1, {bytes_of(16, 1), bytes_of(16, 0)})),
                 "receipt: id is all zero");
  expect_refused(content_with(ReceiptContent{ReceiptKind::Read, {id_of(1), ContentId{}}}),
                 "receipt: id is all zero");
}

TEST(ContentRuleTest, TimerOutOfRange) {
  for (std::uint32_t seconds : {1u, 4u, 604801u, 0xffffffffu}) {
    expect_invalid(with_body(13, Wire().varint(1, seconds)), "timer: outside");
    expect_refused(content_with(TimerContent{seconds}), "timer: outside");
  }
  expect_refused(content_with(TimerContent{0}), "timer: outside");
  EXPECT_FALSE(std::get<TimerContent>(decoded(with_body(13, Wire())).body).seconds);
}

TEST(ContentRuleTest, DeleteIdNot16Bytes) {
  for (std::size_t size : {0u, 15u, 17u}) {
    expect_invalid(with_body(14, Wire().bytes(1, bytes_of(size, 1))), "delete: id is not 16 bytes");
  }
}

TEST(ContentRuleTest, DeleteIdAllZero) {
  expect_invalid(with_body(14, Wire().bytes(1, bytes_of(16, 0))), "delete: id is all zero");
  expect_refused(content_with(DeleteContent{ContentId{}}), "delete: id is all zero");
}

TEST(ContentRuleTest, RouteRelayUrlBreaksTheLinkRules) {
  // Each breaks a rule of docs/protocol.md §2.5; the message is the rule's, after "route: ".
  for (std::string_view url :
       {"", "https://relay.example.org", "ws://relay.example.org", "wss://Relay.example.org",
        "wss://relay.example.org:443", "wss://user@relay.example.org"}) {
    SCOPED_TRACE(url);
    expect_invalid(with_body(15, route_body(url, "Alice")), "route: relay URL: ");
    RouteContent route;
    route.relay_url = std::string(url);
    route.send_id.fill(0x44);
    route.sender_key = good_key();
    route.display_name = "Alice";
    expect_refused(content_with(route), "route: relay URL: ");
  }
  const std::string long_url = "wss://" + std::string(63, 'a') + "." + std::string(59, 'b');
  ASSERT_EQ(long_url.size(), 129u);
  expect_invalid(with_body(15, route_body(long_url, "Alice")), "route: relay URL: longer");
}

TEST(ContentRuleTest, RouteSendIdNot16Bytes) {
  const auto key = good_key();
  for (std::size_t size : {0u, 15u, 17u}) {
    expect_invalid(
        with_body(15, route_body("wss://relay.example.org", "Alice", bytes_of(size, 0x44), key)),
        "route: send id is not 16 bytes");
  }
}

TEST(ContentRuleTest, RouteSenderKeyNot32Bytes) {
  for (std::size_t size : {0u, 31u, 33u}) {
    expect_invalid(with_body(15, route_body("wss://relay.example.org", "Alice", bytes_of(16, 0x44),
                                            bytes_of(size, 9))),
                   "route: sender key is not 32 bytes");
  }
}

TEST(ContentRuleTest, RouteSenderKeyLowOrder) {
  // u = 0 and u = 1 are points of small order: X25519 with them is all zero.
  for (int u : {0, 1}) {
    std::array<std::uint8_t, 32> key{};
    key[0] = static_cast<std::uint8_t>(u);
    expect_invalid(
        with_body(15, route_body("wss://relay.example.org", "Alice", bytes_of(16, 0x44), key)),
        "route: sender key is a low-order point");
    RouteContent route;
    route.relay_url = "wss://relay.example.org";
    route.send_id.fill(0x44);
    route.sender_key = key;
    route.display_name = "Alice";
    expect_refused(content_with(route), "route: sender key is a low-order point");
  }
}

TEST(ContentRuleTest, RouteDisplayNameBreaksTheNameRule) {
  expect_invalid(with_body(15, route_body("wss://relay.example.org", "")),
                 "route: display name: empty");
  expect_invalid(with_body(15, route_body("wss://relay.example.org", "Mallory\xe2\x80\xae")),
                 "route: display name: bidirectional");
}

// ---- the display-name rule (§13.4)
// ---------------------------------------------------------------

void expect_name_refused(std::string_view name, std::string_view rule) {
  SCOPED_TRACE(testing::PrintToString(std::string(name)));
  auto checked = check_display_name(name);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, ErrorCode::InvalidArgument);
  EXPECT_NE(checked.error().message.find(rule), std::string::npos) << checked.error();
  expect_invalid(with_body(15, route_body("wss://relay.example.org", name)),
                 "route: " + std::string(rule));
}

TEST(DisplayNameTest, Empty) { expect_name_refused("", "display name: empty"); }

TEST(DisplayNameTest, LongerThan64Bytes) {
  EXPECT_TRUE(check_display_name(std::string(64, 'a')));
  expect_name_refused(std::string(65, 'a'), "display name: longer than 64 bytes");
  // Counted in bytes: 16 four-byte characters fit, 16 and one more byte do not.
  std::string emoji;
  for (int i = 0; i < 16; ++i) emoji += "😀";
  EXPECT_TRUE(check_display_name(emoji));
  expect_name_refused(emoji + "a", "display name: longer than 64 bytes");
}

TEST(DisplayNameTest, NotUtf8) {
  for (const std::string& name : {"\xc0\xaf"s, "Al\xed\xa0\x80"s, "\xff"s, "a\xe2\x82"s}) {
    expect_name_refused(name, "display name: not valid UTF-8");
  }
}

TEST(DisplayNameTest, ControlCharacters) {
  for (const std::string& name : {"a\0b"s, "a\nb"s, "a\rb"s, "a\tb"s, "\x1b[31mred"s, "a\x1f"s,
                                  "a\x7f"s, "a\xc2\x80"s /* U+0080 */, "a\xc2\x85"s /* NEL */,
                                  "a\xc2\x9b"s /* CSI */, "a\xc2\x9f"s /* U+009F */}) {
    expect_name_refused(name, "display name: control character");
  }
  EXPECT_TRUE(
      check_display_name("a\xc2\xa0"
                         "b"));  // U+00A0, just after C1, is fine
}

TEST(DisplayNameTest, LineAndParagraphSeparators) {
  expect_name_refused(
      "a\xe2\x80\xa8"
      "b",
      "display name: line or paragraph separator");
  expect_name_refused(
      "a\xe2\x80\xa9"
      "b",
      "display name: line or paragraph separator");
}

TEST(DisplayNameTest, BidiEmbeddingsOverridesAndIsolates) {
  // U+202A … U+202E and U+2066 … U+2069.
  for (const std::string& c :
       {"\xe2\x80\xaa"s, "\xe2\x80\xab"s, "\xe2\x80\xac"s, "\xe2\x80\xad"s, "\xe2\x80\xae"s,
        "\xe2\x81\xa6"s, "\xe2\x81\xa7"s, "\xe2\x81\xa8"s, "\xe2\x81\xa9"s}) {
    expect_name_refused("Eve" + c + "gpj.exe", "display name: bidirectional");
  }
  // Their neighbours are not refused: U+2029 aside (its own rule), U+202F and U+2065, U+206A.
  for (const std::string& c : {"\xe2\x80\xaf"s, "\xe2\x81\xa5"s, "\xe2\x81\xaa"s}) {
    EXPECT_TRUE(check_display_name("a" + c + "b"));
  }
}

TEST(DisplayNameTest, OrdinaryNames) {
  for (std::string_view name : {"Alice", "Zoë", "李小龙", "مريم", "אבי", "👩‍💻 dev", "a",
                                " x ", "O'Brien-Smith (work)",
                                "a\xe2\x80\x8f"
                                "b" /* RLM: a mark */}) {
    EXPECT_TRUE(check_display_name(name)) << name;
  }
}

// ---- unknown content
// -----------------------------------------------------------------------------

TEST(ContentTest, UnknownBodyIsUnknownContent) {
  for (std::uint32_t field : {16u, 99u, 536870911u}) {
    Wire w = header();
    w.message(field, Wire().bytes(1, "something new").varint(2, 7));
    const Content c = decoded(w);
    EXPECT_TRUE(std::holds_alternative<UnknownContent>(c.body)) << field;
    EXPECT_EQ(c.id, id_of(0));  // the fields beside the body are read and checked all the same
    EXPECT_EQ(to_millis(c.sent_at), kSentAt);
  }
  // ... and they are checked: an unknown body does not excuse a bad id.
  Wire bad_id;
  bad_id.varint(1, 1).bytes(2, bytes_of(16, 0)).varint(3, 1).message(99, Wire());
  expect_invalid(bad_id, "content: id is all zero");
}

TEST(ContentTest, NewerReceiptKindIsUnknownContent) {
  const Content c = decoded(with_body(11, receipt_body(3, {bytes_of(16, 1)})));
  EXPECT_TRUE(std::holds_alternative<UnknownContent>(c.body));
}

TEST(ContentTest, UnknownContentIsNotWritten) {
  expect_refused(content_with(UnknownContent{}), "unknown body");
}

TEST(ContentTest, UnknownFieldsAreIgnored) {
  // Beside the body, inside each known body, and a newer body next to a known one.
  Wire text = text_body("hello", 30);
  text.varint(3, 1).bytes(15, "future");
  Wire w = header();
  w.varint(4, 12345).bytes(5, "future").message(10, text).message(99, Wire().varint(1, 1));
  const Content c = decoded(w);
  EXPECT_TRUE(same(c, content_with(TextContent{"hello", 30})));

  Wire route = route_body("wss://relay.example.org", "Alice");
  route.bytes(9, "future");
  EXPECT_TRUE(std::holds_alternative<RouteContent>(decoded(with_body(15, route)).body));
  EXPECT_TRUE(std::holds_alternative<ReceiptContent>(
      decoded(with_body(11, receipt_body(1, {bytes_of(16, 1)}).varint(3, 1))).body));
  EXPECT_TRUE(std::holds_alternative<TypingContent>(
      decoded(with_body(12, Wire().varint(1, 1).bytes(2, "x"))).body));
  EXPECT_TRUE(std::holds_alternative<TimerContent>(
      decoded(with_body(13, Wire().varint(1, 60).varint(2, 1))).body));
  EXPECT_TRUE(std::holds_alternative<DeleteContent>(
      decoded(with_body(14, Wire().bytes(1, bytes_of(16, 1)).varint(2, 1))).body));
}

// ---- damaged input
// ---------------------------------------------------------------------------------

TEST(ContentTest, EveryTruncationFailsCleanly) {
  RouteContent route;
  route.relay_url = "wss://relay.example.org";
  route.send_id.fill(0x44);
  route.sender_key = good_key();
  route.display_name = "Alice";
  for (const Content& c : {content_with(TextContent{"Hello, world", 30}), content_with(route),
                           content_with(ReceiptContent{ReceiptKind::Read, {id_of(1), id_of(2)}}),
                           content_with(DeleteContent{id_of(3)}), content_with(TimerContent{60})}) {
    auto encoded = encode_content(c);
    ASSERT_TRUE(encoded);
    for (std::size_t n = 0; n < encoded->size(); ++n) {
      auto result = decode_content(ByteView(encoded->data(), n));
      ASSERT_FALSE(result) << "prefix of " << n << " bytes decoded";
      EXPECT_EQ(result.error().code, ErrorCode::InvalidContent);
    }
  }
}

TEST(ContentTest, ErrorMessagesHoldNoContent) {
  const std::vector<Wire> inputs = {
      with_body(10, text_body("SECRET words \xff")),
      with_body(10, text_body("SECRET" + std::string(kMaxTextBytes, 'a'))),
      with_body(15, route_body("wss://SECRET.example.org", "Alice")),
      with_body(15, route_body("wss://relay.example.org", "SECRET\n")),
      with_body(15, route_body("wss://relay.example.org", "SECRET" + std::string(64, 'a'))),
  };
  for (const Wire& w : inputs) {
    auto result = decode_content(w.data());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message.find("SECRET"), std::string::npos) << result.error();
    EXPECT_EQ(result.error().message.find("secret"), std::string::npos) << result.error();
  }
}

}  // namespace
}  // namespace exile::engine::detail
