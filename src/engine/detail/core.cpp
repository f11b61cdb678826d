#include "engine/detail/core.h"

#include <QMetaObject>
#include <algorithm>
#include <utility>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/contact_bundle.h"
#include "crypto/fingerprint.h"
#include "crypto/limits.h"
#include "crypto/prekeys.h"
#include "crypto/session_builder.h"
#include "crypto/x3dh.h"
#include "engine/detail/content.h"
#include "engine/invitation.h"
#include "engine/qr_ascii.h"
#include "store/atomic_ops.h"
#include "store/repo_chats.h"
#include "store/repo_contacts.h"
#include "store/repo_identity.h"
#include "store/repo_messages.h"
#include "store/repo_replays.h"
#include "store/repo_sessions.h"
#include "store/repo_settings.h"

namespace exile::engine::detail {
namespace {

namespace wire = relay::wire;

constexpr std::string_view kDisplayNameKey = "display_name";
constexpr std::string_view kHomeRelayKey = "home_relay";
constexpr std::string_view kBundleKeyKey = "bundle_key";
constexpr std::string_view kNextPreKeyIdKey = "next_one_time_prekey_id";
constexpr std::string_view kSignedPreKeyIdKey = "signed_prekey_id";
constexpr std::string_view kAddressPublishedKey = "address_published";

constexpr std::size_t kMaxPendingRequests = 100;
constexpr std::size_t kOutboxBatch = 256;
// At most this many pushes and this many send_text calls go into one turn; the rest wait for
// the next, which follows at once: a turn's transaction, and the wait of its first caller,
// stay bounded however much arrives together.
constexpr std::size_t kTurnLimit = 1000;
// SENDs in flight per queue: the relay numbers one connection's SENDs to a queue in the order
// written, so a window keeps order while it hides the round trip (an Ok to a subscribed queue
// comes only after the recipient's commit and ACK: docs/relay-protocol.md §5).
constexpr std::size_t kSendWindow = 64;
constexpr std::size_t kExpiryBatch = 1000;
constexpr auto kRelayRetry = std::chrono::seconds(5);
constexpr auto kSyncPoll = std::chrono::milliseconds(20);
constexpr auto kWatchdogInterval = std::chrono::seconds(5);
constexpr auto kSendStall = std::chrono::seconds(20);
// How long relays' answers wait for a turn of their own: an Ok need not be committed at once (a
// crash before it only repeats the SEND, answered as a duplicate), and a turn that carries
// pushes or sends anyway takes them along instead of committing once more for them.
constexpr auto kAnswerDelay = std::chrono::milliseconds(5);

std::string random_local_id(Rng& rng) {
  std::array<std::uint8_t, 16> bytes{};
  rng.fill(bytes);
  return to_hex(bytes);
}

ContentId random_content_id(Rng& rng) {
  ContentId id{};
  rng.fill(id);
  return id;
}

std::optional<wire::KeyPair> auth_key_pair(const store::RelayQueue& queue) {
  auto public_key = wire::exact<wire::kPublicKeyBytes>(queue.auth_public);
  if (!public_key || queue.auth_secret.size() != wire::SecretKey::kSize) return std::nullopt;
  return wire::KeyPair{*public_key, wire::SecretKey(ByteView(queue.auth_secret))};
}

Result<std::string> setting_text(store::Database& db, std::string_view key) {
  auto value = store::SettingsRepository(db).get(key);
  if (!value) return fail(std::move(value).error());
  if (!*value) return fail(ErrorCode::NotFound, "a profile setting is missing");
  return std::string((*value)->begin(), (*value)->end());
}

Result<std::uint32_t> setting_u32(store::Database& db, std::string_view key) {
  auto text = setting_text(db, key);
  if (!text) return fail(std::move(text).error());
  try {
    return static_cast<std::uint32_t>(std::stoul(*text));
  } catch (...) {
    return fail(ErrorCode::DatabaseCorrupt, "a profile setting does not parse");
  }
}

Result<void> set_setting(store::Database& db, std::string_view key, std::string_view value) {
  return store::SettingsRepository(db).set(key, as_bytes(value));
}

MessageState view_state(store::MessageState state) {
  return static_cast<MessageState>(static_cast<std::uint8_t>(state));
}

MessageView view_of(const store::StoredMessage& m) {
  return MessageView{.id = m.id,
                     .chat = m.chat,
                     .kind = static_cast<MessageKind>(static_cast<std::uint8_t>(m.kind)),
                     .outgoing = m.direction == store::Direction::Outgoing,
                     .text = m.body,
                     .state = view_state(m.state),
                     .sent_at = m.sent_at,
                     .received_at = m.received_at,
                     .timer_seconds = m.timer_seconds,
                     .expires_at = m.expires_at};
}

Result<std::vector<MessageView>> views_of(Result<std::vector<store::StoredMessage>> stored) {
  if (!stored) return fail(std::move(stored).error());
  std::vector<MessageView> out;
  out.reserve(stored->size());
  for (const auto& m : *stored) out.push_back(view_of(m));
  return out;
}

bool permanent_send_error(ErrorCode code) {
  return code == ErrorCode::RelayAuth || code == ErrorCode::RelayTooLarge ||
         code == ErrorCode::RelayNotFound || code == ErrorCode::RelayNotAllowed ||
         code == ErrorCode::RelayMalformed;
}

template <class T>
void complete_later(QObject* context, Done<T> done, Result<T> result) {
  if (!done) return;
  QMetaObject::invokeMethod(
      context,
      [done = std::move(done), result = std::make_shared<Result<T>>(std::move(result))]() mutable {
        done(std::move(*result));
      },
      Qt::QueuedConnection);
}

}  // namespace

// One relay URL: its transport and what the engine knows of it.
struct Core::Relay final : RelayTransport::Listener {
  Relay(Core& owner, std::string relay_url) : core(owner), url(std::move(relay_url)) {}
  void relay_connected() override {
    connected = true;
    core.relay_connected(*this);
  }
  void relay_disconnected() override {
    connected = false;
    core.report_relay_status();
  }
  void relay_message(const wire::QueueId& recv_id, std::uint64_t msg_id, UnixMillis,
                     Bytes body) override {
    core.relay_message(*this, recv_id, msg_id, std::move(body));
  }
  void relay_subscription_ended(const wire::QueueId&) override {
    log::write(log::Level::Warn, "engine", "a relay ended a subscription");
  }

  Core& core;
  std::string url;
  std::unique_ptr<RelayTransport> transport;
  bool connected = false;
};

// What one batch of pushes changes, committed together.
struct Core::Batch {
  std::map<std::string, crypto::Session> sessions;  // by session id: loaded once, stored once
  std::map<ChatId, std::vector<ContentId>> delivered;
  std::vector<Event> events;
  std::vector<std::pair<Relay*, Push>> acks;
  std::vector<std::pair<store::QueueRowId, wire::PublicKey>> to_secure;
  bool purge = false;
  bool expiry_changed = false;
};

Core::Core(Options options, Environment environment, store::Database db,
           crypto::IdentityKeyPair identity)
    : options_(std::move(options)),
      environment_(std::move(environment)),
      clock_(*environment_.clock),
      rng_(*environment_.rng),
      db_(std::move(db)),
      identity_(std::move(identity)),
      outbox_timer_(this),
      watchdog_timer_(this),
      expiry_timer_(this),
      sync_timer_(this),
      answer_timer_(this) {
  outbox_timer_.setSingleShot(true);
  connect(&watchdog_timer_, &QTimer::timeout, this, [this] { watch_outbox(); });
  watchdog_timer_.start(kWatchdogInterval);
  expiry_timer_.setSingleShot(true);
  connect(&outbox_timer_, &QTimer::timeout, this, [this] { flush_outbox(); });
  connect(&expiry_timer_, &QTimer::timeout, this, [this] { (void)run_timers(); });
  connect(&sync_timer_, &QTimer::timeout, this, [this] { poll_sync(); });
  answer_timer_.setSingleShot(true);
  connect(&answer_timer_, &QTimer::timeout, this, [this] { schedule_turn(); });
}

Core::~Core() { shut_down(); }

void Core::watch_outbox() {
  if (shut_down_) return;
  // A SEND unanswered for this long on a live connection is sent again under the same client
  // message id (the relay deduplicates it): the outbox never waits for ever on one lost answer.
  const auto stalled_before = std::chrono::steady_clock::now() - kSendStall;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    auto relay_it = relays_.find(it->second.relay_url);
    const bool live = relay_it != relays_.end() && relay_it->second->connected;
    if (live && !it->second.answered && it->second.since < stalled_before) {
      log::write(log::Level::Warn, "engine", "a send went unanswered; sending it again");
      it = in_flight_.erase(it);
    } else {
      ++it;
    }
  }
  flush_outbox();
}

