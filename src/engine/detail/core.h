// Core: the engine's state and logic, on the engine thread (docs/architecture.md, "The engine").
// Engine (engine.cpp) posts every public call here and waits; nothing else touches a Core.
//
// It owns the profile's database, its identity, one RelayTransport per relay URL the profile
// has queues on, and the timers (outbox retries, self-destruct deadlines, sync polls).
//
// Paths (docs/engine.md):
//  - the turn: what arrives while the engine thread is busy (pushes from relays, relays'
//    answers to SENDs, send_text calls) waits for the next turn of its event loop, and one
//    transaction then takes all of it (group commit): answers first, then pushes, then sends.
//  - send: encrypt, then in the turn's transaction the session, message row and outbox row; the
//    caller's completion runs once that is committed; then flush_outbox, which keeps up to
//    kSendWindow SENDs in flight per queue, in the queue's order.
//  - receive: each push is decrypted with the session loaded once for the turn; the turn's
//    transaction stores the sessions, messages, state changes and the receipts to send; only
//    then are the pushes acked.
//  - answers: an Ok removes its outbox row and marks the message Sent in the next turn (a
//    crash before that resends it under the same client id, and the relay says duplicate).
//  - first contact: Initial envelopes at the contact address become Pending requests, in one
//    transaction with the replay id and the one-time prekey's removal.
#pragma once

#include <QObject>
#include <QTimer>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "crypto/session.h"
#include "engine/engine.h"
#include "engine/relay_transport.h"
#include "store/database.h"
#include "store/repo_chats.h"
#include "store/repo_outbox.h"
#include "store/repo_queues.h"

namespace exile::engine::detail {

struct Content;

class Core final : public QObject {
  Q_OBJECT

 public:
  // A profile's database, open and migrated, with the identity it holds.
  Core(Options options, Environment environment, store::Database db,
       crypto::IdentityKeyPair identity);
  ~Core() override;

  // Makes a new profile's keys and settings in `db` (one transaction).
  [[nodiscard]] static Result<crypto::IdentityKeyPair> initialise_profile(store::Database& db,
                                                                          const ProfileSpec& spec,
                                                                          Rng& rng, UnixMillis now);
  [[nodiscard]] static Result<crypto::IdentityKeyPair> load_identity(store::Database& db);

  // On the engine thread, once: connects relays, subscribes, flushes, arms timers.
  void start();
  // Drops relays and fails pending completions; the database closes with the Core.
  void shut_down();

  Result<std::string> display_name();
  Result<InvitationView> invitation();
  void accept_invitation(std::string link, Done<ChatId> done);
  Result<std::vector<ContactRequest>> requests();
  void accept_request(RequestId request, Done<ChatId> done);
  Result<void> decline_request(RequestId request);
  Result<std::vector<ChatSummary>> chats();
  Result<std::vector<MessageView>> messages(ChatId chat, Page page);
  Result<std::vector<MessageView>> search(std::string_view query, std::optional<ChatId> chat,
                                          std::size_t limit);
  // Committed in the next turn with whatever else waits for it; `done` runs after the commit.
  void send_text(ChatId chat, std::string text, Done<MessageId> done);
  // The same, committed before it returns (a turn now).
  Result<MessageId> send_text(ChatId chat, std::string_view text);
  void retry(ChatId chat, MessageId failed, Done<MessageId> done);
  Result<MessageId> retry(ChatId chat, MessageId failed);
  Result<void> mark_read(ChatId chat, MessageId up_to);
  Result<void> set_typing(ChatId chat, bool typing);
  Result<void> set_timer(ChatId chat, std::optional<std::uint32_t> seconds);
  Result<void> delete_for_both(ChatId chat, MessageId message);
  Result<Verification> verification(ChatId chat);
  Result<void> mark_verified(ChatId chat, bool verified);
  Result<std::size_t> run_timers();
  void sync(std::chrono::milliseconds timeout, std::chrono::milliseconds quiet, Done<void> done);

  std::uint64_t add_subscriber(std::function<void(const Event&)> on_event);
  void remove_subscriber(std::uint64_t id);

 private:
  struct Relay;
  struct Push {
    std::string relay_url;
    relay::wire::QueueId recv_id{};
    std::uint64_t msg_id = 0;
    Bytes body;
  };
  struct Batch;
  struct PendingSend {
    ChatId chat = 0;
    std::string text;
    Done<MessageId> done;
    // retry(): the Failed message whose text is sent again (`text` is unused) and which is
    // removed in the same transaction.
    std::optional<MessageId> replaces;
  };
  struct Answer {
    store::OutboxItem item;
    Result<SendReceipt> result;
  };
  struct SyncWaiter {
    std::chrono::steady_clock::time_point deadline;
    std::chrono::milliseconds quiet{};
    Done<void> done;
  };

