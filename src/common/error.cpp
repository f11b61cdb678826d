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
    case ErrorCode::RelayMalformed: return "relay: malformed command";
    case ErrorCode::RelayUnknownCommand: return "relay: unknown command";
    case ErrorCode::RelayAuth: return "relay: not authorized (or no such queue)";
    case ErrorCode::RelayNotAllowed: return "relay: not allowed";
    case ErrorCode::RelayAlreadySecured: return "relay: queue already secured";
    case ErrorCode::RelayQuota: return "relay: quota exceeded";
    case ErrorCode::RelayRateLimited: return "relay: rate limited";
    case ErrorCode::RelayTooLarge: return "relay: too large";
    case ErrorCode::RelayNotFound: return "relay: not found";
    case ErrorCode::RelayInternal: return "relay: internal error";
    case ErrorCode::RelayShuttingDown: return "relay: shutting down";
    case ErrorCode::RelayBusy: return "relay: busy";
    case ErrorCode::RelayUnknownError: return "relay: unknown error code";
    case ErrorCode::RelayTimeout: return "relay: no answer in time";
    case ErrorCode::RelayConnectionLost: return "relay: connection lost";
    case ErrorCode::RelayStopped: return "relay: connection stopped";
    case ErrorCode::RelayNotSubscribed: return "relay: queue not subscribed";
    case ErrorCode::RelayProtocolViolation: return "relay: protocol violation";
    case ErrorCode::RelayUnsupportedVersion: return "relay: unsupported protocol version";
    case ErrorCode::RelayInsecureUrl: return "relay: ws:// is for loopback only";
    case ErrorCode::RelayInvalidUrl: return "relay: not a ws:// or wss:// URL";
    case ErrorCode::RelayConnectFailed: return "relay: connection failed";
    case ErrorCode::RelayTlsFailed: return "relay: TLS failed (the certificate is not trusted?)";
    case ErrorCode::InvalidInvitation: return "not a valid invitation link";
    case ErrorCode::InvitationDamaged: return "invitation link damaged: copy it again";
    case ErrorCode::ProfileLocked: return "profile locked";
    case ErrorCode::AddressPending: return "contact address not published yet";
    case ErrorCode::ChatNotReady: return "the chat cannot do this yet";
    case ErrorCode::InvalidContent: return "invalid content message";
    case ErrorCode::ReplayedFirstMessage: return "first message replayed";
    case ErrorCode::IdentityChanged: return "the contact's identity key changed";
  }
  return "unknown error";
}

std::ostream& operator<<(std::ostream& os, const Error& error) {
  return os << "error " << static_cast<unsigned>(error.code) << ": " << error.message;
}

std::string_view name_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::InvalidEncoding: return "InvalidEncoding";
    case ErrorCode::OutOfMemory: return "OutOfMemory";
    case ErrorCode::Internal: return "Internal";
    case ErrorCode::InvalidKey: return "InvalidKey";
    case ErrorCode::WeakKey: return "WeakKey";
    case ErrorCode::BadSignature: return "BadSignature";
    case ErrorCode::IdentityMismatch: return "IdentityMismatch";
    case ErrorCode::MalformedMessage: return "MalformedMessage";
    case ErrorCode::DecryptionFailed: return "DecryptionFailed";
    case ErrorCode::DuplicateMessage: return "DuplicateMessage";
    case ErrorCode::TooManySkipped: return "TooManySkipped";
    case ErrorCode::UnsupportedVersion: return "UnsupportedVersion";
    case ErrorCode::PlaintextTooLarge: return "PlaintextTooLarge";
    case ErrorCode::UnknownPreKey: return "UnknownPreKey";
    case ErrorCode::StateCorrupt: return "StateCorrupt";
    case ErrorCode::SessionNotReady: return "SessionNotReady";
    case ErrorCode::NotThisSession: return "NotThisSession";
    case ErrorCode::WrongPassphrase: return "WrongPassphrase";
    case ErrorCode::DatabaseCorrupt: return "DatabaseCorrupt";
    case ErrorCode::StorageIo: return "StorageIo";
    case ErrorCode::DiskFull: return "DiskFull";
    case ErrorCode::DatabaseBusy: return "DatabaseBusy";
    case ErrorCode::NotFound: return "NotFound";
    case ErrorCode::Constraint: return "Constraint";
    case ErrorCode::SchemaTooNew: return "SchemaTooNew";
    case ErrorCode::KeyFileCorrupt: return "KeyFileCorrupt";
    case ErrorCode::UnencryptedFileRefused: return "UnencryptedFileRefused";
    case ErrorCode::ProfileInUse: return "ProfileInUse";
    case ErrorCode::RelayMalformed: return "RelayMalformed";
    case ErrorCode::RelayUnknownCommand: return "RelayUnknownCommand";
    case ErrorCode::RelayAuth: return "RelayAuth";
    case ErrorCode::RelayNotAllowed: return "RelayNotAllowed";
    case ErrorCode::RelayAlreadySecured: return "RelayAlreadySecured";
    case ErrorCode::RelayQuota: return "RelayQuota";
    case ErrorCode::RelayRateLimited: return "RelayRateLimited";
    case ErrorCode::RelayTooLarge: return "RelayTooLarge";
    case ErrorCode::RelayNotFound: return "RelayNotFound";
    case ErrorCode::RelayInternal: return "RelayInternal";
    case ErrorCode::RelayShuttingDown: return "RelayShuttingDown";
    case ErrorCode::RelayBusy: return "RelayBusy";
    case ErrorCode::RelayUnknownError: return "RelayUnknownError";
    case ErrorCode::RelayTimeout: return "RelayTimeout";
    case ErrorCode::RelayConnectionLost: return "RelayConnectionLost";
    case ErrorCode::RelayStopped: return "RelayStopped";
    case ErrorCode::RelayNotSubscribed: return "RelayNotSubscribed";
    case ErrorCode::RelayProtocolViolation: return "RelayProtocolViolation";
    case ErrorCode::RelayUnsupportedVersion: return "RelayUnsupportedVersion";
    case ErrorCode::RelayInsecureUrl: return "RelayInsecureUrl";
    case ErrorCode::RelayInvalidUrl: return "RelayInvalidUrl";
    case ErrorCode::RelayConnectFailed: return "RelayConnectFailed";
    case ErrorCode::RelayTlsFailed: return "RelayTlsFailed";
    case ErrorCode::InvalidInvitation: return "InvalidInvitation";
    case ErrorCode::InvitationDamaged: return "InvitationDamaged";
    case ErrorCode::ProfileLocked: return "ProfileLocked";
    case ErrorCode::AddressPending: return "AddressPending";
    case ErrorCode::ChatNotReady: return "ChatNotReady";
    case ErrorCode::InvalidContent: return "InvalidContent";
    case ErrorCode::ReplayedFirstMessage: return "ReplayedFirstMessage";
    case ErrorCode::IdentityChanged: return "IdentityChanged";
  }
  return "Unknown";
}

}  // namespace exile