Result<crypto::IdentityKeyPair> Core::initialise_profile(store::Database& db,
                                                         const ProfileSpec& spec, Rng& rng,
                                                         UnixMillis now) {
  auto identity = crypto::IdentityKeyPair::generate(rng);
  auto transaction = db.begin();
  if (!transaction) return fail(std::move(transaction).error());
  store::SqliteIdentityStore identities(db);
  EXILE_TRY(identities.store_local_identity(identity, now));
  store::SqlitePreKeyStore prekeys(db);
  constexpr crypto::PreKeyId kFirstSignedPreKey = 1;
  EXILE_TRY(prekeys.store_signed_prekey(
      crypto::generate_signed_prekey(identity, kFirstSignedPreKey, now, rng)));
  for (const auto& key :
       crypto::generate_one_time_prekeys(1, crypto::kOneTimePreKeysPublished, rng)) {
    EXILE_TRY(prekeys.store_one_time_prekey(key));
  }
  SecureBuffer<crypto::kBundleKeyBytes> bundle_key;
  rng.fill(MutableByteView(bundle_key.data(), bundle_key.size()));
  store::SettingsRepository settings(db);
  EXILE_TRY(settings.set(kBundleKeyKey, ByteView(bundle_key.data(), bundle_key.size())));
  EXILE_TRY(set_setting(db, kDisplayNameKey, spec.display_name));
  EXILE_TRY(set_setting(db, kHomeRelayKey, spec.home_relay));
  EXILE_TRY(set_setting(db, kSignedPreKeyIdKey, std::to_string(kFirstSignedPreKey)));
  EXILE_TRY(
      set_setting(db, kNextPreKeyIdKey, std::to_string(1 + crypto::kOneTimePreKeysPublished)));
  EXILE_TRY(transaction->commit());
  return identity;
}

Result<crypto::IdentityKeyPair> Core::load_identity(store::Database& db) {
  return store::SqliteIdentityStore(db).local_identity();
}

UnixMillis Core::now() const { return clock_.now(); }

void Core::emit_event(const Event& event) {
  auto subscribers = subscribers_;  // a subscriber may unsubscribe from inside its call
  for (auto& [id, on_event] : subscribers) {
    if (subscribers_.contains(id)) on_event(event);
  }
}

std::uint64_t Core::add_subscriber(std::function<void(const Event&)> on_event) {
  const auto id = next_subscriber_++;
  subscribers_.emplace(id, std::move(on_event));
  return id;
}

void Core::remove_subscriber(std::uint64_t id) { subscribers_.erase(id); }

// ---- relays -------------------------------------------------------------------------------

Core::Relay& Core::relay(const std::string& url) {
  auto it = relays_.find(url);
  if (it != relays_.end()) return *it->second;
  Relay& ref = *relays_.emplace(url, std::make_unique<Relay>(*this, url)).first->second;
  // From a callback of a transport being torn down: an entry without a connection.
  if (shut_down_) return ref;
  auto transport = environment_.relays ? environment_.relays(url) : connect_relay(url);
  if (!transport) {
    log::write(log::Level::Warn, "engine", "a relay URL was refused");
    return ref;
  }
  ref.transport = std::move(*transport);
  ref.transport->start(ref);
  return ref;
}

void Core::start() {
  auto home = setting_text(db_, kHomeRelayKey);
  if (home) relay(*home);
  auto urls = store::QueueRepository(db_).relays();
  if (urls) {
    for (const auto& url : *urls) {
      if (!url.empty()) relay(url);
    }
  }
  // Subscribe every queue we read: one SUB per queue, because a SUB is all-or-nothing and one
  // queue a relay refuses (AUTH at its index) would end the subscriptions of the whole batch.
  // RelayConnection writes the SUBs of one event-loop turn together, in one ClientBatch.
  for (auto& [url, r] : relays_) {
    auto queues = store::QueueRepository(db_).receiving_on(url);
    if (!queues) continue;
    for (const auto& queue : *queues) subscribe_queue(queue);
  }
  // Receive queues whose securing did not finish (a crash between the reply and KEY).
  auto active = store::ChatRepository(db_).with_state(store::ChatState::Active);
  if (active) {
    for (const auto& chat : *active) {
      if (!chat.peer_sender_key) continue;
      auto queue = store::QueueRepository(db_).find_for_chat(chat.id, store::QueueRole::Receive);
      if (queue && *queue && !(*queue)->secured) {
        secure_reply_queue((*queue)->id, *chat.peer_sender_key);
      }
    }
  }
  ensure_address();
  flush_outbox();
  schedule_expiry();
  report_relay_status();
}

void Core::shut_down() {
  if (shut_down_) return;
  shut_down_ = true;
  outbox_timer_.stop();
  watchdog_timer_.stop();
  expiry_timer_.stop();
  sync_timer_.stop();
  answer_timer_.stop();
  // A transport's destructor stops its connection, and stopping calls every callback still
  // pending (RelayStopped) from inside that destructor; those callbacks come back into this Core.
  // So the relays leave relays_ first and are destroyed outside it: a callback then finds an
  // empty map, not one halfway through its own clear(), and (shut_down_ being set) it starts
  // nothing: no turn, no retry timer, no new connection.
  auto relays = std::exchange(relays_, {});
  relays.clear();
  for (auto& send : std::exchange(pending_sends_, {})) {
    if (send.done) send.done(fail(ErrorCode::ProfileLocked));
  }
  for (auto& waiter : sync_waiters_) {
    if (waiter.done) waiter.done(fail(ErrorCode::ProfileLocked));
  }
  sync_waiters_.clear();
  subscribers_.clear();
}

void Core::relay_connected(Relay&) {
  report_relay_status();
  flush_outbox();
}

void Core::report_relay_status() {
  std::size_t connected = 0;
  for (const auto& [url, r] : relays_) connected += r->connected ? 1u : 0u;
  emit_event(RelayStatus{connected, relays_.size()});
}

void Core::subscribe_queue(const store::RelayQueue& queue) {
  auto key = auth_key_pair(queue);
  auto recv_id = wire::exact<wire::kQueueIdBytes>(queue.recv_id);
  if (!key || !recv_id) return;
  Relay& r = relay(queue.relay_url);
  if (!r.transport) return;
  std::vector<QueueSubscription> subscriptions;
  subscriptions.push_back(QueueSubscription{*recv_id, std::move(*key)});
  ++subscribes_pending_;
  r.transport->subscribe(std::move(subscriptions), [this](Result<void> result) {
    --subscribes_pending_;
    if (!result && result.error().code != ErrorCode::RelayStopped) {
      log::write(log::Level::Warn, "engine", "a relay refused a subscription");
    }
  });
}

void Core::relay_message(Relay& r, const wire::QueueId& recv_id, std::uint64_t msg_id, Bytes body) {
  last_push_at_ = std::chrono::steady_clock::now();
  pending_pushes_.push_back(Push{r.url, recv_id, msg_id, std::move(body)});
  schedule_turn();
}

// ---- the contact address ------------------------------------------------------------------

void Core::ensure_address() {
  if (address_in_progress_ || shut_down_) return;
  auto addresses = store::QueueRepository(db_).address_queues();
  if (!addresses) return;
  if (!addresses->empty()) {
    auto published = store::SettingsRepository(db_).get(kAddressPublishedKey);
    if (published && *published) {
      emit_event(AddressReady{});
      return;
    }
    address_in_progress_ = true;
    publish_bundle(std::move(addresses->front()));
    return;
  }
  auto home = setting_text(db_, kHomeRelayKey);
  if (!home) return;
  Relay& r = relay(*home);
  if (!r.transport) return;
  address_in_progress_ = true;
  auto recipient = std::make_shared<wire::KeyPair>(wire::generate_key_pair(rng_));
  r.transport->create_queue(*recipient, true, [this, recipient, url = *home](Result<QueueIds> ids) {
    if (!ids) {
      address_in_progress_ = false;
      if (!shut_down_) QTimer::singleShot(kRelayRetry, this, [this] { ensure_address(); });
      return;
    }
    store::NewRelayQueue queue{
        .chat = std::nullopt,
        .role = store::QueueRole::Address,
        .relay_url = url,
        .recv_id = ids->recv_id,
        .send_id = ids->send_id,
        .auth_public = recipient->public_key,
        .auth_secret = ByteView(recipient->secret_key.data(), recipient->secret_key.size())};
    auto row = store::QueueRepository(db_).add(queue, now());
    if (!row) {
      address_in_progress_ = false;
      emit_event(EngineError{row.error()});
      return;
    }
    auto stored = store::QueueRepository(db_).find(*row);
    if (!stored || !*stored) {
      address_in_progress_ = false;
      return;
    }
    subscribe_queue(**stored);
    publish_bundle(std::move(**stored));
  });
}

