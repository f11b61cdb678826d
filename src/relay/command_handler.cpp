#include "relay/command_handler.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "common/sodium.h"
#include "relay/detail/request.h"
#include "relay/detail/session_inline.h"
#include "relay/wire/batch.h"

namespace exile::relay {
namespace {

constexpr std::string_view kLog = "relay";

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::uint32_t seconds_of(std::chrono::milliseconds d) {
  return static_cast<std::uint32_t>(
      std::min<std::int64_t>(d.count() / 1000, std::numeric_limits<std::uint32_t>::max()));
}

}  // namespace

// ---- RelayCore ------------------------------------------------------------------------------

RelayCore::RelayCore(QueueStore& store, const Clock& clock, Metrics& metrics, RelayLimits limits,
                     StoreExecutor store_pool, Rng& ids, std::function<std::int64_t()> monotonic_ms)
    : store_(store),
      clock_(clock),
      metrics_(metrics),
      limits_(limits),
      store_pool_(std::move(store_pool)),
      ids_(ids),
      monotonic_ms_(monotonic_ms ? std::move(monotonic_ms) : steady_ms),
      unauthenticated_sends_(limits.first_contact_rate, 60'000, 3.0 * limits.first_contact_rate,
                             100'000),
      bundle_fetches_(limits.bundle_rate, 60'000, 2.0 * limits.bundle_rate, 100'000) {}

std::uint64_t RelayCore::now_ms() const {
  const std::int64_t ms = to_millis(clock_.now());
  return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

wire::QueueId RelayCore::random_queue_id() {
  wire::QueueId id{};
  std::lock_guard lock(ids_mutex_);
  ids_.fill(id);
  return id;
}

std::uint32_t RelayCore::take_unauthenticated_send(const QueueId& send_id) {
  return unauthenticated_sends_.take(send_id, monotonic_ms());
}

std::uint32_t RelayCore::take_get_bundle(const QueueId& send_id) {
  return bundle_fetches_.take(send_id, monotonic_ms());
}

// ---- Session: life --------------------------------------------------------------------------

std::shared_ptr<Session> Session::create(RelayCore& core, SessionIo io) {
  ensure_sodium();
  SystemRng rng;  // a session's key and nonce are never drawn from a test's generator
  wire::SessionNonce nonce{};
  rng.fill(nonce);
  return create(core, std::move(io), wire::generate_key_pair(rng), nonce);
}

std::shared_ptr<Session> Session::create(RelayCore& core, SessionIo io, wire::KeyPair keys,
                                         const wire::SessionNonce& nonce) {
  return std::shared_ptr<Session>(new Session(core, std::move(io), std::move(keys), nonce));
}

Session::Session(RelayCore& core, SessionIo io, wire::KeyPair keys, const wire::SessionNonce& nonce)
    : core_(core),
      io_(std::move(io)),
      keys_(std::move(keys)),
      nonce_(nonce),
      commands_(core.limits().rate, 1000, 2.0 * core.limits().rate, core.monotonic_ms()),
      new_queues_(10, 1000, 100, core.monotonic_ms()),
      bundle_fetches_(core.limits().bundle_rate, 60'000, 2.0 * core.limits().bundle_rate,
                      core.monotonic_ms()),
      lane_(core.new_lane()) {}

Session::~Session() = default;  // SecureBuffers wipe themselves

void Session::start() {
  pb::ServerFrame frame;
  frame.set_request_id(0);
  auto* hello = frame.mutable_hello();
  hello->set_version(wire::kProtocolVersion);
  hello->set_session_nonce(to_string_bytes(nonce_));
  hello->set_session_key(to_string_bytes(keys_.public_key));
  auto* limits = hello->mutable_limits();
  const RelayLimits& l = core_.limits();
  limits->set_max_frame_bytes(static_cast<std::uint32_t>(wire::kMaxFrameBytes));
  limits->set_max_message_bytes(static_cast<std::uint32_t>(wire::kMaxClientMessageBytes));
  limits->set_max_batch_frames(static_cast<std::uint32_t>(wire::kMaxClientBatchFrames));
  limits->set_max_body_bytes(l.max_body_bytes);
  limits->set_max_queue_messages(l.quota.max_messages);
  limits->set_max_queue_bytes(l.quota.max_bytes);
  limits->set_message_ttl_seconds(seconds_of(l.message_ttl));
  limits->set_idle_timeout_seconds(seconds_of(l.idle_timeout));
  send_frame(frame);
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  for (const auto& [id, sub] : subs_) core_.registry().unsubscribe(id, this);
  subs_.clear();
  read_queue_.clear();
  lookups_.clear();
  refusals_.clear();
  command_keys_.clear();  // each CommandKey wipes itself
  if (keys_.secret_key.valid()) keys_.secret_key.wipe();
}

// ---- Session: frames ------------------------------------------------------------------------

bool Session::check_batch(ByteView message) {
  if (closing_) return false;
  if (message.size() > wire::kMaxClientMessageBytes) {
    close_connection(CloseCode::TooBig);
    return false;
  }
  // First the whole batch's structure, so that a bad batch runs none of its commands.
  std::size_t frames = 0;
  bool too_big = false;
  wire::BatchReader check(message);
  while (auto frame = check.next()) {
    ++frames;
    too_big = too_big || frame->size() > wire::kMaxFrameBytes;
  }
  if (too_big) {
    close_connection(CloseCode::TooBig);
    return false;
  }
  if (check.malformed() || frames == 0 || frames > wire::kMaxClientBatchFrames) {
    send_error(0, pb::MALFORMED);
    return false;
  }
  return true;
}

void Session::handle_message(ByteView message) {
  if (!check_batch(message)) return;
  wire::BatchReader reader(message);
  while (auto frame = reader.next()) {
    if (closing_) return;
    handle_frame(*frame);
  }
}

std::chrono::nanoseconds Session::turn_length(const Turns& turns, std::uint32_t batches) {
  const auto shared = turns.round / std::max<std::uint32_t>(batches, 1);
  return std::max(turns.min, std::min(shared, turns.max));
}

void Session::handle_message_in_turns(ByteView message, const Turns& turns, Task then) {
  if (!check_batch(message)) {
    then();
    return;
  }
  core_.batch_started();
  handle_turn(wire::BatchReader(message), turns, std::move(then));
}

void Session::handle_turn(wire::BatchReader reader, const Turns& turns, Task then) {
  // The turn is as long as the batches being handled at once allow: a batch alone (a busy
  // client among quiet ones) goes on for up to turns.max, and its answers leave in few writes
  // and its SENDs reach the store's writer in few commits; thousands of batches at once (a
  // flood over many connections) each get turns.min.
  const auto end = std::chrono::steady_clock::now() + turn_length(turns, core_.batches_in_turns());
  while (!closing_) {
    auto frame = reader.next();
    if (!frame) break;
    handle_frame(*frame);
    if (!closing_ && std::chrono::steady_clock::now() >= end) {
      // The rest after the other connections' turns queued meanwhile.
      io_.post([self = shared_from_this(), reader, turns, then = std::move(then)] {
        self->handle_turn(reader, turns, then);
      });
      return;
    }
  }
  core_.batch_ended();
  then();
}

void Session::handle_frame(ByteView bytes) {
  if (closing_) return;
  if (bytes.size() > wire::kMaxFrameBytes) return close_connection(CloseCode::TooBig);
  auto request = std::make_shared<detail::Request>();
  if (!request->frame.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      request->frame.request_id() == 0) {
    send_error(0, pb::MALFORMED);
    return;
  }
  const std::uint64_t id = request->id();
  request->seq = next_seq_++;
  request->arrival = std::chrono::steady_clock::now();
  if (core_.shutting_down()) {
    send_error(id, pb::SHUTTING_DOWN);
    return;
  }
  // The command is parsed before the rate check, to tell a free ACK; one that does not parse
  // is charged, and answered MALFORMED after the rate and in-flight checks, as before.
  const bool parsed = request->command.ParseFromString(request->frame.command());
  // A free ACK neither counts as a refusal nor ends a run of them: refusals_in_row_ counts
  // charged commands only, so interleaved free ACKs do not keep a flooding client open.
  if (parsed && take_free_ack(request->command)) {
    ++core_.metrics().acks_free;
  } else {
    if (const std::uint32_t wait = commands_.take(core_.monotonic_ms()); wait != 0) {
      if (parsed) hold_sends(*request, pb::RATE_LIMITED, wait);
      send_error(id, pb::RATE_LIMITED, 0, wait);
      if (++refusals_in_row_ >= core_.limits().max_rate_refusals) {
        close_connection(CloseCode::PolicyViolation);
      }
      return;
    }
    refusals_in_row_ = 0;
  }
  if (in_flight_ >= core_.limits().max_in_flight) {
    if (parsed) hold_sends(*request, pb::BUSY, 10);
    send_error(id, pb::BUSY, 0, 10);
    return;
  }
  ++in_flight_;
  if (!parsed) {
    reply_error(id, pb::MALFORMED);
    return;
  }
  dispatch(request);
}

// Free ACKs are bounded by pushes, and pushes by the push window and by the SENDs that stored
// the messages, which were charged themselves (docs/relay-protocol.md §6).
bool Session::take_free_ack(const pb::Command& command) {
  if (command.kind_case() != pb::Command::kAck) return false;
  const auto recv_id = wire::exact<wire::kQueueIdBytes>(bytes_of(command.ack().recv_id()));
  if (!recv_id) return false;
  auto it = subs_.find(*recv_id);
  return it != subs_.end() && it->second.free_acks.erase(command.ack().msg_id()) != 0;
}

// SEND holds (docs/relay-protocol.md §5, "Held behind a refusal"). A SEND refused for a
// reason that passes (its client sends it again) must not be overtaken by those behind it.
void Session::hold_sends(const detail::Request& request, int code, std::uint32_t retry_after_ms) {
  switch (code) {
    case pb::RATE_LIMITED:
    case pb::BUSY:
    case pb::QUOTA:
    case pb::INTERNAL:
    case pb::SHUTTING_DOWN: break;
    default: return;  // permanent: the client drops the message, nothing waits for it
  }
  if (request.command.kind_case() != pb::Command::kSend) return;
  const auto& send = request.command.send();
  const auto send_id = wire::exact<wire::kQueueIdBytes>(bytes_of(send.send_id()));
  const auto client_msg_id = wire::exact<kClientMessageIdBytes>(bytes_of(send.client_msg_id()));
  if (!send_id || !client_msg_id) return;  // MALFORMED when it comes again: nothing to hold for
  auto it = send_holds_.find(*send_id);
  if (it == send_holds_.end()) {
    if (send_holds_.size() >= core_.limits().max_send_holds) return;
    it = send_holds_.emplace(*send_id, SendHold{}).first;
  } else if (it->second.seq <= request.seq) {
    return;  // an earlier refusal holds this queue already, this SEND among the rest
  }
  it->second = SendHold{*client_msg_id, request.seq, code, retry_after_ms};
}

bool Session::held(const detail::Request& request, const QueueId& send_id,
                   const ClientMessageId& client_msg_id) {
  auto it = send_holds_.find(send_id);
  if (it == send_holds_.end() || request.seq <= it->second.seq) return false;
  if (it->second.client_msg_id == client_msg_id) {
    send_holds_.erase(it);  // the retry: handled normally from here
    return false;
  }
  ++core_.metrics().sends_held;
  reply_error(request.id(), it->second.code, 0, it->second.retry_after_ms);
  return true;
}

void Session::close_connection(CloseCode code) {
  if (closing_) return;
  closing_ = true;
  io_.close(code);
}

void Session::send_frame(const pb::ServerFrame& frame) {
  if (closed_) return;
  io_.send(frame.SerializeAsString());
}

void Session::answer(const pb::ServerFrame& frame) {
  if (in_flight_ > 0) --in_flight_;
  send_frame(frame);
}

void Session::count_reject(int code) {
  Metrics& m = core_.metrics();
  ++m.rejects_total;
  switch (code) {
    case pb::MALFORMED: ++m.rejects_malformed; break;
    case pb::AUTH: ++m.rejects_auth; break;
    case pb::RATE_LIMITED: ++m.rejects_rate; break;
    case pb::QUOTA: ++m.rejects_quota; break;
    case pb::TOO_LARGE: ++m.rejects_too_large; break;
    default: break;
  }
}

void Session::send_error(std::uint64_t request_id, int code, std::uint32_t index,
                         std::uint32_t retry_after_ms) {
  count_reject(code);
  pb::ServerFrame frame;
  frame.set_request_id(request_id);
  auto* error = frame.mutable_error();
  error->set_code(static_cast<pb::ErrorCode>(code));
  error->set_index(index);
  error->set_retry_after_ms(retry_after_ms);
  send_frame(frame);
  if (code == pb::MALFORMED && ++malformed_ >= core_.limits().max_malformed) {
    close_connection(CloseCode::PolicyViolation);
  }
}

void Session::reply_error(std::uint64_t request_id, int code, std::uint32_t index,
                          std::uint32_t retry_after_ms) {
  if (in_flight_ > 0) --in_flight_;
  send_error(request_id, code, index, retry_after_ms);
}

void Session::reply_ok(std::uint64_t request_id, bool duplicate, std::uint32_t keys_left) {
  pb::ServerFrame frame;
  frame.set_request_id(request_id);
  auto* ok = frame.mutable_ok();
  ok->set_duplicate(duplicate);
  ok->set_one_time_keys_left(keys_left);
  answer(frame);
}

void Session::refuse(const detail::Request& request, int code, std::uint32_t index) {
  const auto due = request.arrival + core_.limits().refusal_floor;
  if (!io_.post_at || due <= std::chrono::steady_clock::now()) {
    reply_error(request.id(), code, index);
    return;
  }
  refusals_.emplace(due, Refusal{request.id(), code, index});
  if (timer_for_ && *timer_for_ <= due) return;  // an earlier wake-up sends it
  timer_for_ = due;
  std::weak_ptr<Session> weak = weak_from_this();
  io_.post_at(due, [weak] {
    if (auto self = weak.lock()) self->send_due_refusals();
  });
}

void Session::send_due_refusals() {
  timer_for_.reset();
  if (closed_) return;
  const auto now = std::chrono::steady_clock::now();
  std::size_t sent = 0;
  while (!refusals_.empty() && refusals_.begin()->first <= now && sent < kRefusalsPerTurn) {
    const Refusal r = refusals_.begin()->second;
    refusals_.erase(refusals_.begin());
    reply_error(r.request_id, r.code, r.index);
    ++sent;
  }
  if (refusals_.empty()) return;
  // More due: in another turn, after the other connections' work queued meanwhile.
  const auto next = std::max(refusals_.begin()->first, now);
  timer_for_ = next;
  std::weak_ptr<Session> weak = weak_from_this();
  auto send_more = [weak] {
    if (auto self = weak.lock()) self->send_due_refusals();
  };
  if (next <= now) {
    io_.post(std::move(send_more));
  } else {
    io_.post_at(next, std::move(send_more));
  }
}

int Session::reply_internal(std::uint64_t request_id, const Error& error) {
  if (core_.shutting_down()) {
    reply_error(request_id, pb::SHUTTING_DOWN);
    return pb::SHUTTING_DOWN;
  }
  // The error's code and message never carry ids or bytes (common/error.h).
  log::write(log::Level::Warn, kLog, "store error: ", error);
  reply_error(request_id, pb::INTERNAL);
  return pb::INTERNAL;
}

// ---- Session: authentication and lookups ----------------------------------------------------

bool Session::authentic(const PublicKey& queue_key, const pb::ClientFrame& frame,
                        std::size_t index) {
  if (static_cast<std::size_t>(frame.authenticators_size()) <= index) return false;
  auto it = command_keys_.find(queue_key);
  if (it == command_keys_.end()) {
    auto key = wire::relay_command_key(keys_.secret_key, keys_.public_key, nonce_, queue_key);
    if (!key) return false;
    if (command_keys_.size() >= core_.limits().key_cache_entries) {
      command_keys_.erase(command_keys_.begin());
    }
    it = command_keys_.emplace(queue_key, std::move(*key)).first;
  }
  return wire::verify(it->second, frame.request_id(), bytes_of(frame.command()),
                      bytes_of(frame.authenticators(static_cast<int>(index))));
}

void Session::lookup_recv(const QueueId& id, Lookup then) { lookup(id, true, std::move(then)); }

void Session::lookup_send(const QueueId& id, Lookup then) { lookup(id, false, std::move(then)); }

// A queue record by one of its ids: from the cache, or read from the store on the blocking
// pool and cached (unless a KEY or DEL changed the queue meanwhile: the epoch check).
// Continuations run in the order the lookups were issued, a cache hit waiting behind an
// earlier miss (so two SENDs written in a row are numbered in that order: §5).
void Session::lookup(const QueueId& id, bool by_recv_id, Lookup then) {
  auto& cache = core_.cache();
  auto record = by_recv_id ? cache.by_recv_id(id) : cache.by_send_id(id);
  // Not cached, and the index says no queue has the id: the answer is known without the store.
  const bool absent = !record && !(by_recv_id ? core_.index().may_exist_recv(id)
                                              : core_.index().may_exist_send(id));
  if ((record || absent) && lookups_.empty()) {
    then(std::move(record));
    return;
  }
  // Pointers to deque elements stay valid while others are added or taken from the front.
  PendingLookup& slot = lookups_.emplace_back();
  slot.then = std::move(then);
  if (record || absent) {
    slot.result = std::move(record);
    slot.ready = true;
    return;  // the miss ahead of it runs it
  }
  RelayCore* core = &core_;
  const std::uint64_t epoch = cache.begin_read();
  PendingLookup* pending = &slot;
  blocking(
      [core, id, epoch, by_recv_id]() -> Result<QueueCache::Record> {
        auto found =
            by_recv_id ? core->store().find_by_recv_id(id) : core->store().find_by_send_id(id);
        if (!found) return fail(found.error());
        if (!*found) return QueueCache::Record{};
        core->cache().insert(**found, epoch);
        return std::make_shared<const QueueRecord>(**found);
      },
      [this, pending](Result<QueueCache::Record> found) {
        pending->result = std::move(found);
        pending->ready = true;
        run_ready_lookups();
      });
}

void Session::run_ready_lookups() {
  while (!lookups_.empty() && lookups_.front().ready && !closed_) {
    PendingLookup next = std::move(lookups_.front());
    lookups_.pop_front();
    next.then(std::move(next.result));
  }
}

void Session::with_recipient(const Frame& frame, const std::string& recv_id, RecordThen then) {
  const auto id = wire::exact<wire::kQueueIdBytes>(bytes_of(recv_id));
  if (!id) {
    reply_error(frame->id(), pb::MALFORMED);
    return;
  }
  lookup_recv(*id, [this, frame, then = std::move(then)](Result<QueueCache::Record> r) {
    if (!r) {
      reply_internal(frame->id(), r.error());
      return;
    }
    // No such queue and a wrong tag are the same answer, at the same time (relay-protocol.md
    // §3).
    if (!*r || !authentic((*r)->recipient_key, frame->frame, 0)) {
      refuse(*frame, pb::AUTH);
      return;
    }
    then(**r);
  });
}

void Session::on_taken_over(const QueueId& recv_id) {
  if (closed_ || core_.registry().is_subscriber(recv_id, this)) return;
  if (!subs_.contains(recv_id)) return;
  end_subscription(recv_id);
  pb::ServerFrame frame;
  frame.set_request_id(0);
  frame.mutable_end()->set_recv_id(to_string_bytes(recv_id));
  send_frame(frame);
}

}  // namespace exile::relay
