// Fuzz target for the relay's command handling (src/relay/command_handler.h,
// docs/relay-protocol.md): ClientBatch splitting, ClientFrame and Command parsing, field checks,
// authenticators, and the command state machine, over an in-memory store.
//
// Input: a sequence of client messages (each a ClientBatch, as Session::handle_message takes
// it), each as [u16 big-endian length][bytes]; a last, short record is taken as it is. Each input
// runs on a fresh Session and store, with a fixed session key pair and nonce and predictable queue
// ids (the n-th id drawn is 16 bytes of value n), so the seeds carry valid tags and reach every
// command.
//
// Checks, for any input: nothing crashes; every ServerFrame sent parses; when the input is done
// no command is left in flight (each parsed frame got its answer).
//
// Seeds: build this file with -DEXILE_RELAY_FRAME_SEEDS (a main() that writes them):
//   g++ -std=c++23 -DEXILE_RELAY_FRAME_SEEDS -Isrc -Ibuild/proto tests/fuzz/fuzz_relay_frame.cpp
//     build/src/relay/libexile_relay_core.a (and the other libraries exile_relay_core links)
//     -o gen && ./gen tests/fuzz/seeds/relay_frame
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/rng.h"
#include "relay.pb.h"
#include "relay/command_handler.h"
#include "relay/detail/memory_queue_store.h"
#include "relay/wire/batch.h"

namespace {

using namespace exile;
using namespace exile::relay;

// The n-th fill is bytes of value n (1, 2, …): queue ids the seeds can predict.
class CountingRng final : public Rng {
 public:
  void fill(MutableByteView out) override {
    ++count_;
    for (auto& b : out) b = static_cast<std::uint8_t>(count_);
  }

 private:
  std::uint64_t count_ = 0;
};

wire::KeyPair fixed_session_keys() {
  wire::KeyPair keys;
  for (std::size_t i = 0; i < 32; ++i) keys.secret_key.data()[i] = 0x42;
  crypto_scalarmult_base(keys.public_key.data(), keys.secret_key.data());
  return keys;
}

wire::SessionNonce fixed_nonce() {
  wire::SessionNonce nonce{};
  nonce.fill(0x24);
  return nonce;
}

std::vector<ByteView> split_messages(ByteView input) {
  std::vector<ByteView> messages;
  while (!input.empty() && messages.size() < 64) {
    if (input.size() < 2) {
      messages.push_back(input);
      break;
    }
    const std::size_t n = load_u16(input.data());
    input = input.subspan(2);
    const std::size_t take = std::min(n, input.size());
    messages.push_back(input.subspan(0, take));
    input = input.subspan(take);
  }
  return messages;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool sodium_ready = sodium_init() >= 0;
  if (!sodium_ready) std::abort();
  static ManualClock clock(from_millis(1'800'000'000'000));
  static Metrics metrics;

  relay::detail::MemoryQueueStore store;
  CountingRng ids;
  std::int64_t monotonic = 0;
  std::deque<Task> tasks;  // the session's strand
  RelayLimits limits;
  limits.quota = Quota{16, 4096};
  RelayCore core(
      store, clock, metrics, limits, [](std::uint64_t, Task task) { task(); }, ids,
      [&monotonic] { return monotonic; });

  SessionIo io;
  io.post = [&tasks](Task task) { tasks.push_back(std::move(task)); };
  io.send = [](std::string frame) {
    pb::ServerFrame parsed;
    if (!parsed.ParseFromString(frame)) std::abort();
#ifdef EXILE_RELAY_FRAME_TRACE  // to check that the seeds reach their commands
    std::fprintf(stderr, "%s\n", parsed.ShortDebugString().c_str());
#endif
  };
  io.close = [](CloseCode) {};
  io.can_push = [] { return true; };
  auto session = Session::create(core, io, fixed_session_keys(), fixed_nonce());
  session->start();
  auto drain = [&tasks] {
    while (!tasks.empty()) {
      Task task = std::move(tasks.front());
      tasks.pop_front();
      task();
    }
  };
  for (ByteView message : split_messages(ByteView(data, size))) {
    session->handle_message(message);
    drain();
    monotonic += 10;
  }
  if (session->in_flight() != 0) std::abort();
  session->close();
  drain();
  return 0;
}

#ifdef EXILE_RELAY_FRAME_SEEDS
// ---- seed generator ----------------------------------------------------------------------
#include <filesystem>
#include <fstream>

namespace {

class SeedWriter {
 public:
  SeedWriter() : session_keys_(fixed_session_keys()), nonce_(fixed_nonce()) {}

  // A message of the frames given to command() since the last flush (a batch of one if
  // command() was called with batch = false).
  void flush() {
    if (batch_.empty()) return;
    append_u16(out_, static_cast<std::uint16_t>(batch_.size()));
    append(out_, as_bytes(batch_));
    batch_.clear();
  }
  void raw(const std::string& frame, bool batch = false) {
    wire::append_batch_record(batch_, frame);
    if (!batch) flush();
  }
  void command(const pb::Command& command, std::vector<const wire::KeyPair*> signers = {},
               bool batch = false) {
    pb::ClientFrame frame;
    frame.set_request_id(++request_id_);
    frame.set_command(command.SerializeAsString());
    for (const auto* signer : signers) {
      auto key = wire::client_command_key(*signer, session_keys_.public_key, nonce_);
      const auto tag = wire::authenticate(*key, frame.request_id(), as_bytes(frame.command()));
      frame.add_authenticators(std::string(tag.begin(), tag.end()));
    }
    raw(frame.SerializeAsString(), batch);
  }
  void write(const std::filesystem::path& file) {
    flush();
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char*>(out_.data()),
               static_cast<std::streamsize>(out_.size()));
  }

