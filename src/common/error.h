// Error: what went wrong, as a code and a message that never holds secret bytes,
// message text, queue ids or names (see docs/protocol.md, "Errors").
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace exile {

// One enum, grouped by layer so that a code says where it was raised. Numbers are stable:
// they may be stored or shown to users ("error 203").
enum class ErrorCode : std::uint16_t {
  // common (1xx)
  InvalidArgument = 100,
  InvalidEncoding = 101,
  OutOfMemory = 102,
  Internal = 103,
  // crypto (2xx)
  InvalidKey = 200,          // not a canonical, valid public key of the expected type
  WeakKey = 201,             // low-order point: the X25519 result was all zero
  BadSignature = 202,        // Ed25519 signature did not verify
  IdentityMismatch = 203,    // bundle identity differs from the invitation's fingerprint
  MalformedMessage = 204,    // envelope / bundle / payload could not be parsed
  DecryptionFailed = 205,    // no key opened the header or the body
  DuplicateMessage = 206,    // this message was already decrypted
  TooManySkipped = 207,      // gap above MAX_SKIP in one chain
  UnsupportedVersion = 208,  // a version this build does not read
  PlaintextTooLarge = 209,   // above the largest padding bucket
  UnknownPreKey = 210,       // the initial message names a prekey we do not have
  StateCorrupt = 211,        // saved session state failed to parse or validate
  SessionNotReady = 212,     // e.g. encrypting before the session can send
  NotThisSession = 213,      // an initial message that belongs to another session
  // store (3xx)
  WrongPassphrase = 300,         // the passphrase does not unwrap the database key
  DatabaseCorrupt = 301,         // a page or journal failed authentication, or SQLite found damage
  StorageIo = 302,               // the operating system refused a read, write or sync
  DiskFull = 303,                // no space left: the transaction was rolled back, nothing lost
  DatabaseBusy = 304,            // another connection holds the lock
  NotFound = 305,                // no such row / profile / file
  Constraint = 306,              // a uniqueness or foreign-key rule was violated
  SchemaTooNew = 307,            // written by a newer Exile: refuse rather than guess
  KeyFileCorrupt = 308,          // the key file is damaged or not an Exile key file
  UnencryptedFileRefused = 309,  // SQLite asked for a file the VFS cannot encrypt
  ProfileInUse = 310,            // another process (or ProfileStore) has the profile open
  // engine (5xx)
  InvalidInvitation = 500,  // not an invitation link, or one that breaks a rule of its format
  InvitationDamaged = 501,  // the link's check failed: changed or cut off in copying
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;  // for people; never secrets or user content

  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}
  explicit Error(ErrorCode c) : code(c), message(to_string(c)) {}
};

std::ostream& operator<<(std::ostream& os, const Error& error);

}  // namespace exile