void Core::publish_bundle(store::RelayQueue address) {
  auto fail_and_retry = [this] {
    address_in_progress_ = false;
    if (shut_down_) return;
    QTimer::singleShot(kRelayRetry, this, [this] { ensure_address(); });
  };
  store::SqlitePreKeyStore prekeys(db_);
  auto spk_id = setting_u32(db_, kSignedPreKeyIdKey);
  auto next_opk = setting_u32(db_, kNextPreKeyIdKey);
  auto bundle_key = store::SettingsRepository(db_).get(kBundleKeyKey);
  if (!spk_id || !next_opk || !bundle_key || !*bundle_key ||
      (*bundle_key)->size() != crypto::kBundleKeyBytes) {
    address_in_progress_ = false;
    emit_event(EngineError{Error(ErrorCode::DatabaseCorrupt, "the profile's keys are missing")});
    return;
  }
  auto spk = prekeys.load_signed_prekey(*spk_id);
  if (!spk || !*spk) {
    address_in_progress_ = false;
    return;
  }
  auto bundle = crypto::PreKeyBundle::make(identity_, **spk, nullptr);
  SecureBuffer<crypto::kBundleKeyBytes> key{ByteView(**bundle_key)};
  auto sealed = crypto::seal_contact_bundle(bundle, key, rng_);
  if (!sealed) {
    address_in_progress_ = false;
    return;
  }
  std::vector<Bytes> one_time_keys;
  for (crypto::PreKeyId id = 1; id < *next_opk; ++id) {
    auto opk = prekeys.load_one_time_prekey(id);
    if (opk && *opk) {
      one_time_keys.push_back(crypto::encode_one_time_key({id, (*opk)->key.public_key()}));
    }
  }
  auto key_pair = auth_key_pair(address);
  auto recv_id = wire::exact<wire::kQueueIdBytes>(address.recv_id);
  if (!key_pair || !recv_id) {
    address_in_progress_ = false;
    return;
  }
  Relay& r = relay(address.relay_url);
  if (!r.transport) return fail_and_retry();
  r.transport->put_bundle(*recv_id, *key_pair, *sealed, std::move(one_time_keys), true,
                          [this, fail_and_retry](Result<std::uint32_t> left) {
                            if (!left) return fail_and_retry();
                            address_in_progress_ = false;
                            if (!set_setting(db_, kAddressPublishedKey, "1")) return;
                            emit_event(AddressReady{});
                          });
}

Result<InvitationView> Core::invitation() {
  auto addresses = store::QueueRepository(db_).address_queues();
  if (!addresses) return fail(std::move(addresses).error());
  auto published = store::SettingsRepository(db_).get(kAddressPublishedKey);
  if (!published) return fail(std::move(published).error());
  if (addresses->empty() || !*published) return fail(ErrorCode::AddressPending);
  const auto& address = addresses->front();
  auto bundle_key = store::SettingsRepository(db_).get(kBundleKeyKey);
  if (!bundle_key) return fail(std::move(bundle_key).error());
  if (!*bundle_key || (*bundle_key)->size() != kBundleKeyBytes) {
    return fail(ErrorCode::DatabaseCorrupt, "the profile's bundle key is missing");
  }
  auto address_id = wire::exact<kAddressIdBytes>(address.send_id);
  if (!address_id) return fail(ErrorCode::DatabaseCorrupt, "the contact address is damaged");
  Invitation invitation{
      .relay_url = address.relay_url,
      .address_id = *address_id,
      .identity_fingerprint = crypto::IdentityFingerprint::of(identity_.public_key()).bytes,
      .bundle_key = SecureBuffer<kBundleKeyBytes>(ByteView(**bundle_key))};
  auto link = encode_invitation_link(invitation);
  if (!link) return fail(std::move(link).error());
  auto qr = render_qr_ascii(*link);
  if (!qr) return fail(std::move(qr).error());
  return InvitationView{std::move(*link), std::move(*qr)};
}

Result<std::string> Core::display_name() { return setting_text(db_, kDisplayNameKey); }

// ---- starting a chat (PROTOCOL.md §4 "Starting a secret chat") -----------------------------

void Core::accept_invitation(std::string link, Done<ChatId> done) {
  auto parsed = parse_invitation_link(link);
  if (!parsed) return complete_later<ChatId>(this, std::move(done), fail(parsed.error()));
  auto invitation = std::make_shared<Invitation>(std::move(*parsed));
  if (crypto::IdentityFingerprint::of(identity_.public_key()).bytes ==
      invitation->identity_fingerprint) {
    return complete_later<ChatId>(this, std::move(done),
                                  fail(ErrorCode::InvalidArgument, "this is your own invitation"));
  }
  auto home = setting_text(db_, kHomeRelayKey);
  if (!home) return complete_later<ChatId>(this, std::move(done), fail(home.error()));
  Relay& inviter_relay = relay(invitation->relay_url);
  if (!inviter_relay.transport) {
    return complete_later<ChatId>(this, std::move(done), fail(ErrorCode::RelayInvalidUrl));
  }
  inviter_relay.transport->get_bundle(invitation->address_id, [this, invitation, home = *home,
                                                               done = std::move(done)](
                                                                  Result<PrekeyBundle> fetched) {
    if (!fetched) return done(fail(fetched.error()));
    auto bundle = crypto::open_contact_bundle(fetched->bundle, invitation->bundle_key);
    if (!bundle) return done(fail(bundle.error()));
    if (!fetched->one_time_key.empty()) {
      auto opk = crypto::decode_one_time_key(fetched->one_time_key);
      if (!opk) return done(fail(opk.error()));
      bundle->one_time_prekey = *opk;
    }
    auto expected = crypto::IdentityFingerprint::from_bytes(invitation->identity_fingerprint);
    if (!expected) return done(fail(expected.error()));
    auto started = crypto::start_session(identity_, *bundle, *expected, rng_);
    if (!started) return done(fail(started.error()));
    auto session = std::make_shared<crypto::Session>(std::move(*started));
    auto peer_identity = bundle->identity;
    Relay& home_relay = relay(home);
    if (!home_relay.transport) return done(fail(ErrorCode::RelayInvalidUrl));
    auto recipient = std::make_shared<wire::KeyPair>(wire::generate_key_pair(rng_));
    home_relay.transport->create_queue(
        *recipient, false,
        [this, invitation, home, done, session, peer_identity, recipient](Result<QueueIds> ids) {
          if (!ids) return done(fail(ids.error()));
          auto sender = wire::generate_key_pair(rng_);
          auto display = setting_text(db_, kDisplayNameKey);
          if (!display) return done(fail(display.error()));
          Content route{.id = random_content_id(rng_),
                        .sent_at = now(),
                        .body = RouteContent{.relay_url = home,
                                             .send_id = ids->send_id,
                                             .sender_key = sender.public_key,
                                             .display_name = *display}};
          auto plaintext = encode_content(route);
          if (!plaintext) return done(fail(plaintext.error()));
          auto envelope = session->encrypt(*plaintext, rng_);
          if (!envelope) return done(fail(envelope.error()));

          const auto contact = random_local_id(rng_);
          const auto session_id = random_local_id(rng_);
          ClientMessageId client_id{};
          rng_.fill(client_id);
          auto stored = [&]() -> Result<std::pair<ChatId, store::QueueRowId>> {
            auto transaction = db_.begin();
            if (!transaction) return fail(std::move(transaction).error());
            EXILE_TRY(store::ContactRepository(db_).add(contact, "", now()));
            EXILE_TRY(store::SqliteIdentityStore(db_).pin_identity(contact, peer_identity));
            EXILE_TRY(store::SqliteSessionStore(db_).store_session(session_id, *session));
            auto chat = store::ChatRepository(db_).create(contact, session_id,
                                                          store::ChatState::Requested, now());
            if (!chat) return fail(std::move(chat).error());
            store::QueueRepository queues(db_);
            auto receive = queues.add({.chat = *chat,
                                       .role = store::QueueRole::Receive,
                                       .relay_url = home,
                                       .recv_id = ids->recv_id,
                                       .send_id = ids->send_id,
                                       .auth_public = recipient->public_key,
                                       .auth_secret = ByteView(recipient->secret_key.data(),
                                                               recipient->secret_key.size())},
                                      now());
            if (!receive) return fail(std::move(receive).error());
            auto send = queues.add(
                {.chat = *chat,
                 .role = store::QueueRole::Send,
                 .relay_url = "",
                 .recv_id = {},
                 .send_id = {},
                 .auth_public = sender.public_key,
                 .auth_secret = ByteView(sender.secret_key.data(), sender.secret_key.size())},
                now());
            if (!send) return fail(std::move(send).error());
            // The inviter's contact address: written to once, with this first message.
            auto introduction = queues.add({.chat = std::nullopt,
                                            .role = store::QueueRole::Send,
                                            .relay_url = invitation->relay_url,
                                            .recv_id = {},
                                            .send_id = invitation->address_id,
                                            .auth_public = {},
                                            .auth_secret = {}},
                                           now());
            if (!introduction) return fail(std::move(introduction).error());
            auto outbox = store::OutboxRepository(db_).enqueue(*introduction, std::nullopt,
                                                               client_id, *envelope, now());
            if (!outbox) return fail(std::move(outbox).error());
            EXILE_TRY(transaction->commit());
            return std::pair{*chat, *receive};
          }();
          if (!stored) return done(fail(stored.error()));
          auto receive_row = store::QueueRepository(db_).find(stored->second);
          if (receive_row && *receive_row) subscribe_queue(**receive_row);
          flush_outbox();
          emit_event(ChatChanged{stored->first});
          done(stored->first);
        });
  });
}