 private:
  wire::KeyPair session_keys_;
  wire::SessionNonce nonce_;
  std::uint64_t request_id_ = 0;
  std::string batch_;
  Bytes out_;
};

std::string id_of(int n) { return std::string(16, static_cast<char>(n)); }

// A fresh key pair from the system's generator.
wire::KeyPair new_key_pair() {
  SystemRng rng;
  return wire::generate_key_pair(rng);
}
std::string key_of(const wire::KeyPair& k) {
  return std::string(k.public_key.begin(), k.public_key.end());
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0 || argc != 2) return 1;
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const auto recipient = new_key_pair();
  const auto sender = new_key_pair();
  const auto address_key = new_key_pair();

  pb::Command ping;
  ping.mutable_ping();
  pb::Command new_queue;
  new_queue.mutable_new_queue()->set_recipient_key(key_of(recipient));
  pb::Command new_address;
  new_address.mutable_new_queue()->set_recipient_key(key_of(address_key));
  new_address.mutable_new_queue()->set_contact_address(true);
  // First NEW: recv_id = id_of(1), send_id = id_of(2). Second: 3 and 4.
  pb::Command key;
  key.mutable_key()->set_recv_id(id_of(1));
  key.mutable_key()->set_sender_key(key_of(sender));
  pb::Command send;
  send.mutable_send()->set_send_id(id_of(2));
  send.mutable_send()->set_client_msg_id(std::string(16, 'm'));
  send.mutable_send()->set_body("ciphertext");
  pb::Command sub;
  sub.mutable_sub()->add_recv_ids(id_of(1));
  pb::Command ack;
  ack.mutable_ack()->set_recv_id(id_of(1));
  ack.mutable_ack()->set_msg_id(1);
  pb::Command unsub;
  unsub.mutable_unsub()->set_recv_id(id_of(1));
  pb::Command del;
  del.mutable_del()->set_recv_id(id_of(1));
  pb::Command put;
  put.mutable_put_bundle()->set_recv_id(id_of(3));
  put.mutable_put_bundle()->set_bundle("bundle");
  put.mutable_put_bundle()->add_one_time_keys("otk-1");
  put.mutable_put_bundle()->add_one_time_keys("otk-2");
  pb::Command get;
  get.mutable_get_bundle()->set_send_id(id_of(4));
  pb::Command first_contact;
  first_contact.mutable_send()->set_send_id(id_of(4));
  first_contact.mutable_send()->set_client_msg_id(std::string(16, 'f'));
  first_contact.mutable_send()->set_body("hello");

  {
    SeedWriter w;
    w.command(ping);
    w.write(dir / "ping");
  }
  {
    SeedWriter w;
    w.command(new_queue, {&recipient});
    w.write(dir / "new");
  }
  {
    SeedWriter w;
    w.command(new_queue, {&recipient});
    w.command(key, {&recipient});
    w.command(send, {&sender});
    w.command(send, {&sender});  // duplicate
    w.command(sub, {&recipient});
    w.command(ack, {&recipient});
    w.command(unsub, {&recipient});
    w.command(del, {&recipient});
    w.write(dir / "queue_life");
  }
  {
    SeedWriter w;
    w.command(new_queue, {&recipient});
    w.command(new_address, {&address_key});
    w.command(put, {&address_key});
    w.command(get);
    w.command(get);
    w.command(get);
    w.command(first_contact);
    pb::Command sub2;
    sub2.mutable_sub()->add_recv_ids(id_of(1));
    sub2.mutable_sub()->add_recv_ids(id_of(3));
    w.command(sub2, {&recipient, &address_key});
    w.write(dir / "address_life");
  }
  {
    SeedWriter w;
    w.command(new_queue, {&recipient});
    w.command(send);  // unsecured: no tag
    w.command(sub, {&recipient});
    w.command(send, {&recipient});  // wrong key once secured? not yet secured: ignored
    w.command(key, {&sender});      // wrong key: AUTH
    w.command(pb::Command{});       // UNKNOWN_COMMAND
    w.raw("\xff\xff");              // MALFORMED
    w.write(dir / "errors");
  }
  {
    // The queue's life as batches: a sender's window of SENDs in one message, the ACKs in
    // another.
    SeedWriter w;
    w.command(new_queue, {&recipient}, true);
    w.command(key, {&recipient}, true);
    w.command(sub, {&recipient}, true);
    w.flush();
    for (int i = 0; i < 4; ++i) {
      send.mutable_send()->set_client_msg_id(std::string(16, static_cast<char>('a' + i)));
      w.command(send, {&sender}, true);
    }
    w.flush();
    for (int i = 1; i <= 4; ++i) {
      ack.mutable_ack()->set_msg_id(static_cast<std::uint64_t>(i));
      w.command(ack, {&recipient}, true);
    }
    w.write(dir / "batches");
  }
  return 0;
}
#endif
