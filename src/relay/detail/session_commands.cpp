// The relay's commands (docs/relay-protocol.md §4), one function each. Field sizes are checked
// first (MALFORMED / TOO_LARGE), then the queue is found and the tag checked (AUTH), then the
// store is called: blocking calls on the store pool, append/ack through their group commit.
#include <algorithm>

#include "relay/command_handler.h"
#include "relay/detail/request.h"
#include "relay/detail/session_inline.h"

namespace exile::relay {

void Session::dispatch(const Frame& frame) {
  switch (frame->command.kind_case()) {
    case pb::Command::kNewQueue: do_new(frame); return;
    case pb::Command::kKey: do_key(frame); return;
    case pb::Command::kSend: do_send(frame); return;
    case pb::Command::kSub: do_sub(frame); return;
    case pb::Command::kAck: do_ack(frame); return;
    case pb::Command::kDel: do_del(frame); return;
    case pb::Command::kPutBundle: do_put_bundle(frame); return;
    case pb::Command::kGetBundle: do_get_bundle(frame); return;
    case pb::Command::kUnsub: do_unsub(frame); return;
    case pb::Command::kPing: {
      pb::ServerFrame pong;
      pong.set_request_id(frame->id());
      pong.mutable_pong();
      answer(pong);
      return;
    }
    case pb::Command::KIND_NOT_SET: break;
  }
  reply_error(frame->id(), pb::UNKNOWN_COMMAND);
}

void Session::do_new(const Frame& frame) {
  const auto& command = frame->command.new_queue();
  const auto key = wire::exact<wire::kPublicKeyBytes>(bytes_of(command.recipient_key()));
  if (!key || !wire::acceptable_queue_key(*key)) {
    reply_error(frame->id(), pb::MALFORMED);
    return;
  }
  if (const std::uint32_t wait = new_queues_.take(core_.monotonic_ms()); wait != 0) {
    reply_error(frame->id(), pb::RATE_LIMITED, 0, wait);
    return;
  }
  if (!authentic(*key, frame->frame, 0)) {
    reply_error(frame->id(), pb::AUTH);
    return;
  }
  QueueRecord record;
  record.recipient_key = *key;
  record.contact_address = command.contact_address();
  record.created_ms = core_.now_ms();
  RelayCore* core = &core_;
  blocking(
      [core, record]() mutable -> Result<QueueRecord> {
        for (std::size_t attempt = 0; attempt < core->limits().max_new_queue_attempts; ++attempt) {
          record.recv_id = core->random_queue_id();
          record.send_id = core->random_queue_id();
          auto created = core->store().create_queue(record);
          if (created) {
            core->index().add(record.recv_id, record.send_id, record.contact_address);
            return record;
          }
          if (created.error().code != ErrorCode::Constraint) return fail(created.error());
        }
        return fail(ErrorCode::Internal, "no free queue id");
      },
      [this, frame](Result<QueueRecord> created) {
        if (!created) {
          reply_internal(frame->id(), created.error());
          return;
        }
        ++core_.metrics().queues;
        pb::ServerFrame answer_frame;
        answer_frame.set_request_id(frame->id());
        auto* ids = answer_frame.mutable_ids();
        ids->set_recv_id(to_string_bytes(created->recv_id));
        ids->set_send_id(to_string_bytes(created->send_id));
        answer(answer_frame);
      });
}

void Session::do_key(const Frame& frame) {
  const auto& command = frame->command.key();
  const auto sender_key = wire::exact<wire::kPublicKeyBytes>(bytes_of(command.sender_key()));
  if (!sender_key || !wire::acceptable_queue_key(*sender_key)) {
    reply_error(frame->id(), pb::MALFORMED);
    return;
  }
  with_recipient(frame, command.recv_id(),
                 [this, frame, sender = *sender_key](const QueueRecord& q) {
                   if (q.contact_address) {
                     reply_error(frame->id(), pb::NOT_ALLOWED);
                     return;
                   }
                   if (q.sender_key) {
                     reply_error(frame->id(), pb::ALREADY_SECURED);
                     return;
                   }
                   RelayCore* core = &core_;
                   blocking(
                       [core, recv_id = q.recv_id, sender]() {
                         auto secured = core->store().secure_queue(recv_id, sender);
                         core->cache().invalidate(recv_id);
                         return secured;
                       },
                       [this, frame](Result<bool> secured) {
                         if (!secured && secured.error().code == ErrorCode::NotFound) {
                           reply_error(frame->id(), pb::AUTH);
                         } else if (!secured) {
                           reply_internal(frame->id(), secured.error());
                         } else if (!*secured) {
                           reply_error(frame->id(), pb::ALREADY_SECURED);
                         } else {
                           reply_ok(frame->id());
                         }
                       });
                 });
}

void Session::do_send(const Frame& frame) {
  const auto& command = frame->command.send();
  const auto send_id = wire::exact<wire::kQueueIdBytes>(bytes_of(command.send_id()));
  const auto client_msg_id = wire::exact<kClientMessageIdBytes>(bytes_of(command.client_msg_id()));
  if (!send_id || !client_msg_id) {
    reply_error(frame->id(), pb::MALFORMED);
    return;
  }
  if (command.body().size() > core_.limits().max_body_bytes) {
    reply_error(frame->id(), pb::TOO_LARGE);
    return;
  }
  lookup_send(*send_id, [this, frame, send_id = *send_id,
                         client_msg_id = *client_msg_id](Result<QueueCache::Record> r) {
    // The ordered stage: SENDs reach it in the order written (lookup()), so a hold covers
    // exactly the SENDs written after the refused one, and its retry lifts it in place.
    if (held(*frame, send_id, client_msg_id)) return;
    if (!r) {
      hold_sends(*frame, reply_internal(frame->id(), r.error()), 0);
      return;
    }
    if (!*r) {
      refuse(*frame, pb::AUTH);
      return;
    }
    const QueueRecord& queue = **r;
    if (queue.sender_key) {
      if (!authentic(*queue.sender_key, frame->frame, 0)) {
        refuse(*frame, pb::AUTH);
        return;
      }
    } else if (const std::uint32_t wait = core_.take_unauthenticated_send(send_id); wait != 0) {
      hold_sends(*frame, pb::RATE_LIMITED, wait);
      reply_error(frame->id(), pb::RATE_LIMITED, 0, wait);
      return;
    }
    const std::string& body = frame->command.send().body();
    // The message as it will be pushed; its id and timestamp are set once committed.
    auto message = std::make_shared<StoredMessage>();
    message->body.assign(body.begin(), body.end());
    AppendRequest request;
    request.send_id = send_id;
    request.client_msg_id = client_msg_id;
    request.body = message->body;
    request.now_ms = core_.now_ms();
    request.quota = core_.limits().quota;
    RelayCore* core = &core_;
    // A subscribed queue's message may be held for its ACK instead of written (§5).
    request.hold = core_.registry().find(queue.recv_id) != nullptr;
    request.on_numbered = [core, message](const AppendResult& numbered) {
      // On the store's thread: the message has its msg_id; announce it to the subscriber.
      ++core->metrics().messages_stored;
      ++core->metrics().messages_pending;
      if (auto subscriber = core->registry().find(numbered.recv_id)) {
        message->msg_id = numbered.msg_id;
        message->timestamp_ms = numbered.timestamp_ms;
        std::shared_ptr<const StoredMessage> pushed = message;
        subscriber->io_.post([subscriber, recv_id = numbered.recv_id, pushed] {
          subscriber->on_committed(recv_id, pushed);
        });
      }
    };
    auto self = shared_from_this();
    core_.store().append(std::move(request), [self, frame](Result<AppendResult> appended) {
      // On the store's thread: answer on our strand.
      self->io_.post([self, frame, appended] {
        if (self->closed_) return;
        // A refusal decided here holds only the SENDs that reach the ordered stage after it:
        // those behind it already handed to the store stay as the store answers them (§5, "Held
        // behind a refusal").
        if (!appended) {
          self->hold_sends(*frame, self->reply_internal(frame->id(), appended.error()), 0);
          return;
        }
        switch (appended->status) {
          case AppendStatus::Stored: self->reply_ok(frame->id()); break;
          case AppendStatus::Duplicate: self->reply_ok(frame->id(), true); break;
          case AppendStatus::QueueFull:
            self->hold_sends(*frame, pb::QUOTA, 0);
            self->reply_error(frame->id(), pb::QUOTA);
            break;
          case AppendStatus::NoSuchQueue: self->reply_error(frame->id(), pb::AUTH); break;
        }
      });
    });
  });
}

void Session::do_sub(const Frame& frame) {
  const auto& command = frame->command.sub();
  const auto n = static_cast<std::size_t>(command.recv_ids_size());
  if (n == 0 || n > wire::kMaxSubBatch) {
    reply_error(frame->id(), pb::MALFORMED);
    return;
  }
  std::vector<QueueId> ids;
  ids.reserve(n);
  std::vector<QueueCache::Record> records(n);
  bool missing = false;    // an id before `absent` is not cached: read the store
  std::size_t absent = n;  // the first id the index knows does not exist
  for (std::size_t i = 0; i < n; ++i) {
    const auto id =
        wire::exact<wire::kQueueIdBytes>(bytes_of(command.recv_ids(static_cast<int>(i))));
    if (!id) {
      reply_error(frame->id(), pb::MALFORMED, static_cast<std::uint32_t>(i));
      return;
    }
    ids.push_back(*id);
    if (absent < n) continue;  // the answer is AUTH at `absent` or before: no more lookups
    records[i] = core_.cache().by_recv_id(*id);
    if (!records[i] && !core_.index().may_exist_recv(*id)) {
      absent = i;
    } else {
      missing = missing || !records[i];
    }
  }
  if (!missing) {
    finish_sub(frame, std::move(ids), std::move(records));
    return;
  }
  RelayCore* core = &core_;
  const std::uint64_t epoch = core->cache().begin_read();
  blocking(
      [core, ids, records, epoch, absent]() mutable -> Result<std::vector<QueueCache::Record>> {
        for (std::size_t i = 0; i < absent; ++i) {
          if (records[i]) continue;
          auto found = core->store().find_by_recv_id(ids[i]);
          if (!found) return fail(found.error());
          if (!*found) break;  // the answer is AUTH at i: later ids need no read
          core->cache().insert(**found, epoch);
          records[i] = std::make_shared<const QueueRecord>(**found);
        }
        return records;
      },
      [this, frame, ids](Result<std::vector<QueueCache::Record>> found) mutable {
        if (!found) {
          reply_internal(frame->id(), found.error());
          return;
        }
        finish_sub(frame, std::move(ids), std::move(*found));
      });
}

void Session::finish_sub(const Frame& frame, std::vector<QueueId> ids,
                         std::vector<QueueCache::Record> records) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!records[i] || !authentic(records[i]->recipient_key, frame->frame, i)) {
      refuse(*frame, pb::AUTH, static_cast<std::uint32_t>(i));
      return;
    }
  }
  auto self = shared_from_this();
  for (const QueueId& id : ids) {
    if (auto previous = core_.registry().subscribe(id, self)) {
      previous->io_.post([previous, id] { previous->on_taken_over(id); });
    }
  }
  reply_ok(frame->id());
  for (const QueueId& id : ids) start_subscription(id);
}