bool Core::handle_first_message(const Push& push, const store::RelayQueue&) {
  auto type = crypto::envelope_type(push.body);
  if (!type || *type != crypto::EnvelopeType::Initial) return true;  // not a first message: dropped
  auto replay_id = crypto::initial_replay_id(push.body);
  if (!replay_id) return true;
  store::ReplayRepository replays(db_);
  auto seen = replays.seen(*replay_id);
  if (!seen) return false;
  if (*seen) return true;
  store::SqlitePreKeyStore prekeys(db_);
  auto accepted = crypto::accept_session(identity_, prekeys, push.body, now());
  if (!accepted) return true;
  auto content = decode_content(ByteView(accepted->plaintext));
  if (!content) return true;
  auto* route = std::get_if<RouteContent>(&content->body);
  if (route == nullptr) return true;
  if (accepted->session.remote_identity().bytes() == identity_.public_key().bytes()) return true;

  // A flood of first messages cannot fill the disk: the oldest pending requests make room.
  auto pending = store::ChatRepository(db_).with_state(store::ChatState::Pending);
  if (pending && pending->size() >= kMaxPendingRequests) {
    for (std::size_t i = 0; i + kMaxPendingRequests <= pending->size(); ++i) {
      (void)decline_request((*pending)[i].id);
    }
  }

  const auto contact = random_local_id(rng_);
  const auto session_id = random_local_id(rng_);
  auto sender = wire::generate_key_pair(rng_);
  auto stored = [&]() -> Result<ChatId> {
    auto transaction = db_.begin();
    if (!transaction) return fail(std::move(transaction).error());
    EXILE_TRY(replays.add(*replay_id, now()));
    if (accepted->one_time_prekey_id) {
      auto removed = store::take_one_time_prekey_in_transaction(db_, *accepted->one_time_prekey_id,
                                                                session_id, now());
      if (!removed) return fail(std::move(removed).error());
      if (!*removed) return fail(ErrorCode::UnknownPreKey);
    }
    EXILE_TRY(store::ContactRepository(db_).add(contact, route->display_name, now()));
    EXILE_TRY(
        store::SqliteIdentityStore(db_).pin_identity(contact, accepted->session.remote_identity()));
    EXILE_TRY(store::SqliteSessionStore(db_).store_session(session_id, accepted->session));
    store::ChatRepository chats(db_);
    auto chat = chats.create(contact, session_id, store::ChatState::Pending, now());
    if (!chat) return fail(std::move(chat).error());
    EXILE_TRY(chats.set_peer_sender_key(*chat, ByteView(route->sender_key)));
    auto send = store::QueueRepository(db_).add(
        {.chat = *chat,
         .role = store::QueueRole::Send,
         .relay_url = route->relay_url,
         .recv_id = {},
         .send_id = route->send_id,
         .auth_public = sender.public_key,
         .auth_secret = ByteView(sender.secret_key.data(), sender.secret_key.size())},
        now());
    if (!send) return fail(std::move(send).error());
    EXILE_TRY(transaction->commit());
    return *chat;
  }();
  if (!stored) {
    log::write(log::Level::Warn, "engine", "a first message could not be stored");
    // A failure of our own (disk full, a busy database): not acked, so the relay pushes it again
    // after the next reconnect. A first message that breaks a rule is acked and forgotten.
    const auto code = stored.error().code;
    return code != ErrorCode::StorageIo && code != ErrorCode::DiskFull &&
           code != ErrorCode::DatabaseBusy && code != ErrorCode::DatabaseCorrupt;
  }
  emit_event(ContactRequestReceived{*stored});
  return true;
}

Result<std::vector<ContactRequest>> Core::requests() {
  auto pending = store::ChatRepository(db_).with_state(store::ChatState::Pending);
  if (!pending) return fail(std::move(pending).error());
  std::vector<ContactRequest> out;
  for (const auto& chat : *pending) {
    auto contact = store::ContactRepository(db_).find(chat.contact);
    if (!contact) return fail(std::move(contact).error());
    if (!*contact || !(*contact)->identity) continue;
    auto number = crypto::SafetyNumber::compute(identity_.public_key(), *(*contact)->identity);
    out.push_back(
        ContactRequest{chat.id, (*contact)->display_name, number.display(), chat.created_at});
  }
  return out;
}

void Core::accept_request(RequestId request, Done<ChatId> done) {
  auto pending = store::ChatRepository(db_).find(request);
  if (!pending) return complete_later<ChatId>(this, std::move(done), fail(pending.error()));
  if (!*pending) return complete_later<ChatId>(this, std::move(done), fail(ErrorCode::NotFound));
  if ((*pending)->state != store::ChatState::Pending || !(*pending)->peer_sender_key) {
    return complete_later<ChatId>(this, std::move(done), fail(ErrorCode::ChatNotReady));
  }
  auto home = setting_text(db_, kHomeRelayKey);
  if (!home) return complete_later<ChatId>(this, std::move(done), fail(home.error()));
  Relay& home_relay = relay(*home);
  if (!home_relay.transport) {
    return complete_later<ChatId>(this, std::move(done), fail(ErrorCode::RelayInvalidUrl));
  }
  const wire::PublicKey peer_key = *(*pending)->peer_sender_key;
  auto recipient = std::make_shared<wire::KeyPair>(wire::generate_key_pair(rng_));
  home_relay.transport->create_queue(
      *recipient, false,
      [this, request, home_url = *home, peer_key, recipient,
       done = std::move(done)](Result<QueueIds> ids) mutable {
        if (!ids) return done(fail(ids.error()));
        Relay& home_relay_now = relay(home_url);
        home_relay_now.transport->secure_queue(
            ids->recv_id, *recipient, peer_key,
            [this, request, home_url, peer_key, recipient, ids = *ids,
             done = std::move(done)](Result<void> secured) {
              if (!secured) return done(fail(secured.error()));
              auto stored = [&]() -> Result<store::QueueRowId> {
                auto transaction = db_.begin();
                if (!transaction) return fail(std::move(transaction).error());
                store::ChatRepository chats(db_);
                auto chat = chats.find(request);
                if (!chat) return fail(std::move(chat).error());
                if (!*chat || (*chat)->state != store::ChatState::Pending) {
                  return fail(ErrorCode::ChatNotReady);
                }
                store::QueueRepository queues(db_);
                auto send = queues.find_for_chat(request, store::QueueRole::Send);
                if (!send) return fail(std::move(send).error());
                if (!*send) return fail(ErrorCode::DatabaseCorrupt, "a request without its route");
                auto receive = queues.add({.chat = request,
                                           .role = store::QueueRole::Receive,
                                           .relay_url = home_url,
                                           .recv_id = ids.recv_id,
                                           .send_id = ids.send_id,
                                           .auth_public = recipient->public_key,
                                           .auth_secret = ByteView(recipient->secret_key.data(),
                                                                   recipient->secret_key.size())},
                                          now());
                if (!receive) return fail(std::move(receive).error());
                EXILE_TRY(queues.mark_secured(*receive, peer_key));
                auto session = store::SqliteSessionStore(db_).load_session((*chat)->session);
                if (!session) return fail(std::move(session).error());
                if (!*session)
                  return fail(ErrorCode::DatabaseCorrupt, "a chat without its session");
                auto display = setting_text(db_, kDisplayNameKey);
                if (!display) return fail(std::move(display).error());
                auto sender_public = wire::exact<wire::kPublicKeyBytes>((*send)->auth_public);
                if (!sender_public)
                  return fail(ErrorCode::DatabaseCorrupt, "a route without its key");
                Content route{.id = random_content_id(rng_),
                              .sent_at = now(),
                              .body = RouteContent{.relay_url = home_url,
                                                   .send_id = ids.send_id,
                                                   .sender_key = *sender_public,
                                                   .display_name = *display}};
                EXILE_TRY(queue_content(**session, request, route, std::nullopt));
                EXILE_TRY(
                    store::SqliteSessionStore(db_).store_session((*chat)->session, **session));
                EXILE_TRY(chats.set_state(request, store::ChatState::Active));
                EXILE_TRY(chats.set_peer_sender_key(request, std::nullopt));
                EXILE_TRY(transaction->commit());
                return *receive;
              }();
              if (!stored) return done(fail(stored.error()));
              auto row = store::QueueRepository(db_).find(*stored);
              if (row && *row) subscribe_queue(**row);
              flush_outbox();
              emit_event(ChatChanged{request});
              done(request);
            });
      });
}

