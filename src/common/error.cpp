#include "common/error.h"

#include <ostream>

namespace exile {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::InvalidEncoding: return "invalid encoding";
    case ErrorCode::OutOfMemory: return "out of memory";
    case ErrorCode::Internal: return "internal error";
    case ErrorCode::InvalidKey: return "invalid public key";
    case ErrorCode::WeakKey: return "weak (low-order) public key";
    case ErrorCode::BadSignature: return "bad signature";
    case ErrorCode::IdentityMismatch: return "identity key does not match the invitation";
    case ErrorCode::MalformedMessage: return "malformed message";
    case ErrorCode::DecryptionFailed: return "decryption failed";
    case ErrorCode::DuplicateMessage: return "duplicate message";
    case ErrorCode::TooManySkipped: return "too many skipped messages";
    case ErrorCode::UnsupportedVersion: return "unsupported version";
    case ErrorCode::PlaintextTooLarge: return "plaintext too large";
    case ErrorCode::UnknownPreKey: return "unknown prekey";
    case ErrorCode::StateCorrupt: return "session state corrupt";
    case ErrorCode::SessionNotReady: return "session not ready";
    case ErrorCode::NotThisSession: return "message belongs to another session";
  }
  return "unknown error";
}

std::ostream& operator<<(std::ostream& os, const Error& error) {
  return os << "error " << static_cast<unsigned>(error.code) << ": " << error.message;
}

}  // namespace exile
