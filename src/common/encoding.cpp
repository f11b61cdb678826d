#include "common/encoding.h"

#include <sodium.h>

namespace exile {
namespace {

int sodium_variant(Base64Variant variant) {
  return variant == Base64Variant::Standard ? sodium_base64_VARIANT_ORIGINAL
                                            : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
}

template <class Out>
Result<Out> decode_hex(std::string_view text) {
  ensure_sodium();
  if (text.size() % 2 != 0) return fail(ErrorCode::InvalidEncoding, "hex: odd length");
  // sodium_hex2bin's output pointer is declared nonnull; an empty vector's data() may be null.
  if (text.empty()) return Out{};
  Out out(text.size() / 2);
  std::size_t written = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end) !=
          0 ||
      written != out.size() || end != text.data() + text.size()) {
    return fail(ErrorCode::InvalidEncoding, "hex: invalid character");
  }
  return out;
}

template <class Out>
Result<Out> decode_base64(std::string_view text, Base64Variant variant) {
  ensure_sodium();
  Out out(text.size() / 4 * 3 + 3);
  std::size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end,
                        sodium_variant(variant)) != 0 ||
      end != text.data() + text.size()) {
    return fail(ErrorCode::InvalidEncoding, "base64: invalid input");
  }
  out.resize(written);
  return out;
}

}  // namespace

std::string to_hex(ByteView data) {
  ensure_sodium();
  std::string out(data.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data.data(), data.size());
  out.pop_back();
  return out;
}

Result<Bytes> from_hex(std::string_view text) { return decode_hex<Bytes>(text); }
Result<SecureBytes> secret_from_hex(std::string_view text) { return decode_hex<SecureBytes>(text); }

std::string to_base64(ByteView data, Base64Variant variant) {
  ensure_sodium();
  const int v = sodium_variant(variant);
  std::string out(sodium_base64_encoded_len(data.size(), v), '\0');
  sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), v);
  out.pop_back();  // the terminating NUL
  return out;
}

Result<Bytes> from_base64(std::string_view text, Base64Variant variant) {
  return decode_base64<Bytes>(text, variant);
}
Result<SecureBytes> secret_from_base64(std::string_view text, Base64Variant variant) {
  return decode_base64<SecureBytes>(text, variant);
}

}  // namespace exile
