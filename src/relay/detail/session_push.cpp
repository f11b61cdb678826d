// Pushing subscribed queues (docs/relay-protocol.md §5): the per-queue window of pushed, unacked
// messages (RelayLimits::push_window, 512 by default, --push-window), and the backlog read from
// the store. command_handler.h describes the state;
// the transitions are:
//   start_subscription: fresh state, backlog = true → kick
//   kick: backlog, not reading, room in the window and the outgoing buffer → a read (or a
//         place in read_queue_ when this connection already has its reads in flight), of at
//         most push_read_batch messages, and fewer when the outgoing buffer has little room
//         (read_limit_by_room: a client that does not read costs no large reads)
//   on_pending: push what was read; backlog stays if the read was full, if a commit was
//         announced meanwhile (dirty), or if the outgoing buffer filled up
//   on_committed: push directly if nothing is held back, else mark backlog/dirty
//   on_acked_locally / on_writable: room again → kick
#include <algorithm>
#include <functional>
#include <limits>
#include <memory>

#include "common/log.h"
#include "relay/command_handler.h"
#include "relay/detail/request.h"
#include "relay/detail/session_inline.h"

namespace exile::relay {
namespace {

// The bytes of one store read for pushes, counted by SessionIo::reading while they live.
struct ReadBytes {
  explicit ReadBytes(std::function<void(std::int64_t)> f) : reading(std::move(f)) {}
  ~ReadBytes() {
    if (bytes > 0) reading(-static_cast<std::int64_t>(bytes));
  }
  ReadBytes(const ReadBytes&) = delete;
  ReadBytes& operator=(const ReadBytes&) = delete;

