// Fuzz target for PreKeyBundle::parse (docs/protocol.md §"Prekey bundle").
//
// Checks, for any input: parse() never crashes; a bundle that parses can be checked with
// verify_signature() and serializes back to exactly the input bytes (the format has one
// encoding per bundle, so a relay or peer cannot make two byte strings mean the same bundle).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "crypto/prekeys.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exile;
  using namespace exile::crypto;
  const ByteView input(data, size);
  auto bundle = PreKeyBundle::parse(input);
  if (!bundle) return 0;
  auto verified = bundle->verify_signature();
  if (!verified && verified.error().code != ErrorCode::BadSignature) std::abort();
  if (bundle->kind == BundleKind::Reset && bundle->one_time_prekey) std::abort();
  const Bytes again = bundle->serialize();
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();
  return 0;
}
