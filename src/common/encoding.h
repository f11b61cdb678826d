// Hex and base64 encodings. Every function here runs in time independent of the byte
// values (libsodium's sodium_bin2hex / sodium_hex2bin / sodium_bin2base64 /
// sodium_base642bin), so they may be used on secrets (recovery codes, exported keys).
// Results that hold secrets should be kept in SecureBytes and wiped.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "common/secure_buffer.h"

namespace exile {

enum class Base64Variant {
  Standard,      // RFC 4648 §4 with '=' padding
  UrlNoPadding,  // RFC 4648 §5 without padding: links and QR payloads
};

std::string to_hex(ByteView data);
Result<Bytes> from_hex(std::string_view text);
Result<SecureBytes> secret_from_hex(std::string_view text);

std::string to_base64(ByteView data, Base64Variant variant = Base64Variant::Standard);
Result<Bytes> from_base64(std::string_view text, Base64Variant variant = Base64Variant::Standard);
Result<SecureBytes> secret_from_base64(std::string_view text,
                                       Base64Variant variant = Base64Variant::Standard);

}  // namespace exile
