// Verification: safety numbers, the key image and the QR payload (PROTOCOL.md §3; exact
// construction in docs/protocol.md §"Safety numbers").
#pragma once

#include <array>
#include <string>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/keys.h"

namespace exile::crypto {

inline constexpr std::size_t kSafetyNumberDigits = 60;
inline constexpr std::size_t kFingerprintHashBytes = 32;
inline constexpr std::size_t kKeyImageSide = 12;  // 12 x 12 cells, 4 colours each

enum class QrMatch {
  Match,            // the peer sees the same two keys
  Mismatch,         // different keys: do not trust this chat
  VersionMismatch,  // the peer's app uses another safety-number version
  Malformed,        // not an Exile safety-number payload
};

struct KeyImage {
  std::array<std::uint8_t, kKeyImageSide * kKeyImageSide> cells{};  // each 0..3
};

class SafetyNumber {
 public:
  // The same number on both sides: the two halves are ordered, lower first.
  [[nodiscard]] static SafetyNumber compute(const IdentityPublicKey& local,
                                            const IdentityPublicKey& remote);

  [[nodiscard]] const std::string& digits() const { return digits_; }  // 60 digits
  [[nodiscard]] std::string display() const;  // 12 groups of 5, space separated
  [[nodiscard]] const KeyImage& key_image() const { return image_; }

  // What our QR code shows, and the check of what we scanned from the peer's screen.
  [[nodiscard]] Bytes qr_payload() const;

 private:
  friend QrMatch compare_qr_payload(const SafetyNumber& ours, ByteView scanned);
  std::string digits_;
  std::array<std::uint8_t, kFingerprintHashBytes> local_{};
  std::array<std::uint8_t, kFingerprintHashBytes> remote_{};
  KeyImage image_;
};

[[nodiscard]] QrMatch compare_qr_payload(const SafetyNumber& ours, ByteView scanned);

}  // namespace exile::crypto