Result<void> Core::decline_request(RequestId request) {
  auto chat = store::ChatRepository(db_).find(request);
  if (!chat) return fail(std::move(chat).error());
  if (!*chat) return fail(ErrorCode::NotFound);
  if ((*chat)->state != store::ChatState::Pending) return fail(ErrorCode::ChatNotReady);
  auto transaction = db_.begin();
  if (!transaction) return fail(std::move(transaction).error());
  EXILE_TRY(store::SqliteSessionStore(db_).delete_session((*chat)->session));
  // The contact goes with its chat, its queues and its messages (ON DELETE CASCADE).
  EXILE_TRY(store::ContactRepository(db_).remove((*chat)->contact));
  EXILE_TRY(transaction->commit());
  emit_event(ChatChanged{request});
  return {};
}

// ---- receiving ------------------------------------------------------------------------------

void Core::schedule_turn() {
  if (turn_scheduled_) return;
  turn_scheduled_ = true;
  QMetaObject::invokeMethod(
      this, [this] { run_turn(); }, Qt::QueuedConnection);
}

void Core::run_turn() {
  turn_scheduled_ = false;
  answer_timer_.stop();
  auto take = [this](auto& pending) {
    std::remove_reference_t<decltype(pending)> taken;
    if (pending.size() <= kTurnLimit) return std::exchange(pending, {});
    const auto end = pending.begin() + static_cast<std::ptrdiff_t>(kTurnLimit);
    taken.assign(std::make_move_iterator(pending.begin()), std::make_move_iterator(end));
    pending.erase(pending.begin(), end);
    schedule_turn();
    return taken;
  };
  auto pushes = take(pending_pushes_);
  auto answers = std::exchange(pending_answers_, {});
  auto sends = take(pending_sends_);
  if (pushes.empty() && answers.empty() && sends.empty()) return;  // a turn run early took them
  if (shut_down_) {
    for (auto& send : sends) {
      if (send.done) send.done(fail(ErrorCode::ProfileLocked));
    }
    return;
  }
  Batch batch;
  std::vector<std::pair<Push, store::RelayQueue>> first_messages;
  std::vector<Result<MessageId>> replies;  // to the turn's send_text calls, in their order

  auto committed = [&]() -> Result<void> {
    auto transaction = db_.begin();
    if (!transaction) return fail(std::move(transaction).error());
    for (const auto& answer : answers) EXILE_TRY(apply_answer(batch, answer));
    for (auto& push : pushes) {
      Relay& r = relay(push.relay_url);
      auto queue = store::QueueRepository(db_).find_by_recv_id(push.relay_url, push.recv_id);
      if (!queue) return fail(std::move(queue).error());
      if (!*queue) {
        batch.acks.emplace_back(&r, push);  // a queue we no longer have
        continue;
      }
      if ((*queue)->role == store::QueueRole::Address) {
        first_messages.emplace_back(push, std::move(**queue));
        continue;
      }
      EXILE_TRY(handle_chat_envelope(batch, push, **queue));
      batch.acks.emplace_back(&r, push);
    }
    // Delivery receipts, one per chat, encrypted with the batch's sessions.
    for (auto& [chat_id, ids] : batch.delivered) {
      auto chat = store::ChatRepository(db_).find(chat_id);
      if (!chat) return fail(std::move(chat).error());
      if (!*chat) continue;
      auto session = batch.sessions.find((*chat)->session);
      if (session == batch.sessions.end()) continue;
      for (std::size_t i = 0; i < ids.size(); i += kMaxReceiptIds) {
        ReceiptContent receipt{
            ReceiptKind::Delivered,
            std::vector<ContentId>(ids.begin() + static_cast<std::ptrdiff_t>(i),
                                   ids.begin() + static_cast<std::ptrdiff_t>(
                                                     std::min(ids.size(), i + kMaxReceiptIds)))};
        Content content{.id = random_content_id(rng_), .sent_at = now(), .body = receipt};
        EXILE_TRY(queue_content(session->second, chat_id, content, std::nullopt));
      }
    }
    for (auto& send : sends) {
      auto staged = stage_send(batch, send);
      if (!staged) return fail(std::move(staged).error());
      replies.push_back(std::move(*staged));
    }
    for (auto& [id, session] : batch.sessions) {
      EXILE_TRY(store::SqliteSessionStore(db_).store_session(id, session));
    }
    return transaction->commit();
  }();
  // The answers are settled either way: applied, or (on a failed commit) sent again, under the
  // same client ids, by the flush below.
  for (const auto& answer : answers) in_flight_.erase(answer.item.id);
  if (!committed) {
    // Nothing is acked: the relay pushes these again after the next reconnect.
    emit_event(EngineError{committed.error()});
    for (auto& send : sends) {
      if (send.done) send.done(fail(committed.error()));
    }
    flush_outbox();
    return;
  }
  for (auto& [r, push] : batch.acks) {
    if (r->transport) r->transport->ack(push.recv_id, push.msg_id, {});
  }
  for (auto& [queue_id, key] : batch.to_secure) secure_reply_queue(queue_id, key);
  for (const auto& event : batch.events) emit_event(event);
  for (std::size_t i = 0; i < sends.size(); ++i) {
    if (sends[i].done) sends[i].done(std::move(replies[i]));
  }
  if (batch.purge) (void)store::MessageRepository(db_).purge_search_index();
  for (auto& [push, address] : first_messages) {
    if (!handle_first_message(push, address)) continue;
    Relay& r = relay(push.relay_url);
    if (r.transport) r.transport->ack(push.recv_id, push.msg_id, {});
  }
  flush_outbox();
  schedule_expiry();
}

Result<void> Core::handle_chat_envelope(Batch& batch, const Push& push,
                                        const store::RelayQueue& queue) {
  if (!queue.chat) return {};
  auto chat = store::ChatRepository(db_).find(*queue.chat);
  if (!chat) return fail(std::move(chat).error());
  if (!*chat) return {};
  auto it = batch.sessions.find((*chat)->session);
  if (it == batch.sessions.end()) {
    auto loaded = store::SqliteSessionStore(db_).load_session((*chat)->session);
    if (!loaded) return fail(std::move(loaded).error());
    if (!*loaded) return {};
    it = batch.sessions.emplace((*chat)->session, std::move(**loaded)).first;
  }
  auto plaintext = it->second.decrypt(push.body, now());
  if (!plaintext) {
    if (plaintext.error().code == ErrorCode::DuplicateMessage) return {};
    // Kept, never dropped: the chat shows that a message could not be read.
    store::MessageUid uid{};
    rng_.fill(uid);
    store::NewMessage message{.chat = (*chat)->id,
                              .uid = uid,
                              .direction = store::Direction::Incoming,
                              .body = "",
                              .sent_at = now(),
                              .received_at = now(),
                              .timer_seconds = std::nullopt,
                              .kind = store::MessageKind::Undecryptable,
                              .state = store::MessageState::Received,
                              .envelope = push.body};
    auto id = store::MessageRepository(db_).insert(message);
    if (!id) return fail(std::move(id).error());
    batch.events.push_back(MessageAdded{(*chat)->id, *id});
    return {};
  }
  auto content = decode_content(ByteView(*plaintext));
  if (!content) return {};  // a peer's malformed content changes nothing
  return apply_content(batch, queue, **chat, *content);
}

