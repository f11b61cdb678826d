// Every protocol limit and constant of the crypto core, in one place, with its reason.
// docs/protocol.md states the same numbers; change both together.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace exile::crypto {

using namespace std::chrono_literals;

// Message keys derived ahead of a gap in one receiving chain. A message further ahead is
// rejected before any key is derived, so a forged counter cannot make us burn CPU.
inline constexpr std::uint32_t kMaxSkip = 1000;
// Skipped message keys kept per session, oldest evicted first: bounds memory and state size.
inline constexpr std::size_t kMaxSkippedKeys = 2000;
// Skipped keys older than this are dropped: a message that late is treated as lost.
inline constexpr std::chrono::milliseconds kSkippedKeyLifetime = 30 * 24h;
// Receiving chains whose skipped keys are kept, oldest chain evicted whole at commit. Every
// such chain is one more header key that a garbage envelope must be tried against, so this
// caps the work per garbage envelope at 2 + kMaxPastChains + kMaxSkippedChains header
// trials (HKr, NHKr, past chains, skipped-key chains). Five chains are five turns of the
// peer: a message still missing after the peer has spoken five more times is treated as lost.
inline constexpr std::size_t kMaxSkippedChains = 5;
// Past receiving chains remembered (header key and length) to tell a late duplicate from
// garbage.
inline constexpr std::size_t kMaxPastChains = 5;

// Padding buckets for the plaintext inside an envelope (PROTOCOL.md §2).
inline constexpr std::size_t kPaddingBuckets[] = {1024, 4096, 16384, 65536};
// Largest plaintext: padding adds at least one byte (ISO/IEC 7816-4 marker).
inline constexpr std::size_t kMaxPlaintext = 65536 - 1;

// Prekeys (PROTOCOL.md §1).
inline constexpr auto kSignedPreKeyRotation = 7 * 24h;
inline constexpr auto kSignedPreKeyRetention = 30 * 24h;
inline constexpr std::size_t kOneTimePreKeysPublished = 100;
inline constexpr std::size_t kOneTimePreKeysRefillBelow = 20;

// Safety numbers (Signal's NumericFingerprint construction, Exile's version prefix).
inline constexpr std::uint32_t kFingerprintIterations = 5200;

}  // namespace exile::crypto
