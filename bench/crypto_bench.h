// exile_bench_crypto: Exile's crypto core against libolm on the same work, and the libsodium
// primitives each Exile case is made of (docs/performance.md §"Crypto core").
//
// Files: crypto_exile.cpp and crypto_olm.cpp hold the cases (Exile/<Case>, Olm/<Case>),
// crypto_primitives.cpp the floor (Primitives/<name>), crypto_recipe.cpp the recipe (which
// primitives, how many times, per Exile case), crypto_calls.cpp the libsodium call counters
// that check the recipe, crypto_bench.cpp main().
//
// The recipe check: the binary is linked with --wrap for the libsodium entry points the
// crypto core calls (bench/CMakeLists.txt), so every call made by Exile's code or by this
// benchmark's code goes through a counter. At start-up each primitive's body and each Exile
// case's timed region run once under the counters; the recipe is right when, for every
// counted entry point, the case's count equals the sum over its primitives of
// count x the primitive's own calls. The result goes into the JSON context (scripts/bench
// prints it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exile::bench {

// The plaintext of every case: a short text message (padded to the 1 KiB bucket by Exile).
inline constexpr std::size_t kMessageBytes = 100;
// The message whose decryption Skip1000 times is the 1001st of its chain.
inline constexpr std::uint32_t kSkipGap = 1000;

// Counted libsodium entry points. Keep in step with EXILE_BENCH_WRAPPED in CMakeLists.txt and
// the wrappers in crypto_calls.cpp.
enum class SodiumCall : std::size_t {
  Scalarmult,          // crypto_scalarmult
  ScalarmultBase,      // crypto_scalarmult_base
  SignVerifyDetached,  // crypto_sign_verify_detached
  PkToCurve25519,      // crypto_sign_ed25519_pk_to_curve25519
  HmacSha256,          // crypto_auth_hmacsha256 (one shot)
  HmacSha256Init,      // crypto_auth_hmacsha256_init
  HmacSha256Final,     // crypto_auth_hmacsha256_final
  AeadEncryptLarge,    // crypto_aead_xchacha20poly1305_ietf_encrypt[_detached], >= 256 B
  AeadEncryptSmall,    //   ... < 256 B
  AeadDecryptLarge,    // crypto_aead_xchacha20poly1305_ietf_decrypt[_detached], >= 256 B
  AeadDecryptSmall,    //   ... < 256 B
  RandomBytes,         // randombytes_buf
  Sha256,              // crypto_hash_sha256 (one shot)
  Sha256Final,         // crypto_hash_sha256_final
  Sha512Final,         // crypto_hash_sha512_final and crypto_hash_sha512
  GenericHash,         // crypto_generichash (BLAKE2b)
  SignDetached,        // crypto_sign_detached
  EdValidPoint,        // crypto_core_ed25519_is_valid_point
  SodiumMalloc,        // sodium_malloc (guarded page allocation: mmap, mprotect, mlock)
  SodiumFree,          // sodium_free
  SodiumMlock,         // sodium_mlock (SecureBytes allocations)
  SodiumMunlock,       // sodium_munlock
  kCount,
};
inline constexpr std::size_t kSodiumCallCount = static_cast<std::size_t>(SodiumCall::kCount);
using CallCounts = std::array<std::uint64_t, kSodiumCallCount>;

[[nodiscard]] std::string_view call_name(SodiumCall call);
// Memory management calls: not cryptography, not part of the floor; reported for diagnosis.
[[nodiscard]] bool is_overhead(SodiumCall call);
[[nodiscard]] CallCounts& call_counts();

// A benchmark's work: `run` is the timed region, `prepare` (optional) runs untimed before
// each run (Skip1000 restores the receiver's session there).
struct Work {
  std::function<bool()> prepare;
  std::function<bool()> run;
};

// A benchmark as data, so that main() can both register it and run it once under the call
// counters: make() does the untimed setup and returns the work, or nothing if setup failed.
// `iterations` runs are counted and the counts divided by it (PingPong alternates
// directions: two runs make one message each way).
struct Probe {
  std::string name;  // the benchmark's name, e.g. "Exile/OneWay", "Primitives/X25519"
  int iterations = 1;
  std::function<std::optional<Work>()> make;
};

[[nodiscard]] std::vector<Probe> exile_probes();
[[nodiscard]] std::vector<Probe> primitive_probes();

// The recipe: how many times each Exile case performs each primitive (by its name under
// Primitives/), from reading src/crypto. crypto_recipe.cpp.
struct RecipeItem {
  std::string_view primitive;
  double count;
};
struct CaseRecipe {
  std::string_view exile_case;  // "SessionSetup", ...
  std::vector<RecipeItem> items;
};
[[nodiscard]] const std::vector<CaseRecipe>& recipes();

// Runs the probes, checks the recipes against the counted calls and records both in the
// benchmark context. Returns false when a recipe does not match.
bool check_recipes_and_add_context();

}  // namespace exile::bench
