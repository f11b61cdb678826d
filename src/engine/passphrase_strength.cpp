// passphrase_strength (engine.h): an offline estimate, deliberately simple and documented in
// docs/engine.md ("Passphrases"): bits = effective length × log2(alphabet).
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "common/secure_buffer.h"
#include "engine/engine.h"

namespace exile::engine {
namespace {

// The passphrase's code points: a copy of the secret, so in memory that is wiped when freed.
using CodePoints = std::vector<char32_t, SecureAllocator<char32_t>>;

CodePoints code_points(std::string_view s) {
  CodePoints out;
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
char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// How often `word` (lower case) occurs in `text`, ASCII case ignored; read in place, never copied.
std::size_t occurrences(std::string_view text, std::string_view word) {
  std::size_t n = 0;
  for (std::size_t at = 0; at + word.size() <= text.size(); ++at) {
    const auto here = text.begin() + static_cast<std::ptrdiff_t>(at);
    if (std::equal(word.begin(), word.end(), here,
                   [](char w, char t) { return w == lower_ascii(t); })) {
      ++n;
    }
  }
  return n;
}

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
  for (auto word : kCommon) {
    effective -= static_cast<double>(occurrences(passphrase, word) * (word.size() - 1));
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
