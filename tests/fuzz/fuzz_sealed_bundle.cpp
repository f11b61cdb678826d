// Fuzz target for open_contact_bundle and decode_one_time_key (docs/protocol.md §3.6), the two
// readers of what a relay hands out for a contact address.
//
// Checks, for any input: neither crashes. A sealed bundle that opens (under the fixed key of
// the document's example, so the seeds can hold valid ones) is a contact bundle without a
// one-time prekey, and sealing it again with the input's own nonce gives exactly the input: the
// format has one encoding per bundle and nonce. A one-time key that decodes encodes back to
// exactly the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "crypto/contact_bundle.h"

namespace {

// Hands out the given bytes as its randomness: the nonce of the input being re-sealed.
class ReplayRng final : public exile::Rng {
 public:
  explicit ReplayRng(exile::ByteView bytes) : bytes_(bytes) {}
  void fill(exile::MutableByteView out) override {
    if (out.size() != bytes_.size()) std::abort();
    std::copy(bytes_.begin(), bytes_.end(), out.begin());
  }

 private:
  exile::ByteView bytes_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exile;
  using namespace exile::crypto;
  const ByteView input(data, size);

  static const SecureBuffer<kBundleKeyBytes>* const key = [] {
    auto* made = new SecureBuffer<kBundleKeyBytes>();
    for (std::size_t i = 0; i < kBundleKeyBytes; ++i)
      made->data()[i] = static_cast<std::uint8_t>(0x40 + i);
    return made;
  }();

  if (auto bundle = open_contact_bundle(input, *key)) {
    if (bundle->kind != BundleKind::Contact || bundle->one_time_prekey) std::abort();
    ReplayRng nonce(input.subspan(1, 24));
    auto again = seal_contact_bundle(*bundle, *key, nonce);
    if (!again || !std::equal(again->begin(), again->end(), input.begin(), input.end())) {
      std::abort();
    }
  }

  if (auto one_time = decode_one_time_key(input)) {
    const Bytes again = encode_one_time_key(*one_time);
    if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();
  }
  return 0;
}
