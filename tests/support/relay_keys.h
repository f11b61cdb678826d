// Queue key pairs for the tests of the relay and of its client: real X25519 keys from the
// system's generator, since the relay refuses keys it cannot use (wire::acceptable_queue_key).
#pragma once

#include "common/rng.h"
#include "relay/wire/wire.h"

namespace exile::test {

// A fresh key pair from the system's generator.
inline relay::wire::KeyPair new_key_pair() {
  SystemRng rng;
  return relay::wire::generate_key_pair(rng);
}

}  // namespace exile::test
