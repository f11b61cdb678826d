// Session::deserialize on untrusted bytes (proto/state.proto; docs/protocol.md
// §"Session state"). It must fail cleanly or give a session that serializes back to a state
// that loads again to the same bytes, and that can encrypt and decrypt without crashing.
//
// The first input byte chooses the mode: odd, the rest edits a real saved state (Alice's or
// Bob's from the fixture, by bit 1; fuzz_session_fixture.h, mutate()); even, the rest is the
// state as is.
#include <cstdint>
#include <cstdlib>

#include "fuzz_session_fixture.h"

using namespace exile;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  fuzz::SessionFixture& f = fuzz::session_fixture();
  Bytes input;
  if ((data[0] & 1) != 0) {
    const SecureBytes saved = f.receivers[(data[0] >> 1) & 1].serialize();
    input = fuzz::mutate(Bytes(saved.begin(), saved.end()), ByteView(data + 1, size - 1));
  } else {
    input.assign(data + 1, data + size);
  }

  auto session = crypto::Session::deserialize(input);
  if (!session) return 0;
  const SecureBytes saved = session->serialize();
  auto reloaded = crypto::Session::deserialize(view(saved));
  if (!reloaded || reloaded->serialize() != saved) std::abort();

  DeterministicRng rng(size);
  auto envelope = session->encrypt(as_bytes("fuzz"), rng);
  if (envelope) (void)reloaded->decrypt(*envelope, f.now);
  for (std::size_t i = 0; i < f.envelopes.size(); ++i)
    (void)session->decrypt(f.envelopes[i], f.now);
  return 0;
}