void Session::do_unsub(const Frame& frame) {
  with_recipient(frame, frame->command.unsub().recv_id(), [this, frame](const QueueRecord& q) {
    core_.registry().unsubscribe(q.recv_id, this);
    end_subscription(q.recv_id);
    reply_ok(frame->id());
  });
}

void Session::do_ack(const Frame& frame) {
  with_recipient(frame, frame->command.ack().recv_id(), [this, frame](const QueueRecord& q) {
    const std::uint64_t msg_id = frame->command.ack().msg_id();
    on_acked_locally(q.recv_id, msg_id);
    RelayCore* core = &core_;
    auto self = shared_from_this();
    core_.store().ack(q.recv_id, msg_id, [core, self, frame](Result<void> acked) {
      if (acked) {
        ++core->metrics().messages_delivered;
        Metrics::adjust(core->metrics().messages_pending, -1);
      }
      self->io_.post([self, frame, acked] {
        if (self->closed_) return;
        if (acked) {
          self->reply_ok(frame->id());
        } else {
          self->reply_internal(frame->id(), acked.error());
        }
      });
    });
  });
}

void Session::do_del(const Frame& frame) {
  with_recipient(frame, frame->command.del().recv_id(), [this, frame](const QueueRecord& q) {
    RelayCore* core = &core_;
    blocking(
        [core, recv_id = q.recv_id, send_id = q.send_id, address = q.contact_address]() {
          auto deleted = core->store().delete_queue(recv_id);
          core->cache().invalidate(recv_id);
          // Only the delete that removed the queue takes its ids out of the index (two DELs
          // may race; each fingerprint is one entry of a multiset).
          if (deleted && *deleted) core->index().remove(recv_id, send_id, address);
          return deleted;
        },
        [this, frame, recv_id = q.recv_id](Result<bool> deleted) {
          if (!deleted) {
            reply_internal(frame->id(), deleted.error());
            return;
          }
          if (*deleted) Metrics::adjust(core_.metrics().queues, -1);
          if (auto subscriber = core_.registry().remove(recv_id)) {
            if (subscriber.get() == this) {
              on_taken_over(recv_id);
            } else {
              subscriber->io_.post([subscriber, recv_id] { subscriber->on_taken_over(recv_id); });
            }
          }
          reply_ok(frame->id());
        });
  });
}

