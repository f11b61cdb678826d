// A fresh self-signed TLS certificate for tests that run exile-relay with --tls-cert/--tls-key
// and let the client trust exactly that certificate.
//
// The key is ECDSA P-256 (both exile-relay's OpenSSL context and the client's Qt TLS backend
// accept it), new on every call. The certificate: CN "exile test relay", subjectAltName
// IP:127.0.0.1 and DNS:localhost, valid from an hour ago for one day, signed with SHA-256 by
// its own key, and marked CA:TRUE so that it can be its own trust anchor.
//
// Made with the OpenSSL library, no command-line tool. The files are PEM: `cert.pem` (the
// certificate) and `key.pem` (the unencrypted PKCS#8 key, mode 0600).
#pragma once

#include <expected>
#include <filesystem>
#include <string>

namespace exile::test {

struct SelfSignedCert {
  std::filesystem::path cert;  // DIR/cert.pem
  std::filesystem::path key;   // DIR/key.pem
};

// Writes cert.pem and key.pem into `dir` (created if missing; existing files are replaced).
// An error names the step that failed.
[[nodiscard]] std::expected<SelfSignedCert, std::string> make_self_signed_cert(
    const std::filesystem::path& dir);

}  // namespace exile::test