Result<void> Core::apply_content(Batch& batch, const store::RelayQueue& queue,
                                 const store::Chat& chat, const Content& content) {
  const ChatId chat_id = chat.id;
  store::MessageRepository messages(db_);
  store::ChatRepository chats(db_);
  return std::visit(
      [&](const auto& body) -> Result<void> {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, TextContent>) {
          auto existing = messages.find_by_uid(chat_id, content.id);
          if (!existing) return fail(std::move(existing).error());
          if (*existing) return {};  // a redelivery
          store::NewMessage message{.chat = chat_id,
                                    .uid = content.id,
                                    .direction = store::Direction::Incoming,
                                    .body = body.text,
                                    .sent_at = content.sent_at,
                                    .received_at = now(),
                                    .timer_seconds = body.timer_seconds,
                                    .kind = store::MessageKind::Text,
                                    .state = store::MessageState::Received,
                                    .envelope = {}};
          auto id = messages.insert(message);
          if (!id) return fail(std::move(id).error());
          batch.events.push_back(MessageAdded{chat_id, *id});
          batch.delivered[chat_id].push_back(content.id);
        } else if constexpr (std::is_same_v<T, ReceiptContent>) {
          for (const auto& uid : body.ids) {
            auto message = messages.find_by_uid_full(chat_id, uid);
            if (!message) return fail(std::move(message).error());
            if (!*message || (*message)->direction != store::Direction::Outgoing) continue;
            Result<bool> changed =
                body.kind == ReceiptKind::Read
                    ? messages.mark_outgoing_read((*message)->id, now())
                    : messages.advance_state((*message)->id, store::MessageState::Delivered);
            if (!changed) return fail(std::move(changed).error());
            if (*changed) batch.events.push_back(MessageChanged{chat_id, (*message)->id});
            if (*changed && body.kind == ReceiptKind::Read) batch.expiry_changed = true;
          }
        } else if constexpr (std::is_same_v<T, TypingContent>) {
          batch.events.push_back(TypingChanged{chat_id, body.typing});
        } else if constexpr (std::is_same_v<T, TimerContent>) {
          auto existing = messages.find_by_uid(chat_id, content.id);
          if (!existing) return fail(std::move(existing).error());
          if (*existing) return {};
          EXILE_TRY(chats.set_timer(chat_id, body.seconds));
          store::NewMessage message{.chat = chat_id,
                                    .uid = content.id,
                                    .direction = store::Direction::Incoming,
                                    .body = "",
                                    .sent_at = content.sent_at,
                                    .received_at = now(),
                                    .timer_seconds = body.seconds,
                                    .kind = store::MessageKind::TimerChanged,
                                    .state = store::MessageState::Received,
                                    .envelope = {}};
          auto id = messages.insert(message);
          if (!id) return fail(std::move(id).error());
          batch.events.push_back(ChatChanged{chat_id});
          batch.events.push_back(MessageAdded{chat_id, *id});
        } else if constexpr (std::is_same_v<T, DeleteContent>) {
          auto message = messages.find_by_uid(chat_id, body.target);
          if (!message) return fail(std::move(message).error());
          if (!*message) return {};
          auto removed = messages.remove(**message);
          if (!removed) return fail(std::move(removed).error());
          batch.events.push_back(MessageDeleted{chat_id, **message});
          batch.purge = true;
        } else if constexpr (std::is_same_v<T, RouteContent>) {
          // The reply to our first message: where to write from now on.
          if (chat.state != store::ChatState::Requested) return {};
          store::QueueRepository queues(db_);
          auto send = queues.find_for_chat(chat_id, store::QueueRole::Send);
          if (!send) return fail(std::move(send).error());
          if (!*send) return {};
          EXILE_TRY(queues.set_route((*send)->id, body.relay_url, body.send_id));
          EXILE_TRY(store::ContactRepository(db_).rename(chat.contact, body.display_name));
          EXILE_TRY(chats.set_state(chat_id, store::ChatState::Active));
          EXILE_TRY(chats.set_peer_sender_key(chat_id, ByteView(body.sender_key)));
          batch.to_secure.emplace_back(queue.id, body.sender_key);
          batch.events.push_back(ChatChanged{chat_id});
        }
        return {};
      },
      content.body);
}

void Core::secure_reply_queue(store::QueueRowId queue_id, wire::PublicKey sender_key) {
  if (shut_down_) return;
  auto queue = store::QueueRepository(db_).find(queue_id);
  if (!queue || !*queue || (*queue)->secured) return;
  auto key = auth_key_pair(**queue);
  auto recv_id = wire::exact<wire::kQueueIdBytes>((*queue)->recv_id);
  if (!key || !recv_id) return;
  Relay& r = relay((*queue)->relay_url);
  if (!r.transport) return;
  const auto chat = (*queue)->chat;
  r.transport->secure_queue(
      *recv_id, *key, sender_key, [this, queue_id, sender_key, chat](Result<void> result) {
        if (!result && result.error().code != ErrorCode::RelayAlreadySecured) {
          if (shut_down_) return;
          QTimer::singleShot(kRelayRetry, this, [this, queue_id, sender_key] {
            secure_reply_queue(queue_id, sender_key);
          });
          return;
        }
        auto transaction = db_.begin();
        if (!transaction) return;
        if (!store::QueueRepository(db_).mark_secured(queue_id, sender_key)) return;
        if (chat && !store::ChatRepository(db_).set_peer_sender_key(*chat, std::nullopt)) return;
        (void)transaction->commit();
      });
}

// ---- sending --------------------------------------------------------------------------------

Result<void> Core::queue_content(crypto::Session& session, ChatId chat, const Content& content,
                                 std::optional<MessageId> message_id) {
  auto send = store::QueueRepository(db_).find_for_chat(chat, store::QueueRole::Send);
  if (!send) return fail(std::move(send).error());
  if (!*send) return fail(ErrorCode::ChatNotReady);
  auto plaintext = encode_content(content);
  if (!plaintext) return fail(std::move(plaintext).error());
  return queue_envelope(session, (*send)->id, *plaintext, message_id);
}

Result<void> Core::queue_envelope(crypto::Session& session, store::QueueRowId queue,
                                  ByteView plaintext, std::optional<MessageId> message_id) {
  auto envelope = session.encrypt(plaintext, rng_);
  if (!envelope) return fail(std::move(envelope).error());
  ClientMessageId client_id{};
  rng_.fill(client_id);
  auto outbox =
      store::OutboxRepository(db_).enqueue(queue, message_id, client_id, *envelope, now());
  if (!outbox) return fail(std::move(outbox).error());
  return {};
}

void Core::flush_outbox() {
  if (shut_down_) return;
  auto due = store::OutboxRepository(db_).due(now(), kOutboxBatch);
  if (!due) return;
  struct QueueLoad {
    std::size_t in_flight = 0;
    bool refused = false;
  };
  std::map<store::QueueRowId, QueueLoad> load;
  for (const auto& [id, sent] : in_flight_) {
    auto& queue = load[sent.queue];
    ++queue.in_flight;
    queue.refused = queue.refused || sent.refused;
  }
  for (auto& item : *due) {
    if (in_flight_.contains(item.id)) continue;
    auto& queue_load = load[item.queue];
    // A refusal answered in this flush (a transport may answer at once) stops the queue too.
    if (queue_load.refused || queue_load.in_flight >= kSendWindow) continue;
    auto queue = store::QueueRepository(db_).find(item.queue);
    if (!queue || !*queue) continue;
    auto send_id = wire::exact<wire::kQueueIdBytes>((*queue)->send_id);
    if (!send_id) continue;
    Relay& r = relay((*queue)->relay_url);
    if (!r.transport) continue;
    auto sender = auth_key_pair(**queue);
    const auto generation = next_send_generation_++;
    in_flight_[item.id] =
        InFlight{generation, std::chrono::steady_clock::now(), item.queue, (*queue)->relay_url};
    ++queue_load.in_flight;
    const auto envelope = item.envelope;
    const auto client_id = item.client_msg_id;
    const auto item_id = item.id;
    r.transport->send(
        *send_id, client_id, envelope, sender ? &*sender : nullptr,
        [this, generation, item = std::move(item)](Result<SendReceipt> result) mutable {
          // An answer to a send the watchdog has given up on: the newer send answers instead.
          auto it = in_flight_.find(item.id);
          if (it == in_flight_.end() || it->second.generation != generation) return;
          outbox_answered(std::move(item), std::move(result));
        });
    if (auto sent = in_flight_.find(item_id); sent != in_flight_.end() && sent->second.refused) {
      queue_load.refused = true;
    }
  }
  schedule_outbox(std::nullopt);
}

void Core::schedule_outbox(std::optional<UnixMillis> at) {
  if (!at) {
    auto next = store::OutboxRepository(db_).next_attempt_time();
    if (!next || !*next) return;
    at = **next;
  }
  const auto delay = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*at - now()),
                                std::chrono::milliseconds(0), options_.retry_max);
  // Items already due are either in flight or wait for their queue: their answer flushes again.
  if (delay.count() == 0) return;
  if (!outbox_timer_.isActive() || outbox_timer_.remainingTime() > delay.count()) {
    outbox_timer_.start(delay);
  }
}

void Core::outbox_answered(store::OutboxItem item, Result<SendReceipt> result) {
  if (shut_down_) return;  // RelayStopped from a transport being torn down: the row stays queued
  auto it = in_flight_.find(item.id);
  if (it == in_flight_.end()) return;
  it->second.answered = true;
  const bool refused = !result.has_value();
  it->second.refused = refused;
  pending_answers_.push_back(Answer{std::move(item), std::move(result)});
  if (refused) {
    schedule_turn();
  } else if (!turn_scheduled_ && !answer_timer_.isActive()) {
    answer_timer_.start(kAnswerDelay);
  }
}