void Session::do_put_bundle(const Frame& frame) {
  const auto& command = frame->command.put_bundle();
  if (command.bundle().size() > wire::kMaxBundleBytes) {
    reply_error(frame->id(), pb::TOO_LARGE);
    return;
  }
  if (static_cast<std::size_t>(command.one_time_keys_size()) > wire::kMaxOneTimeKeysPerCommand) {
    reply_error(frame->id(), pb::MALFORMED);
    return;
  }
  for (const std::string& key : command.one_time_keys()) {
    if (key.empty()) {
      reply_error(frame->id(), pb::MALFORMED);
      return;
    }
    if (key.size() > wire::kMaxOneTimeKeyBytes) {
      reply_error(frame->id(), pb::TOO_LARGE);
      return;
    }
  }
  with_recipient(frame, command.recv_id(), [this, frame](const QueueRecord& q) {
    if (!q.contact_address) {
      reply_error(frame->id(), pb::NOT_ALLOWED);
      return;
    }
    RelayCore* core = &core_;
    blocking(
        [core, frame, recv_id = q.recv_id]() {
          const auto& put = frame->command.put_bundle();
          const Bytes bundle(put.bundle().begin(), put.bundle().end());
          std::vector<Bytes> keys;
          keys.reserve(static_cast<std::size_t>(put.one_time_keys_size()));
          for (const std::string& key : put.one_time_keys())
            keys.emplace_back(key.begin(), key.end());
          return core->store().put_bundle(recv_id, bundle, keys, put.replace_one_time_keys());
        },
        [this, frame](Result<std::uint32_t> stored) {
          if (!stored && stored.error().code == ErrorCode::Constraint) {
            reply_error(frame->id(), pb::QUOTA);  // over the one-time keys an address may hold
          } else if (!stored && stored.error().code == ErrorCode::NotFound) {
            reply_error(frame->id(), pb::AUTH);
          } else if (!stored) {
            reply_internal(frame->id(), stored.error());
          } else {
            reply_ok(frame->id(), false, *stored);
          }
        });
  });
}

