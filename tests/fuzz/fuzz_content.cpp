// Fuzz target for decode_content (engine/detail/content.h; format in docs/protocol.md §13): the
// plaintext of an envelope is whatever the peer's client chose to encrypt, so anything goes.
//
// Checks, for any input:
// - decoding never crashes, and fails only with InvalidContent or UnsupportedVersion;
// - a content that decodes to a known body encodes (encode accepts everything decode accepts),
//   within kMaxContentBytes, to bytes that decode to the same content and encode again to the
//   same bytes; an UnknownContent is refused by encode with InvalidArgument;
// - the same bytes read as a content's fields (the first byte picks the body, the rest fills
//   it) either fail to encode with InvalidArgument or encode to bytes that decode to the same
//   content: decode accepts everything encode writes.
//
// Seeds (tests/fuzz/seeds/content/): one content of each body (the text is the worked example
// of §13.7), an unknown body, a newer version, and a text with unknown fields beside and inside
// the body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/detail/content.h"

namespace {

using namespace exile;
using namespace exile::engine::detail;

bool same(const Content& a, const Content& b) { return a == b; }

// encoded must decode to `content` and encode again to the same bytes.
void check_round_trip(const Content& content, const SecureBytes& encoded) {
  if (encoded.size() > kMaxContentBytes) std::abort();
  auto again = decode_content(ByteView(encoded.data(), encoded.size()));
  if (!again || !same(*again, content)) std::abort();
  auto encoded_again = encode_content(*again);
  if (!encoded_again || *encoded_again != encoded) std::abort();
}

void decode_side(const std::uint8_t* data, std::size_t size) {
  auto content = decode_content(ByteView(data, size));
  if (!content) {
    const ErrorCode code = content.error().code;
    if (code != ErrorCode::InvalidContent && code != ErrorCode::UnsupportedVersion) std::abort();
    return;
  }
  auto encoded = encode_content(*content);
  if (std::holds_alternative<UnknownContent>(content->body)) {
    if (encoded || encoded.error().code != ErrorCode::InvalidArgument) std::abort();
    return;
  }
  if (!encoded) std::abort();
  check_round_trip(*content, *encoded);
}

// Reads fixed-size fields from the front of the input, zeros once it runs out.
struct Reader {
  const std::uint8_t* data;
  std::size_t size;
  std::uint8_t byte() {
    if (size == 0) return 0;
    --size;
    return *data++;
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | byte();
    return v;
  }
  template <std::size_t N>
  std::array<std::uint8_t, N> array() {
    std::array<std::uint8_t, N> out{};
    for (auto& b : out) b = byte();
    return out;
  }
  std::string string(std::size_t n) {
    n = std::min(n, size);
    std::string out(reinterpret_cast<const char*>(data), n);
    data += n;
    size -= n;
    return out;
  }
};

std::optional<std::uint32_t> timer(Reader& r) {
  const std::uint32_t v = r.u32();
  return v == 0 ? std::nullopt : std::optional<std::uint32_t>(v);
}

void encode_side(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  Reader r{data, size};
  Content content;
  const std::uint8_t kind = r.byte();
  content.id = r.array<kContentIdBytes>();
  content.sent_at = from_millis(static_cast<std::int64_t>(r.u32()) - 1000);  // some negative
  switch (kind % 6) {
    case 0: {
      auto seconds = timer(r);
      content.body = TextContent{r.string(r.size), seconds};
      break;
    }
    case 1: {
      ReceiptContent receipt;
      receipt.kind = static_cast<ReceiptKind>(r.byte() % 4);
      const std::size_t count = r.byte();
      for (std::size_t i = 0; i < count && r.size > 0; ++i) {
        receipt.ids.push_back(r.array<kContentIdBytes>());
      }
      content.body = std::move(receipt);
      break;
    }
    case 2: content.body = TypingContent{(r.byte() & 1) != 0}; break;
    case 3: content.body = TimerContent{timer(r)}; break;
    case 4: content.body = DeleteContent{r.array<kContentIdBytes>()}; break;
    default: {
      RouteContent route;
      route.send_id = r.array<16>();
      route.sender_key = r.array<32>();
      route.relay_url = r.string(r.byte());
      route.display_name = r.string(r.size);
      content.body = std::move(route);
      break;
    }
  }
  auto encoded = encode_content(content);
  if (!encoded) {
    if (encoded.error().code != ErrorCode::InvalidArgument) std::abort();
    return;
  }
  check_round_trip(content, *encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  decode_side(data, size);
  encode_side(data, size);
  return 0;
}