Result<void> Core::advance_message(Batch& batch, MessageId id, store::MessageState state) {
  store::MessageRepository messages(db_);
  auto changed = messages.advance_state(id, state);
  if (!changed) return fail(std::move(changed).error());
  if (!*changed) return {};
  auto message = messages.find(id);
  if (!message) return fail(std::move(message).error());
  if (*message) batch.events.push_back(MessageChanged{(*message)->chat, id});
  return {};
}

Result<void> Core::apply_answer(Batch& batch, const Answer& answer) {
  const store::OutboxItem& item = answer.item;
  if (answer.result) {
    EXILE_TRY(store::OutboxRepository(db_).remove(item.id));
    if (item.message) EXILE_TRY(advance_message(batch, *item.message, store::MessageState::Sent));
    // The introduction row (the inviter's address) has done its one job.
    auto queue = store::QueueRepository(db_).find(item.queue);
    if (!queue) return fail(std::move(queue).error());
    if (*queue && !(*queue)->chat && (*queue)->role == store::QueueRole::Send) {
      EXILE_TRY(store::QueueRepository(db_).remove(item.queue));
    }
    return {};
  }
  const auto attempts = std::min<std::uint32_t>(item.attempts, 16);
  std::chrono::milliseconds delay = std::min<std::chrono::milliseconds>(
      options_.retry_max, options_.retry_initial * (std::int64_t{1} << attempts));
  if (answer.result.error().retry_after) {
    delay = std::max(delay, *answer.result.error().retry_after);
  }
  const bool permanent = permanent_send_error(answer.result.error().code);
  if (permanent) {
    // Never retried: the item goes, so that it does not hold the queue behind it.
    EXILE_TRY(store::OutboxRepository(db_).remove(item.id));
  } else {
    auto failed = store::OutboxRepository(db_).record_failure(item.id, now() + delay);
    if (!failed && failed.error().code != ErrorCode::NotFound) {
      return fail(std::move(failed).error());
    }
  }
  if (item.message && permanent) {
    EXILE_TRY(advance_message(batch, *item.message, store::MessageState::Failed));
  }
  return {};
}

void Core::send_text(ChatId chat, std::string text, Done<MessageId> done) {
  pending_sends_.push_back(PendingSend{chat, std::move(text), std::move(done), std::nullopt});
  schedule_turn();
}

Result<MessageId> Core::send_text(ChatId chat, std::string_view text) {
  return send_now(chat, std::string(text), std::nullopt);
}

void Core::retry(ChatId chat, MessageId failed, Done<MessageId> done) {
  pending_sends_.push_back(PendingSend{chat, {}, std::move(done), failed});
  schedule_turn();
}

Result<MessageId> Core::retry(ChatId chat, MessageId failed) { return send_now(chat, {}, failed); }

Result<MessageId> Core::send_now(ChatId chat, std::string text, std::optional<MessageId> replaces) {
  std::optional<Result<MessageId>> answer;
  pending_sends_.push_back(PendingSend{
      chat, std::move(text),
      [&answer](Result<MessageId> result) { answer.emplace(std::move(result)); }, replaces});
  // Sends made earlier come first; a turn takes at most kTurnLimit of them, so run turns until
  // this one is answered (a turn after shut-down answers every send it takes).
  while (!answer) run_turn();
  return std::move(*answer);
}

Result<Result<MessageId>> Core::stage_send(Batch& batch, const PendingSend& send) {
  using Reply = Result<MessageId>;
  const ChatId chat_id = send.chat;
  auto chat = store::ChatRepository(db_).find(chat_id);
  if (!chat) return fail(std::move(chat).error());
  if (!*chat) return Reply(fail(ErrorCode::NotFound));
  if ((*chat)->state == store::ChatState::Pending) return Reply(fail(ErrorCode::ChatNotReady));
  auto queue = store::QueueRepository(db_).find_for_chat(chat_id, store::QueueRole::Send);
  if (!queue) return fail(std::move(queue).error());
  if (!*queue) return Reply(fail(ErrorCode::ChatNotReady));
  // A retry: the relay refused the failed message's envelope for good (too large, queue gone,
  // not allowed), so the same bytes would be refused again. Its text goes as a new message, and
  // the failed one is removed in this transaction: the chat never shows both, nor neither.
  std::string retried_text;
  if (send.replaces) {
    auto failed = store::MessageRepository(db_).find(*send.replaces);
    if (!failed) return fail(std::move(failed).error());
    if (!*failed || (*failed)->chat != chat_id ||
        (*failed)->direction != store::Direction::Outgoing ||
        (*failed)->state != store::MessageState::Failed ||
        (*failed)->kind != store::MessageKind::Text) {
      return Reply(fail(ErrorCode::NotFound));
    }
    retried_text = std::move((*failed)->body);
    auto removed = store::MessageRepository(db_).remove(*send.replaces);
    if (!removed) return fail(std::move(removed).error());
    batch.events.push_back(MessageDeleted{chat_id, *send.replaces});
  }
  const std::string& text = send.replaces ? retried_text : send.text;
  Content content{.id = random_content_id(rng_),
                  .sent_at = now(),
                  .body = TextContent{text, (*chat)->timer_seconds}};
  auto plaintext = encode_content(content);
  if (!plaintext) return Reply(fail(ErrorCode::InvalidContent, plaintext.error().message));
  auto session = batch.sessions.find((*chat)->session);
  if (session == batch.sessions.end()) {
    auto loaded = store::SqliteSessionStore(db_).load_session((*chat)->session);
    if (!loaded) return fail(std::move(loaded).error());
    if (!*loaded) return fail(ErrorCode::DatabaseCorrupt, "a chat without its session");
    session = batch.sessions.emplace((*chat)->session, std::move(**loaded)).first;
  }
  store::NewMessage message{.chat = chat_id,
                            .uid = content.id,
                            .direction = store::Direction::Outgoing,
                            .body = text,
                            .sent_at = content.sent_at,
                            .received_at = content.sent_at,
                            .timer_seconds = (*chat)->timer_seconds,
                            .kind = store::MessageKind::Text,
                            .state = store::MessageState::Queued,
                            .envelope = {}};
  auto id = store::MessageRepository(db_).insert(message);
  if (!id) return fail(std::move(id).error());
  EXILE_TRY(queue_envelope(session->second, (*queue)->id, *plaintext, *id));
  batch.events.push_back(MessageAdded{chat_id, *id});
  return Reply(*id);
}

Result<void> Core::mark_read(ChatId chat_id, MessageId up_to) {
  auto chat = store::ChatRepository(db_).find(chat_id);
  if (!chat) return fail(std::move(chat).error());
  if (!*chat) return fail(ErrorCode::NotFound);
  auto transaction = db_.begin();
  if (!transaction) return fail(std::move(transaction).error());
  auto read = store::MessageRepository(db_).mark_incoming_read_up_to(chat_id, up_to, now());
  if (!read) return fail(std::move(read).error());
  if (read->empty()) return {};
  auto session = store::SqliteSessionStore(db_).load_session((*chat)->session);
  if (!session) return fail(std::move(session).error());
  if (!*session) return fail(ErrorCode::DatabaseCorrupt, "a chat without its session");
  for (std::size_t i = 0; i < read->size(); i += kMaxReceiptIds) {
    ReceiptContent receipt{ReceiptKind::Read, {}};
    for (std::size_t j = i; j < std::min(read->size(), i + kMaxReceiptIds); ++j) {
      receipt.ids.push_back((*read)[j].uid);
    }
    Content content{.id = random_content_id(rng_), .sent_at = now(), .body = std::move(receipt)};
    EXILE_TRY(queue_content(**session, chat_id, content, std::nullopt));
  }
  EXILE_TRY(store::SqliteSessionStore(db_).store_session((*chat)->session, **session));
  EXILE_TRY(transaction->commit());
  // Each message read changed state (and may have started its countdown), as engine.h's
  // MessageChanged says: a view re-reads those, not the whole chat.
  for (const auto& m : *read) emit_event(MessageChanged{chat_id, m.id});
  emit_event(ChatChanged{chat_id});
  schedule_expiry();
  flush_outbox();
  return {};
}

Result<void> Core::set_typing(ChatId chat_id, bool typing) {
  auto chat = store::ChatRepository(db_).find(chat_id);
  if (!chat) return fail(std::move(chat).error());
  if (!*chat) return fail(ErrorCode::NotFound);
  if ((*chat)->state != store::ChatState::Active) return fail(ErrorCode::ChatNotReady);
  auto transaction = db_.begin();
  if (!transaction) return fail(std::move(transaction).error());
  auto session = store::SqliteSessionStore(db_).load_session((*chat)->session);
  if (!session) return fail(std::move(session).error());
  if (!*session) return fail(ErrorCode::DatabaseCorrupt, "a chat without its session");
  Content content{.id = random_content_id(rng_), .sent_at = now(), .body = TypingContent{typing}};
  EXILE_TRY(queue_content(**session, chat_id, content, std::nullopt));
  EXILE_TRY(store::SqliteSessionStore(db_).store_session((*chat)->session, **session));
  EXILE_TRY(transaction->commit());
  flush_outbox();
  return {};
}

