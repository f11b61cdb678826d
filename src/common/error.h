// Error: what went wrong, as a code and a message that never holds secret bytes,
// message text, queue ids or names (see docs/protocol.md, "Errors").
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
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
  // relay (4xx). 400-412: the relay's answers (docs/relay-protocol.md §7; relay.proto's codes
  // 1-12 in the same order), as the relay client reports them.
  RelayMalformed = 400,
  RelayUnknownCommand = 401,
  RelayAuth = 402,  // missing or wrong tag, or no such queue: treat the queue as gone
  RelayNotAllowed = 403,
  RelayAlreadySecured = 404,
  RelayQuota = 405,
  RelayRateLimited = 406,  // Error::retry_after says how long to wait
  RelayTooLarge = 407,
  RelayNotFound = 408,
  RelayInternal = 409,
  RelayShuttingDown = 410,
  RelayBusy = 411,
  RelayUnknownError = 412,  // a code this client does not know (a newer relay)
  // 450-459: what the relay client saw itself.
  RelayTimeout = 450,             // no answer in time
  RelayConnectionLost = 451,      // written, then the connection closed: it may have been executed
  RelayStopped = 452,             // the connection was stopped
  RelayNotSubscribed = 453,       // ack or unsubscribe of a queue not subscribed on this connection
  RelayProtocolViolation = 454,   // the relay sent a frame the protocol does not allow
  RelayUnsupportedVersion = 455,  // the relay speaks another protocol version
  RelayInsecureUrl = 456,         // ws:// to a host that is not loopback
  RelayInvalidUrl = 457,          // not a ws:// or wss:// URL with a host
  RelayConnectFailed = 458,       // the socket or WebSocket handshake failed, or it closed
  RelayTlsFailed = 459,           // TLS failed: most often, the relay's certificate is not trusted
  // engine (5xx)
  InvalidInvitation = 500,     // not an invitation link, or one that breaks a rule of its format
  InvitationDamaged = 501,     // the link's check failed: changed or cut off in copying
  ProfileLocked = 502,         // the engine was locked: open the profile again
  AddressPending = 503,        // the contact address is not published on the home relay yet
  ChatNotReady = 504,          // the chat cannot do this in its state (e.g. a pending request)
  InvalidContent = 505,        // a content message (proto/message.proto) that breaks its rules
  ReplayedFirstMessage = 506,  // a first message already seen (docs/protocol.md §4.7)
  IdentityChanged = 507,       // the contact's identity key differs from the one pinned
};

std::string_view to_string(ErrorCode code);
// The enumerator's name ("ChatNotReady"): stable, for scripts and JSON (docs/cli.md).
std::string_view name_of(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;  // for people; never secrets or user content
  // Details a caller may act on. Plain values only, never secrets, ids or content.
  std::optional<std::chrono::milliseconds> retry_after;  // wait at least this long (RateLimited)
  std::uint32_t index = 0;  // which item of a batch failed (a relay SUB: which queue)

  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}
  explicit Error(ErrorCode c) : code(c), message(to_string(c)) {}
};

std::ostream& operator<<(std::ostream& os, const Error& error);

}  // namespace exile