void Session::do_get_bundle(const Frame& frame) {
  const auto send_id =
      wire::exact<wire::kQueueIdBytes>(bytes_of(frame->command.get_bundle().send_id()));
  if (!send_id) {
    reply_error(frame->id(), pb::MALFORMED);
    return;
  }
  std::uint32_t wait = bundle_fetches_.take(core_.monotonic_ms());
  if (wait != 0) {
    reply_error(frame->id(), pb::RATE_LIMITED, 0, wait);
    return;
  }
  // Not an address queue's send_id (unknown, or an ordinary queue's): no store call, and no
  // entry in the per-address limiter (random ids would fill it: 100,000 keys).
  if (!core_.index().may_be_address(*send_id)) {
    refuse(*frame, pb::NOT_FOUND);
    return;
  }
  if (const std::uint32_t per_address = core_.take_get_bundle(*send_id); per_address != 0) {
    reply_error(frame->id(), pb::RATE_LIMITED, 0, per_address);
    return;
  }
  RelayCore* core = &core_;
  blocking([core, id = *send_id]() { return core->store().take_bundle(id); },
           [this, frame](Result<std::optional<TakenBundle>> taken) {
             if (!taken) {
               reply_internal(frame->id(), taken.error());
               return;
             }
             if (!*taken) {
               refuse(*frame, pb::NOT_FOUND);
               return;
             }
             pb::ServerFrame answer_frame;
             answer_frame.set_request_id(frame->id());
             auto* bundle = answer_frame.mutable_bundle();
             bundle->set_bundle(std::string((*taken)->bundle.begin(), (*taken)->bundle.end()));
             if ((*taken)->one_time_key) {
               const Bytes& key = *(*taken)->one_time_key;
               bundle->set_one_time_key(std::string(key.begin(), key.end()));
             }
             answer(answer_frame);
           });
}

}  // namespace exile::relay