Result<void> Core::set_timer(ChatId chat_id, std::optional<std::uint32_t> seconds) {
  if (seconds && (*seconds < store::kMinTimerSeconds || *seconds > store::kMaxTimerSeconds)) {
    return fail(ErrorCode::InvalidArgument, "a timer is off or between 5 seconds and 1 week");
  }
  auto chat = store::ChatRepository(db_).find(chat_id);
  if (!chat) return fail(std::move(chat).error());
  if (!*chat) return fail(ErrorCode::NotFound);
  if ((*chat)->state == store::ChatState::Pending) return fail(ErrorCode::ChatNotReady);
  auto transaction = db_.begin();
  if (!transaction) return fail(std::move(transaction).error());
  EXILE_TRY(store::ChatRepository(db_).set_timer(chat_id, seconds));
  auto session = store::SqliteSessionStore(db_).load_session((*chat)->session);
  if (!session) return fail(std::move(session).error());
  if (!*session) return fail(ErrorCode::DatabaseCorrupt, "a chat without its session");
  Content content{.id = random_content_id(rng_), .sent_at = now(), .body = TimerContent{seconds}};
  store::NewMessage message{.chat = chat_id,
                            .uid = content.id,
                            .direction = store::Direction::Outgoing,
                            .body = "",
                            .sent_at = now(),
                            .received_at = now(),
                            .timer_seconds = seconds,
                            .kind = store::MessageKind::TimerChanged,
                            .state = store::MessageState::Queued,
                            .envelope = {}};
  auto id = store::MessageRepository(db_).insert(message);
  if (!id) return fail(std::move(id).error());
  EXILE_TRY(queue_content(**session, chat_id, content, *id));
  EXILE_TRY(store::SqliteSessionStore(db_).store_session((*chat)->session, **session));
  EXILE_TRY(transaction->commit());
  emit_event(ChatChanged{chat_id});
  emit_event(MessageAdded{chat_id, *id});
  flush_outbox();
  return {};
}

Result<void> Core::delete_for_both(ChatId chat_id, MessageId message_id) {
  auto chat = store::ChatRepository(db_).find(chat_id);
  if (!chat) return fail(std::move(chat).error());
  if (!*chat) return fail(ErrorCode::NotFound);
  auto message = store::MessageRepository(db_).find(message_id);
  if (!message) return fail(std::move(message).error());
  if (!*message || (*message)->chat != chat_id) return fail(ErrorCode::NotFound);
  auto transaction = db_.begin();
  if (!transaction) return fail(std::move(transaction).error());
  auto removed = store::MessageRepository(db_).remove(message_id);
  if (!removed) return fail(std::move(removed).error());
  if ((*chat)->state != store::ChatState::Pending) {
    auto session = store::SqliteSessionStore(db_).load_session((*chat)->session);
    if (!session) return fail(std::move(session).error());
    if (!*session) return fail(ErrorCode::DatabaseCorrupt, "a chat without its session");
    Content content{
        .id = random_content_id(rng_), .sent_at = now(), .body = DeleteContent{(*message)->uid}};
    EXILE_TRY(queue_content(**session, chat_id, content, std::nullopt));
    EXILE_TRY(store::SqliteSessionStore(db_).store_session((*chat)->session, **session));
  }
  EXILE_TRY(transaction->commit());
  (void)store::MessageRepository(db_).purge_search_index();
  emit_event(MessageDeleted{chat_id, message_id});
  flush_outbox();
  return {};
}

// ---- reading --------------------------------------------------------------------------------

Result<std::vector<ChatSummary>> Core::chats() {
  auto rows = store::ChatRepository(db_).summaries();
  if (!rows) return fail(std::move(rows).error());
  std::vector<ChatSummary> out;
  out.reserve(rows->size());
  for (auto& row : *rows) {
    out.push_back(ChatSummary{
        .id = row.chat.id,
        .state = static_cast<ChatState>(static_cast<std::uint8_t>(row.chat.state)),
        .contact_name = row.contact_name,
        .verified = row.verified,
        .timer_seconds = row.chat.timer_seconds,
        .last_message = row.last_message ? std::optional(view_of(*row.last_message)) : std::nullopt,
        .unread = row.unread,
        .created_at = row.chat.created_at});
  }
  return out;
}

Result<std::vector<MessageView>> Core::messages(ChatId chat, Page page) {
  store::MessageRepository messages(db_);
  const auto limit = std::clamp<std::size_t>(page.limit, 1, 1000);
  if (page.before) return views_of(messages.before(chat, *page.before, limit));
  return views_of(messages.latest(chat, limit));
}

Result<std::vector<MessageView>> Core::search(std::string_view query, std::optional<ChatId> chat,
                                              std::size_t limit) {
  return views_of(
      store::MessageRepository(db_).search(query, chat, std::clamp<std::size_t>(limit, 1, 1000)));
}

Result<Verification> Core::verification(ChatId chat_id) {
  auto chat = store::ChatRepository(db_).find(chat_id);
  if (!chat) return fail(std::move(chat).error());
  if (!*chat) return fail(ErrorCode::NotFound);
  auto contact = store::ContactRepository(db_).find((*chat)->contact);
  if (!contact) return fail(std::move(contact).error());
  if (!*contact || !(*contact)->identity) return fail(ErrorCode::NotFound);
  auto number = crypto::SafetyNumber::compute(identity_.public_key(), *(*contact)->identity);
  const auto& cells = number.key_image().cells;
  return Verification{.safety_number = number.display(),
                      .key_image = std::vector<std::uint8_t>(cells.begin(), cells.end()),
                      .qr_payload = number.qr_payload(),
                      .verified = (*contact)->verified};
}

Result<void> Core::mark_verified(ChatId chat_id, bool verified) {
  auto chat = store::ChatRepository(db_).find(chat_id);
  if (!chat) return fail(std::move(chat).error());
  if (!*chat) return fail(ErrorCode::NotFound);
  EXILE_TRY(store::SqliteIdentityStore(db_).set_verified((*chat)->contact, verified));
  emit_event(ChatChanged{chat_id});
  return {};
}

// ---- timers ---------------------------------------------------------------------------------

Result<std::size_t> Core::run_timers() {
  store::MessageRepository messages(db_);
  std::size_t total = 0;
  for (;;) {
    auto deleted = messages.delete_expired_listed(now(), kExpiryBatch);
    if (!deleted) return fail(std::move(deleted).error());
    for (const auto& d : *deleted) emit_event(MessageDeleted{d.chat, d.id});
    total += deleted->size();
    if (deleted->size() < kExpiryBatch) break;
  }
  if (total > 0) EXILE_TRY(messages.purge_search_index());
  schedule_expiry();
  return total;
}

void Core::schedule_expiry() {
  if (shut_down_) return;
  auto next = store::MessageRepository(db_).next_expiry();
  if (!next || !*next) {
    expiry_timer_.stop();
    return;
  }
  const auto delay =
      std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(**next - now()),
                 std::chrono::milliseconds(0), std::chrono::milliseconds(3'600'000));
  expiry_timer_.start(delay);
}

void Core::sync(std::chrono::milliseconds timeout, std::chrono::milliseconds quiet,
                Done<void> done) {
  sync_waiters_.push_back(
      SyncWaiter{std::chrono::steady_clock::now() + timeout, quiet, std::move(done)});
  if (!sync_timer_.isActive()) sync_timer_.start(kSyncPoll);
}

void Core::poll_sync() {
  const auto steady_now = std::chrono::steady_clock::now();
  bool settled = subscribes_pending_ == 0 && in_flight_.empty() && pending_pushes_.empty() &&
                 pending_sends_.empty() && !address_in_progress_;
  for (const auto& [url, r] : relays_) settled = settled && r->connected;
  if (settled) {
    auto due = store::OutboxRepository(db_).due(now(), 1);
    settled = due && due->empty();
  }
  auto waiters = std::exchange(sync_waiters_, {});
  for (auto& waiter : waiters) {
    if (settled && steady_now - last_push_at_ >= waiter.quiet) {
      waiter.done(Result<void>{});
    } else if (steady_now >= waiter.deadline) {
      waiter.done(fail(ErrorCode::RelayTimeout, "the relays did not settle in time"));
    } else {
      sync_waiters_.push_back(std::move(waiter));
    }
  }
  if (sync_waiters_.empty()) sync_timer_.stop();
}

}  // namespace exile::engine::detail
