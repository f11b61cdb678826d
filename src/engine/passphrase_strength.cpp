// passphrase_strength (engine.h): an offline estimate, deliberately simple and documented in
// docs/engine.md ("Passphrases"): bits = effective length × log2(alphabet).
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace exile::engine {
namespace {

std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t n = b < 0x80           ? 1
                          : (b >> 5) == 0x6  ? 2
                          : (b >> 4) == 0xE  ? 3
                          : (b >> 3) == 0x1E ? 4
                                             : 1;
    char32_t c = n == 1 ? char32_t{b} : static_cast<char32_t>(b & (0x3Fu >> (n - 1)));
    std::size_t k = 1;
    for (; k < n && i + k < s.size(); ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) break;
      c = (c << 6) | (next & 0x3F);
    }
    out.push_back(k == n ? c : b);  // a broken sequence counts byte by byte
    i += k == n ? n : 1;
  }
  return out;
}

// Words that guessers try first; each found costs its length minus one.
constexpr std::array<std::string_view, 10> kCommon = {"password", "qwerty", "123456",  "letmein",
                                                      "iloveyou", "admin",  "welcome", "monkey",
                                                      "dragon",   "exile"};

}  // namespace

PassphraseStrength passphrase_strength(std::string_view passphrase) {
  const auto cps = code_points(passphrase);
  bool lower = false, upper = false, digit = false, symbol = false, other = false;
  for (char32_t c : cps) {
    if (c >= 'a' && c <= 'z')
      lower = true;
    else if (c >= 'A' && c <= 'Z')
      upper = true;
    else if (c >= '0' && c <= '9')
      digit = true;
    else if (c < 0x80)
      symbol = true;
    else
      other = true;
  }
  const double alphabet = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) +
                          (symbol ? 33 : 0) + (other ? 1000 : 0);
  // A character repeating, or continuing a run (abc, 321), adds a quarter of one.
  double effective = 0;
  for (std::size_t i = 0; i < cps.size(); ++i) {
    const bool predictable =
        i > 0 && (cps[i] == cps[i - 1] || cps[i] + 1 == cps[i - 1] || cps[i] == cps[i - 1] + 1);
    effective += predictable ? 0.25 : 1.0;
  }
  std::string folded(passphrase);
  std::transform(folded.begin(), folded.end(), folded.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  for (auto word : kCommon) {
    for (auto at = folded.find(word); at != std::string::npos; at = folded.find(word, at + 1)) {
      effective -= static_cast<double>(word.size()) - 1;
    }
  }
  // The whole passphrase repeating a shorter unit ("abcdabcd") is worth the unit and a little.
  for (std::size_t unit = 1; unit <= cps.size() / 2; ++unit) {
    if (cps.size() % unit != 0) continue;
    bool repeats = true;
    for (std::size_t i = unit; i < cps.size() && repeats; ++i) repeats = cps[i] == cps[i - unit];
    if (repeats) {
      effective = std::min(effective, static_cast<double>(unit) + 0.5);
      break;
    }
  }
  PassphraseStrength out;
  out.bits = alphabet > 1 ? std::max(0.0, effective) * std::log2(alphabet) : 0;
  out.score = out.bits < 25 ? 0 : out.bits < 40 ? 1 : out.bits < 50 ? 2 : out.bits < 70 ? 3 : 4;
  out.acceptable = effective >= 10 && out.bits >= 50;
  return out;
}

}  // namespace exile::engine
