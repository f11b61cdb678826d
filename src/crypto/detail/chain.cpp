#include "crypto/detail/chain.h"

#include <algorithm>
#include <cstdlib>

#include "common/bytes.h"
#include "crypto/hkdf.h"

namespace exile::crypto::detail {
namespace {

constexpr std::string_view kRatchetInfo = "Exile_Ratchet_v1";
constexpr std::string_view kMessageKeysInfo = "Exile_MessageKeys_v1";
constexpr std::uint8_t kMessageKeyConstant[1] = {0x01};
constexpr std::uint8_t kChainKeyConstant[1] = {0x02};

// HKDF-Extract with the all-zero salt of the message-key derivation: the keyed HMAC state is
// computed once per process instead of once per message.
const HmacSha256Key& zero_salt_key() {
  static const std::uint8_t zeros[kHmacSha256Bytes] = {};
  static const HmacSha256Key key{ByteView(zeros)};
  return key;
}

}  // namespace

void kdf_rk(Key32 root_out, Key32 chain_out, Key32 next_header_out, ConstKey32 root_in,
            ConstKey32 dh_output) {
  TempSecret<96> okm;
  // Cannot fail: 96 bytes is far below HKDF's limit.
  if (!hkdf_sha256(okm.span(), root_in, dh_output, as_bytes(kRatchetInfo))) std::abort();
  std::copy_n(okm.data(), 32, root_out.data());
  std::copy_n(okm.data() + 32, 32, chain_out.data());
  std::copy_n(okm.data() + 64, 32, next_header_out.data());
}

void kdf_ck(Key32 message_key_out, Key32 chain_out, ConstKey32 chain_in) {
  const HmacSha256Key ck(chain_in);  // one key schedule for both MACs
  ck.mac(message_key_out, kMessageKeyConstant);
  ck.mac(chain_out, kChainKeyConstant);
}

void expand_message_key(MessageKeys& out, ConstKey32 message_key, ByteView header_nonce) {
  if (header_nonce.size() != kAeadNonceBytes) std::abort();
  std::uint8_t info[kMessageKeysInfo.size() + kAeadNonceBytes];
  std::copy(kMessageKeysInfo.begin(), kMessageKeysInfo.end(), info);
  std::copy(header_nonce.begin(), header_nonce.end(), info + kMessageKeysInfo.size());
  TempSecret<kHmacSha256Bytes> prk;
  zero_salt_key().mac(prk.span(), message_key);
  if (!hkdf_expand(out.bytes.span(), prk.view(), ByteView(info))) std::abort();
}

}  // namespace exile::crypto::detail
