// The recipe: which libsodium primitives each Exile case performs, and how many times, read
// from src/crypto (x3dh.cpp, session.cpp, detail/chain.cpp, detail/ratchet_send.cpp,
// detail/ratchet_receive.cpp). A case's floor is the sum of count x median of
// Primitives/<name> (scripts/bench). main() checks every line against the libsodium calls the
// case really makes (crypto_bench.h); when the crypto core changes, the check says which
// count to update here.
//
// The building blocks, as the crypto core does them:
//   KDF_CK (chain step)  HmacSha256Key(CK): one key schedule, two MACs
//                        = HmacSha256 + HmacSha256KeyedMac
//   message keys         extract under the process-wide zero-salt key, then HKDF-Expand to
//                        56 bytes (info = label ‖ header nonce, 44 bytes) = HmacSha256KeyedMac +
//                        (HmacSha256 + HmacSha256KeyedMac)
//   KDF_RK               hkdf_sha256 to 96 bytes = HkdfSha256_96
//   X3DH secret          hkdf_sha256 to 96 bytes over 0xFF*32 || DH1..DH4 = HkdfSha256_96
//                        (its 160-byte IKM costs two more SHA-256 blocks than the benchmark's
//                        32-byte one: the floor is a little low there)
//   X3DH seal key        hkdf_sha256 to 32 bytes = HkdfSha256_32
//   replay id            SHA-256 over 24 + 95 bytes = Sha256_32B (two blocks to the
//                        benchmark's one: the floor is a little low there)
//   send ratchet step    32 random bytes, X25519Base, X25519, KDF_RK
//   receive ratchet step X25519, KDF_RK
//   header               XChaCha20-Poly1305 over 40 bytes; a receiver tries HKr before
//                        NHKr, so a message on a new chain costs two header decryptions (the
//                        failed one checks the tag and stops, a little cheaper)
//   body                 XChaCha20-Poly1305 over the 1 KiB bucket
#include "crypto_bench.h"

namespace exile::bench {

const std::vector<CaseRecipe>& recipes() {
  static const std::vector<CaseRecipe> kRecipes = {
      {"SessionSetup",
       {
           // Alice: x3dh_initiate (DH1..DH4, ephemeral key), Session::initiate (ratchet key
           // and KDF_RK); Bob: x3dh_respond (DH3 for the seal, DH1, DH2, DH4), then the
           // receive half of a ratchet step on the first message.
           {"X25519", 4 + 1 + 4 + 1},
           {"X25519Base", 1 + 1},
           {"Ed25519Verify", 1},                     // the signed prekey's signature (Alice)
           {"Ed25519PkToCurve25519", 1},             // Bob parses IK_A from the sealed header
           {"Sha256_32B", 1 + 1},                    // Alice's bundle check, Bob's replay id
           {"HkdfSha256_96", 2 + 1 + 1},             // X3DH secret x2, KDF_RK x2
           {"HkdfSha256_32", 2},                     // seal key, both sides
           {"HmacSha256", 2 + 2},                    // KDF_CK x2, message keys x2
           {"HmacSha256KeyedMac", 2 + 4},            // KDF_CK x2, message keys x2
           {"XChaCha20Poly1305Encrypt_40B", 1 + 1},  // sealed IK_A (39 B), header
           {"XChaCha20Poly1305Decrypt_40B", 1 + 1},
           {"XChaCha20Poly1305Encrypt_1KiB", 1},
           {"XChaCha20Poly1305Decrypt_1KiB", 1},
           {"RandomBytes32", 1 + 1},  // ephemeral key, ratchet key
           {"RandomBytes24", 1},      // header nonce
       }},
      {"OneWay",
       {
           {"HmacSha256", 2 + 2},          // KDF_CK x2 (send, receive), message keys x2
           {"HmacSha256KeyedMac", 2 + 4},  // KDF_CK x2, message keys x2
           {"XChaCha20Poly1305Encrypt_40B", 1},
           {"XChaCha20Poly1305Decrypt_40B", 1},  // HKr opens it
           {"XChaCha20Poly1305Encrypt_1KiB", 1},
           {"XChaCha20Poly1305Decrypt_1KiB", 1},
           {"RandomBytes24", 1},
       }},
      {"PingPong",
       {
           // Sender: the deferred send half of a ratchet step, then a chain step; receiver:
           // the receive half, then a chain step.
           {"X25519", 1 + 1},
           {"X25519Base", 1},
           {"HkdfSha256_96", 1 + 1},
           {"HmacSha256", 2 + 2},
           {"HmacSha256KeyedMac", 2 + 4},
           {"XChaCha20Poly1305Encrypt_40B", 1},
           {"XChaCha20Poly1305Decrypt_40B", 2},  // HKr fails, NHKr opens it
           {"XChaCha20Poly1305Encrypt_1KiB", 1},
           {"XChaCha20Poly1305Decrypt_1KiB", 1},
           {"RandomBytes32", 1},
           {"RandomBytes24", 1},
       }},
      {"Skip1000",
       {
           // The 1001st message of a new chain: the receive half of a ratchet step, 1000
           // skipped keys and the message's own (KDF_CK x1001), one message-key expansion.
           {"X25519", 1},
           {"HkdfSha256_96", 1},
           {"HmacSha256", kSkipGap + 1 + 1},
           {"HmacSha256KeyedMac", kSkipGap + 1 + 2},
           {"XChaCha20Poly1305Decrypt_40B", 2},  // HKr fails, NHKr opens it
           {"XChaCha20Poly1305Decrypt_1KiB", 1},
       }},
      {"GarbageWorst",
       {
           // An envelope that opens under no key: one header trial per known header key,
           // HKr + NHKr + kMaxPastChains + kMaxSkippedChains = 12 (docs/protocol.md §5.10).
           {"XChaCha20Poly1305Decrypt_40B", 12},
       }},
  };
  return kRecipes;
}

}  // namespace exile::bench
