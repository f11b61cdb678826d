// Engine: the one door to a profile (docs/architecture.md, "The engine"). The app and exile-cli
// call it; nothing else touches the store, the crypto core or a relay.
//
// The header holds plain value types only: ids, views, summaries, events. No Qt, store or crypto
// type appears here, so that nothing above the engine can go around it.
//
// THREADS. Each Engine owns one worker thread (a QThread with its own event loop) that owns the
// database and every relay connection. Every call below is safe from any thread: it runs on the
// engine thread and the calling thread waits for its answer (a call made on the engine thread
// itself, from an event or a completion, runs at once). Calls that need a relay's answer take a
// completion instead of blocking; completions and events are delivered on the engine thread and
// must not block it (a host re-posts them to its own thread: see qt_host.h). A
// QCoreApplication must exist.
//
// LOCAL FIRST. send_text() and the other calls that change a chat commit before they return:
// the message, its outbox entry and the advanced session are one transaction. The relays are
// reached afterwards, and again after every reconnect, until each envelope is confirmed.
//
// PRIVACY. Nothing the engine logs names a chat, a contact, a queue, a relay or a message. The
// views below hold user content: show them, never log them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/rng.h"
#include "common/secure_buffer.h"

namespace exile::engine {

class RelayTransport;  // relay_transport.h: the seam to relays

using ChatId = std::int64_t;
using MessageId = std::int64_t;
using RequestId = ChatId;  // a contact request is a chat waiting for the user's answer

template <class T>
using Done = std::function<void(Result<T>)>;

// outgoing invitation: Requested (first message sent to the address) ─reply─▶ Active
// incoming request:    Pending (shown by requests()) ─accept─▶ Active; ─decline─▶ gone
enum class ChatState : std::uint8_t { Requested = 1, Pending = 2, Active = 3 };

// Ours:   Queued ─relay Ok─▶ Sent ─receipt─▶ Delivered ─receipt─▶ Read; or Failed.
// Theirs: Received ─mark_read─▶ Read.
enum class MessageState : std::uint8_t {
  Queued = 1,
  Sent = 2,
  Delivered = 3,
  Read = 4,
  Failed = 5,
  Received = 6,
};

enum class MessageKind : std::uint8_t {
  Text = 1,
  TimerChanged = 2,   // text empty; timer_seconds holds the new timer (nullopt: off)
  Undecryptable = 3,  // an envelope of this chat that could not be decrypted; kept, never dropped
};

struct MessageView {
  MessageId id = 0;
  ChatId chat = 0;
  MessageKind kind = MessageKind::Text;
  bool outgoing = false;
  std::string text;
  MessageState state = MessageState::Queued;
  UnixMillis sent_at;                          // the sender's clock
  UnixMillis received_at;                      // ours
  std::optional<std::uint32_t> timer_seconds;  // self-destruct timer this message carries
  std::optional<UnixMillis> expires_at;        // set once the countdown runs
};

struct ChatSummary {
  ChatId id = 0;
  ChatState state = ChatState::Active;
  std::string contact_name;
  bool verified = false;
  std::optional<std::uint32_t> timer_seconds;
  std::optional<MessageView> last_message;
  std::size_t unread = 0;
  UnixMillis created_at;
};

struct ContactRequest {
  RequestId id = 0;
  std::string display_name;   // as the sender chose it: unverified
  std::string safety_number;  // 12 groups of 5 digits
  UnixMillis received_at;
};

struct Verification {
  std::string safety_number;             // 12 groups of 5 digits
  std::vector<std::uint8_t> key_image;   // 12 × 12 cells, row by row, each 0..3
  std::vector<std::uint8_t> qr_payload;  // what our QR code shows (docs/protocol.md §8.5)
  bool verified = false;
};

struct InvitationView {
  std::string link;  // exile://invite/v1/… (docs/protocol.md §2.5): a capability, never log it
  std::string qr_text;  // the link as an ASCII QR code for a terminal
};

struct Page {
  std::optional<MessageId> before;  // none: the newest
  std::size_t limit = 50;
};

// Events. Each names what changed; read the new state with the calls below.
struct MessageAdded {
  ChatId chat = 0;
  MessageId message = 0;
};
struct MessageChanged {
  ChatId chat = 0;
  MessageId message = 0;
};  // state or expiry
struct MessageDeleted {
  ChatId chat = 0;
  MessageId message = 0;
};  // timer, or for both
struct ChatChanged {
  ChatId chat = 0;
};  // state, timer, verification, or removed
struct ContactRequestReceived {
  RequestId request = 0;
};
struct TypingChanged {
  ChatId chat = 0;
  bool typing = false;
};
struct RelayStatus {
  std::size_t connected = 0;
  std::size_t relays = 0;
};
struct AddressReady {};  // the contact address is published: invitation() works
struct EngineError {
  Error error;
};  // a background failure the user should see
using Event =
    std::variant<MessageAdded, MessageChanged, MessageDeleted, ChatChanged, ContactRequestReceived,
                 TypingChanged, RelayStatus, AddressReady, EngineError>;

// Makes the connection to one relay URL. Production: connect_relay (relay_transport.h).
using RelayTransportFactory =
    std::function<Result<std::unique_ptr<RelayTransport>>(const std::string& relay_url)>;

// The seams (LevelDB's Env): how the engine reaches relays, time and randomness. Each pointer
// may be null for the real thing; what is given must outlive the Engine.
struct Environment {
  RelayTransportFactory relays;  // empty: connect_relay
  const Clock* clock = nullptr;  // null: the system clock
  Rng* rng = nullptr;            // null: the operating system's generator
};

struct Options {
  std::filesystem::path profile_dir;  // default_profile_dir() when empty
  // Argon2id at its interactive cost instead of the moderate one: for tests and benchmarks.
  bool fast_kdf = false;
  // Outbox retries wait initial · 2^attempts, capped at max.
  std::chrono::milliseconds retry_initial{1'000};
  std::chrono::milliseconds retry_max{60'000};
};

struct ProfileSpec {
  std::string display_name;  // sent to contacts in first messages; 1 … 64 bytes of UTF-8
  std::string home_relay;    // where our contact address and receive queues live
};

// $XDG_DATA_HOME/exile/profile, or ~/.local/share/exile/profile.
[[nodiscard]] std::filesystem::path default_profile_dir();

// Whether `profile_dir` (default_profile_dir() when empty) holds a profile to unlock: a key file
// exists. Reads no secret and takes no lock; unlock() still decides.
[[nodiscard]] bool profile_exists(const std::filesystem::path& profile_dir);

// How hard a new passphrase is to guess, estimated offline (docs/engine.md, "Passphrases"):
// score 0 (very weak) … 4 (strong) from the estimated bits; `acceptable` is the floor a new
// profile's passphrase must reach in the app (an effective length of at least 10 characters
// and 50 bits).
struct PassphraseStrength {
  int score = 0;
  double bits = 0;
  bool acceptable = false;
};
[[nodiscard]] PassphraseStrength passphrase_strength(std::string_view passphrase);

class Subscription {
 public:
  Subscription() = default;
  explicit Subscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  Subscription(Subscription&& other) noexcept : cancel_(std::exchange(other.cancel_, {})) {}
  Subscription& operator=(Subscription&& other) noexcept {
    reset();
    cancel_ = std::exchange(other.cancel_, {});
    return *this;
  }
  ~Subscription() { reset(); }
  void reset() {
    if (cancel_) std::exchange(cancel_, {})();
  }

 private:
  std::function<void()> cancel_;
};

class Engine {
 public:
  // A new profile: identity, signed prekey, 100 one-time prekeys. Its contact address is made
  // on the home relay in the background (AddressReady). InvalidArgument if the directory already
  // holds a profile or the spec breaks a rule.
  [[nodiscard]] static Result<std::unique_ptr<Engine>> create(const Options& options,
                                                              Environment environment,
                                                              const ProfileSpec& spec,
                                                              const SecureBytes& passphrase);
  // WrongPassphrase, NotFound, ProfileInUse (another process or Engine has it open).
  [[nodiscard]] static Result<std::unique_ptr<Engine>> unlock(const Options& options,
                                                              Environment environment,
                                                              const SecureBytes& passphrase);
  ~Engine();  // lock()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Relays dropped, keys wiped, database closed, thread stopped. Every later call fails with
  // ProfileLocked; pending completions are called with it.
  void lock();

  [[nodiscard]] Result<std::string> display_name();
  // AddressPending until the contact address is published.
  [[nodiscard]] Result<InvitationView> invitation();

  // Starts a secret chat from someone's link: Requested once the first message is committed.
  void accept_invitation(std::string_view link, Done<ChatId> done);
  [[nodiscard]] Result<std::vector<ContactRequest>> requests();
  void accept_request(RequestId request, Done<ChatId> done);
  [[nodiscard]] Result<void> decline_request(RequestId request);

  [[nodiscard]] Result<std::vector<ChatSummary>> chats();
  [[nodiscard]] Result<std::vector<MessageView>> messages(ChatId chat, Page page);
  [[nodiscard]] Result<std::vector<MessageView>> search(std::string_view query,
                                                        std::optional<ChatId> chat,
                                                        std::size_t limit);

  // Committed (message, outbox entry and session in one transaction) before it returns.
  [[nodiscard]] Result<MessageId> send_text(ChatId chat, std::string_view text);
  // The same without waiting: `done` runs once the message is committed. Calls that arrive while
  // the engine thread is busy are committed together, in the order they were made, with one
  // transaction (a host's UI thread should use this one: it never waits for a disk).
  void send_text(ChatId chat, std::string_view text, Done<MessageId> done);
  // Sends the text of a Failed message of ours again, as a new message (a new envelope: the
  // relay refused the old one for good), and removes the failed one in the same transaction
  // (MessageDeleted, then MessageAdded). NotFound unless `failed` is our Failed text message in
  // `chat`. The completion form, as send_text's, for a host's UI thread.
  [[nodiscard]] Result<MessageId> retry(ChatId chat, MessageId failed);
  void retry(ChatId chat, MessageId failed, Done<MessageId> done);
  // Marks every incoming message up to `up_to` read, starts their timers, sends a read receipt.
  [[nodiscard]] Result<void> mark_read(ChatId chat, MessageId up_to);
  [[nodiscard]] Result<void> set_typing(ChatId chat, bool typing);
  // nullopt: off; otherwise 5 s … 1 week (604,800 s). Announced in the chat.
  [[nodiscard]] Result<void> set_timer(ChatId chat, std::optional<std::uint32_t> seconds);
  [[nodiscard]] Result<void> delete_for_both(ChatId chat, MessageId message);
  [[nodiscard]] Result<Verification> verification(ChatId chat);
  [[nodiscard]] Result<void> mark_verified(ChatId chat, bool verified);

  // Deletes what has expired by the environment's clock now (the engine also does this on its
  // own timer; a host calls it after a suspend, tests after moving a manual clock).
  [[nodiscard]] Result<std::size_t> run_timers();

  // Done once every relay the profile uses is connected with its queues subscribed, nothing in
  // the outbox is due, and no message has arrived for `quiet`; RelayTimeout after `timeout`.
  // For one-shot commands that must see what waits on the relays before they read or exit.
  void sync(std::chrono::milliseconds timeout, std::chrono::milliseconds quiet, Done<void> done);

  // `on_event` is called on the engine thread until the Subscription is destroyed.
  [[nodiscard]] Subscription subscribe(std::function<void(const Event&)> on_event);

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace exile::engine
