// Session::decrypt on untrusted envelopes (docs/protocol.md §"Envelope"). Every input
// runs against a copy (its saved state, deserialized) of a fixed receiving session and must
// never crash, leak or trip a sanitizer; a failed decrypt must leave the state unchanged.
//
// The first input byte chooses the receiver (bit 0) and the mode (bits 1-2):
//   0: the rest is the envelope, as is;
//   1: the rest edits a real envelope (fuzz_session_fixture.h, mutate());
//   2: a forged header: the rest chooses one of the receiver's own header keys, the ratchet
//      key, PN and N, which are sealed properly, so that the counter and skip logic behind
//      the header AEAD is reached; the body is fuzzer bytes.
#include <cstdint>
#include <cstdlib>

#include "crypto/detail/envelope.h"
#include "crypto/limits.h"
#include "fuzz_session_fixture.h"
#include "state.pb.h"

namespace {

using namespace exile;

Bytes forge(const crypto::Session& receiver, ByteView input) {
  pb::SessionState state;
  const SecureBytes saved = receiver.serialize();
  if (!state.ParseFromArray(saved.data(), static_cast<int>(saved.size()))) std::abort();
  std::vector<std::string> keys;
  for (const std::string* k : {&state.recv_header_key(), &state.next_recv_header_key()}) {
    if (!k->empty()) keys.push_back(*k);
  }
  for (const auto& past : state.past_chains()) keys.push_back(past.header_key());
  for (const auto& chain : state.skipped_chains()) keys.push_back(chain.header_key());

  ByteReader in(input);
  std::uint8_t which = 0, bucket = 0, real_key = 0;
  crypto::detail::Header header;
  header.ratchet_key = std::array<std::uint8_t, 32>{};
  if (!in.read_u8(which) || !in.read_u8(real_key) || !in.read_u32(header.previous_count) ||
      !in.read_u32(header.count) || !in.read_u8(bucket)) {
    return {};
  }
  if ((real_key & 1) != 0) {
    header.ratchet_key[0] = 9;  // the base point: valid, and a fixed DH result
  } else if (!in.read(header.ratchet_key)) {
    return {};
  }
  const std::string& hk = keys[which % keys.size()];
  const std::size_t body_size = crypto::kPaddingBuckets[bucket % 4] + 16;
  Bytes envelope(crypto::detail::kBodyOffset + body_size);
  envelope[0] = crypto::detail::kRatchetType;
  const ByteView nonce(envelope.data() + 1, 24);
  crypto::detail::seal_header(
      std::span<std::uint8_t, crypto::detail::kSealedHeaderBytes>(
          envelope.data() + crypto::detail::kSealedHeaderOffset,
          crypto::detail::kSealedHeaderBytes),
      header,
      std::span<const std::uint8_t, 32>(reinterpret_cast<const std::uint8_t*>(hk.data()), 32),
      nonce, as_bytes(state.associated_data()));
  const ByteView rest = in.rest();
  for (std::size_t i = 0; i < rest.size() && i < body_size; ++i) {
    envelope[crypto::detail::kBodyOffset + i] = rest[i];
  }
  return envelope;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  fuzz::SessionFixture& f = fuzz::session_fixture();
  const int who = data[0] & 1;
  const int mode = (data[0] >> 1) % 3;
  const ByteView rest(data + 1, size - 1);
  // A fresh copy of the receiver for each input, through the saved-state format.
  crypto::Session receiver = fuzz::must(
      crypto::Session::deserialize(f.receivers[static_cast<std::size_t>(who)].serialize()));

  Bytes envelope;
  if (mode == 0) {
    envelope.assign(rest.begin(), rest.end());
  } else if (mode == 1) {
    if (rest.empty()) return 0;
    envelope = fuzz::mutate(f.envelopes[rest[0] % f.envelopes.size()], rest.subspan(1));
  } else {
    envelope = forge(receiver, rest);
  }

  const SecureBytes before = receiver.serialize();
  auto plaintext = receiver.decrypt(envelope, f.now);
  if (!plaintext) {
    const SecureBytes after = receiver.serialize();
    if (before != after) std::abort();  // all-or-nothing violated
  }
  return 0;
}
