// make_self_signed_cert (self_signed_cert.h) with the OpenSSL 3 API.
#include "support/self_signed_cert.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>
#include <system_error>

namespace exile::test {
namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

constexpr long kNotBeforeSeconds = -60L * 60;     // an hour ago: clock skew does not matter
constexpr long kNotAfterSeconds = 24L * 60 * 60;  // a day from now

// `step` and OpenSSL's queued errors, which are consumed.
std::unexpected<std::string> openssl_failure(std::string_view step) {
  std::string message = "OpenSSL: " + std::string(step) + " failed";
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    message += "; ";
    message += text;
  }
  return std::unexpected(std::move(message));
}

// PEM text from `write`, buffered in secure memory (it may be the private key).
std::expected<std::string, std::string> pem_of(const std::function<int(BIO*)>& write) {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || write(bio.get()) != 1) return openssl_failure("PEM encoding");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) return openssl_failure("PEM encoding");
  return std::string(data, static_cast<std::size_t>(size));
}

// Replaces `path` with `text`, created with `mode` (the key is never readable by others, even
// for a moment).
std::expected<void, std::string> write_file(const std::filesystem::path& path,
                                            std::string_view text, mode_t mode) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return std::unexpected("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      return std::unexpected("cannot write " + path.string() + ": " + reason);
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::close(fd) != 0) {
    return std::unexpected("cannot close " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

bool add_extension(X509* cert, X509V3_CTX& ctx, int nid, const char* value) {
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return extension && X509_add_ext(cert, extension.get(), -1) == 1;
}

}  // namespace

std::expected<SelfSignedCert, std::string> make_self_signed_cert(const std::filesystem::path& dir) {
  ERR_clear_error();
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return openssl_failure("P-256 key generation");

  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return openssl_failure("X509_new");
  }
  // A random positive 64-bit serial: no two test certificates share issuer and serial.
  BignumPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return openssl_failure("serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), kNotBeforeSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kNotAfterSeconds) == nullptr) {
    return openssl_failure("validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  static constexpr unsigned char kCommonName[] = "exile test relay";
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, kCommonName, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key.get()) != 1) {
    return openssl_failure("subject");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  if (!add_extension(cert.get(), ctx, NID_basic_constraints, "critical,CA:TRUE") ||
      !add_extension(cert.get(), ctx, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
      !add_extension(cert.get(), ctx, NID_ext_key_usage, "serverAuth") ||
      !add_extension(cert.get(), ctx, NID_subject_key_identifier, "hash") ||
      !add_extension(cert.get(), ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost")) {
    return openssl_failure("extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return openssl_failure("signing");

  auto cert_pem = pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); });
  if (!cert_pem) return std::unexpected(cert_pem.error());
  auto key_pem = pem_of([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!key_pem) return std::unexpected(key_pem.error());

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return std::unexpected("cannot create " + dir.string() + ": " + ec.message());
  SelfSignedCert out{dir / "cert.pem", dir / "key.pem"};
  if (auto written = write_file(out.cert, *cert_pem, 0644); !written) {
    return std::unexpected(written.error());
  }
  auto written = write_file(out.key, *key_pem, 0600);
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  if (!written) return std::unexpected(written.error());
  return out;
}

}  // namespace exile::test
