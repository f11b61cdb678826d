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
    case ErrorCode::WrongPassphrase: return "wrong passphrase";
    case ErrorCode::DatabaseCorrupt: return "database damaged or tampered with";
    case ErrorCode::StorageIo: return "storage input/output error";
    case ErrorCode::DiskFull: return "disk full";
    case ErrorCode::DatabaseBusy: return "database busy";
    case ErrorCode::NotFound: return "not found";
    case ErrorCode::Constraint: return "constraint violated";
    case ErrorCode::SchemaTooNew: return "database written by a newer version of Exile";
    case ErrorCode::KeyFileCorrupt: return "key file damaged";
    case ErrorCode::UnencryptedFileRefused: return "refused to create an unencrypted file";
    case ErrorCode::ProfileInUse: return "the profile is open elsewhere";
    case ErrorCode::InvalidInvitation: return "not a valid invitation link";
    case ErrorCode::InvitationDamaged: return "invitation link damaged: copy it again";
  }
  return "unknown error";
}

std::ostream& operator<<(std::ostream& os, const Error& error) {
  return os << "error " << static_cast<unsigned>(error.code) << ": " << error.message;
}

}  // namespace exile
