// TappedTransport: the real relay transport (connect_relay) with a test's hands on what passes
// through it, given to an engine as Environment::relays. The engine's own tests and the app's
// GUI tests use it to make what a real relay cannot be asked to do: a corrupted or duplicated
// envelope, a lost answer, an envelope over the relay's limit, withheld one-time keys.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "engine/relay_transport.h"

namespace exile::test {

using engine::PrekeyBundle;
using engine::QueueIds;
using engine::QueueSubscription;
using engine::RelayCallback;
using engine::RelayTransport;
using engine::RelayTransportFactory;
using engine::SendReceipt;

// The real transport, with the test's hands on what passes through it (Environment::relays).
class TappedTransport final : public RelayTransport {
 public:
  struct Taps {
    std::mutex mutex;
    bool strip_one_time_keys = false;  // a relay that withholds one-time keys
    bool corrupt_next_send = false;    // flips a byte of the next envelope sent
    bool duplicate_next_send = false;  // sends the next envelope twice, under two ids
    bool lose_next_answer = false;     // the next SEND goes out; its answer never comes back
    bool oversize_next_send = false;   // the next envelope grows past the relay's body limit
    // The same for the next envelope longer than this (a long text, not a receipt or a typing
    // notice that happens to go first).
    std::optional<std::size_t> oversize_next_send_longer_than;
    // The SEND whose index in `sent` this is gets RATE_LIMITED at once, never reaching the relay.
    std::optional<std::size_t> refuse_send_at;
    std::vector<std::pair<relay::wire::QueueId, Bytes>> sent;  // every SEND's queue and body
  };

  TappedTransport(std::unique_ptr<RelayTransport> inner, std::shared_ptr<Taps> taps)
      : inner_(std::move(inner)), taps_(std::move(taps)) {}

  void start(Listener& listener) override { inner_->start(listener); }
  [[nodiscard]] bool connected() const override { return inner_->connected(); }
  void create_queue(const relay::wire::KeyPair& recipient, bool contact_address,
                    RelayCallback<QueueIds> done) override {
    inner_->create_queue(recipient, contact_address, std::move(done));
  }
  void secure_queue(const relay::wire::QueueId& recv_id, const relay::wire::KeyPair& recipient,
                    const relay::wire::PublicKey& sender_key, RelayCallback<void> done) override {
    inner_->secure_queue(recv_id, recipient, sender_key, std::move(done));
  }
  void send(const relay::wire::QueueId& send_id, const ClientMessageId& client_msg_id,
            ByteView body, const relay::wire::KeyPair* sender,
            RelayCallback<SendReceipt> done) override {
    Bytes copy(body.begin(), body.end());
    bool twice = false;
    bool refuse = false;
    {
      std::lock_guard hold(taps_->mutex);
      taps_->sent.emplace_back(send_id, copy);
      if (taps_->corrupt_next_send) {
        taps_->corrupt_next_send = false;
        copy[copy.size() - 1] ^= 0x01;
      }
      twice = std::exchange(taps_->duplicate_next_send, false);
      if (std::exchange(taps_->oversize_next_send, false)) copy.resize(copy.size() + 70'000, 0);
      if (taps_->oversize_next_send_longer_than &&
          copy.size() > *taps_->oversize_next_send_longer_than) {
        taps_->oversize_next_send_longer_than.reset();
        copy.resize(copy.size() + 70'000, 0);
      }
      refuse = taps_->refuse_send_at == taps_->sent.size() - 1;
    }
    if (refuse) {
      Error limited{ErrorCode::RelayRateLimited, "refused by the tap"};
      limited.retry_after = std::chrono::milliseconds(200);
      return done(fail(std::move(limited)));
    }
    if (twice) {
      ClientMessageId other = client_msg_id;
      other[0] ^= 0xff;
      inner_->send(send_id, other, copy, sender, {});
    }
    bool lose = false;
    {
      std::lock_guard hold(taps_->mutex);
      lose = std::exchange(taps_->lose_next_answer, false);
    }
    if (lose) return inner_->send(send_id, client_msg_id, copy, sender, {});
    inner_->send(send_id, client_msg_id, copy, sender, std::move(done));
  }
  void subscribe(std::vector<QueueSubscription> queues, RelayCallback<void> done) override {
    inner_->subscribe(std::move(queues), std::move(done));
  }
  void ack(const relay::wire::QueueId& recv_id, std::uint64_t msg_id,
           RelayCallback<void> done) override {
    inner_->ack(recv_id, msg_id, std::move(done));
  }
  void delete_queue(const relay::wire::QueueId& recv_id, const relay::wire::KeyPair& recipient,
                    RelayCallback<void> done) override {
    inner_->delete_queue(recv_id, recipient, std::move(done));
  }
  void put_bundle(const relay::wire::QueueId& recv_id, const relay::wire::KeyPair& recipient,
                  ByteView bundle, std::vector<Bytes> one_time_keys, bool replace,
                  RelayCallback<std::uint32_t> done) override {
    inner_->put_bundle(recv_id, recipient, bundle, std::move(one_time_keys), replace,
                       std::move(done));
  }
  void get_bundle(const relay::wire::QueueId& send_id, RelayCallback<PrekeyBundle> done) override {
    inner_->get_bundle(send_id, [taps = taps_, done = std::move(done)](Result<PrekeyBundle> got) {
      std::lock_guard hold(taps->mutex);
      if (got && taps->strip_one_time_keys) got->one_time_key.clear();
      done(std::move(got));
    });
  }

 private:
  std::unique_ptr<RelayTransport> inner_;
  std::shared_ptr<TappedTransport::Taps> taps_;
};

inline RelayTransportFactory tapped(std::shared_ptr<TappedTransport::Taps> taps) {
  return [taps](const std::string& url) -> Result<std::unique_ptr<RelayTransport>> {
    auto inner = engine::connect_relay(url);
    if (!inner) return fail(inner.error());
    return std::unique_ptr<RelayTransport>(new TappedTransport(std::move(*inner), taps));
  };
}

}  // namespace exile::test