  UnixMillis now() const;
  void emit_event(const Event& event);

  // Relays.
  Relay& relay(const std::string& url);
  void relay_connected(Relay& relay);
  void relay_message(Relay& relay, const relay::wire::QueueId& recv_id, std::uint64_t msg_id,
                     Bytes body);
  void subscribe_queue(const store::RelayQueue& queue);
  void report_relay_status();

  // The contact address.
  void ensure_address();
  void publish_bundle(store::RelayQueue address);

  // The turn.
  void schedule_turn();
  void run_turn();

  // Receiving.
  // False when it must not be acked: storing it failed for a reason of our own.
  bool handle_first_message(const Push& push, const store::RelayQueue& address);
  Result<void> handle_chat_envelope(Batch& batch, const Push& push, const store::RelayQueue& queue);
  // `chat` as handle_chat_envelope read it for this push.
  Result<void> apply_content(Batch& batch, const store::RelayQueue& queue, const store::Chat& chat,
                             const Content& content);
  void secure_reply_queue(store::QueueRowId queue_id, relay::wire::PublicKey sender_key);

  // Sending.
  // Encrypts `content` with `session` (advancing it) and puts the envelope in the outbox of the
  // chat's send queue, for `message_id` if it belongs to one; inside the caller's transaction,
  // which also stores the session.
  Result<void> queue_content(crypto::Session& session, ChatId chat, const Content& content,
                             std::optional<MessageId> message_id);
  // The same for content already encoded, to a known send queue.
  Result<void> queue_envelope(crypto::Session& session, store::QueueRowId queue, ByteView plaintext,
                              std::optional<MessageId> message_id);
  // Validates, encrypts and stores one send_text in the turn's transaction. The outer Result fails
  // the transaction; the inner one is the caller's answer (a refusal that wrote nothing).
  Result<Result<MessageId>> stage_send(Batch& batch, const PendingSend& send);
  // The synchronous send_text and retry: queues the send and runs turns until it is answered.
  Result<MessageId> send_now(ChatId chat, std::string text, std::optional<MessageId> replaces);
  // Moves one of our messages forward to `state`; a MessageChanged for the turn if it moved.
  Result<void> advance_message(Batch& batch, MessageId id, store::MessageState state);
  // Applies a relay's answer to a SEND in the turn's transaction.
  Result<void> apply_answer(Batch& batch, const Answer& answer);
  void flush_outbox();
  void schedule_outbox(std::optional<UnixMillis> at);
  void outbox_answered(store::OutboxItem item, Result<SendReceipt> result);
  void watch_outbox();

  // Timers.
  void schedule_expiry();
  void poll_sync();

  Options options_;
  Environment environment_;
  const Clock& clock_;
  Rng& rng_;
  store::Database db_;
  crypto::IdentityKeyPair identity_;
  std::map<std::string, std::unique_ptr<Relay>> relays_;
  std::vector<Push> pending_pushes_;
  std::vector<PendingSend> pending_sends_;
  std::vector<Answer> pending_answers_;
  bool turn_scheduled_ = false;
  struct InFlight {
    std::uint64_t generation = 0;  // answers of an older send of the same item are ignored
    std::chrono::steady_clock::time_point since;
    store::QueueRowId queue = 0;
    std::string relay_url;
    bool answered = false;  // its answer waits for the next turn
    bool refused = false;   // ...and it was a refusal: its queue sends nothing before that turn
  };
  // Per queue, flush_outbox counts the entries (answered ones too, until their turn) against
  // kSendWindow and skips a queue with a refused one.
  std::map<store::OutboxId, InFlight> in_flight_;
  std::uint64_t next_send_generation_ = 1;
  QTimer outbox_timer_;
  QTimer watchdog_timer_;  // every few seconds: flushes, and resends what went unanswered
  QTimer expiry_timer_;
  QTimer sync_timer_;
  QTimer answer_timer_;  // a turn for answers alone waits a little for pushes or sends to join
  std::vector<SyncWaiter> sync_waiters_;
  std::chrono::steady_clock::time_point last_push_at_{};
  std::size_t subscribes_pending_ = 0;
  bool address_in_progress_ = false;
  bool shut_down_ = false;
  std::uint64_t next_subscriber_ = 1;
  std::map<std::uint64_t, std::function<void(const Event&)>> subscribers_;
};

}  // namespace exile::engine::detail