  std::function<void(std::int64_t)> reading;
  std::size_t bytes = 0;
};

}  // namespace

void Session::start_subscription(const QueueId& recv_id) {
  if (closed_) return;
  Subscription& sub = subs_[recv_id];
  sub = Subscription{};
  sub.generation = next_generation_++;
  kick(recv_id);
}

void Session::end_subscription(const QueueId& recv_id) { subs_.erase(recv_id); }

void Session::kick(const QueueId& recv_id) {
  auto it = subs_.find(recv_id);
  if (it == subs_.end() || closed_) return;
  Subscription& sub = it->second;
  if (!sub.backlog || sub.reading || sub.waiting) return;
  if (sub.unacked.size() >= core_.limits().push_window) return;  // the next ACK kicks
  if (!can_push()) {
    push_blocked_ = true;  // on_writable kicks
    return;
  }
  if (reads_in_flight_ >= core_.limits().push_reads_per_session) {
    sub.waiting = true;
    read_queue_.push_back(recv_id);
    return;
  }
  start_read(recv_id, sub);
}

void Session::start_read(const QueueId& recv_id, Subscription& sub) {
  const RelayLimits& limits = core_.limits();
  const std::size_t limit = std::min(
      {limits.push_window - sub.unacked.size(), limits.push_read_batch, read_limit_by_room()});
  sub.reading = true;
  sub.dirty = false;
  ++reads_in_flight_;
  // The bytes read are counted from the store pool until the last of the two lambdas below lets
  // go of `counted` (on_pending has run, or the result was dropped because the session closed).
  auto counted = io_.reading ? std::make_shared<ReadBytes>(io_.reading) : nullptr;
  RelayCore* core = &core_;
  blocking(
      [core, recv_id, after = sub.pushed_upto, limit, counted]() {
        auto messages = core->store().pending(recv_id, after, limit);
        if (counted && messages) {
          for (const StoredMessage& m : *messages) counted->bytes += m.body.size();
          counted->reading(static_cast<std::int64_t>(counted->bytes));
        }
        return messages;
      },
      [this, recv_id, generation = sub.generation, limit,
       counted](Result<std::vector<StoredMessage>> messages) {
        on_pending(recv_id, generation, limit, std::move(messages));
      });
}

void Session::on_pending(const QueueId& recv_id, std::uint64_t generation, std::size_t limit,
                         Result<std::vector<StoredMessage>> messages) {
  if (reads_in_flight_ > 0) --reads_in_flight_;
  auto it = subs_.find(recv_id);
  if (it != subs_.end() && it->second.generation == generation) {
    Subscription& sub = it->second;
    sub.reading = false;
    if (!messages) {
      // Left in backlog: the next ACK, commit or drained buffer tries again.
      log::write(log::Level::Warn, "relay",
                 "store error reading pending messages: ", messages.error());
      sub.backlog = true;
    } else {
      bool held = false;
      for (const StoredMessage& message : *messages) {
        if (message.msg_id <= sub.pushed_upto) continue;
        if (sub.unacked.size() >= core_.limits().push_window) {
          held = true;
          break;
        }
        if (!can_push()) {
          held = true;
          push_blocked_ = true;
          break;
        }
        push(recv_id, sub, message);
      }
      sub.backlog = held || sub.dirty || messages->size() >= limit;
      sub.dirty = false;
      if (sub.backlog && !sub.waiting) {
        sub.waiting = true;
        read_queue_.push_back(recv_id);
      }
    }
  }
  pump_reads();
}

std::size_t Session::read_limit_by_room() const {
  if (!io_.push_room) return std::numeric_limits<std::size_t>::max();
  return std::max<std::size_t>(1, 2 * io_.push_room() / wire::kMaxBodyBytes);
}

void Session::pump_reads() {
  while (!closed_ && reads_in_flight_ < core_.limits().push_reads_per_session &&
         !read_queue_.empty()) {
    const QueueId id = read_queue_.front();
    read_queue_.pop_front();
    auto it = subs_.find(id);
    if (it == subs_.end()) continue;
    it->second.waiting = false;
    kick(id);
  }
}

void Session::on_committed(const QueueId& recv_id,
                           const std::shared_ptr<const StoredMessage>& message) {
  auto it = subs_.find(recv_id);
  if (it == subs_.end() || closed_) return;
  Subscription& sub = it->second;
  if (sub.reading) {
    sub.dirty = true;  // the read may or may not have seen it
    return;
  }
  if (sub.backlog) {
    kick(recv_id);
    return;
  }
  if (message->msg_id <= sub.pushed_upto) return;
  if (sub.unacked.size() >= core_.limits().push_window) {
    sub.backlog = true;
    return;
  }
  if (!can_push()) {
    sub.backlog = true;
    push_blocked_ = true;
    return;
  }
  push(recv_id, sub, *message);
}

void Session::push(const QueueId& recv_id, Subscription& sub, const StoredMessage& message) {
  sub.unacked.insert(message.msg_id);
  sub.free_acks.insert(message.msg_id);
  sub.pushed_upto = std::max(sub.pushed_upto, message.msg_id);
  pb::ServerFrame frame;
  frame.set_request_id(0);
  auto* msg = frame.mutable_msg();
  msg->set_recv_id(to_string_bytes(recv_id));
  msg->set_msg_id(message.msg_id);
  msg->set_timestamp(message.timestamp_ms);
  msg->set_body(std::string(message.body.begin(), message.body.end()));
  send_frame(frame);
}

void Session::on_acked_locally(const QueueId& recv_id, std::uint64_t msg_id) {
  auto it = subs_.find(recv_id);
  if (it == subs_.end()) return;
  it->second.unacked.erase(msg_id);
  it->second.free_acks.erase(msg_id);
  kick(recv_id);
}

void Session::on_writable() {
  if (!push_blocked_ || closed_) return;
  push_blocked_ = false;
  for (auto& [id, sub] : subs_) {
    if (sub.backlog && !sub.reading && !sub.waiting) kick(id);
    if (push_blocked_) break;
  }
}

}  // namespace exile::relay
