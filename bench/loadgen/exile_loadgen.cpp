// exile-loadgen: load for exile-relay (docs/relay-protocol.md), for scripts/bench relay.
//
// For each of N pairs the receiver connects, creates a queue (NEW), secures it with the
// sender's key (KEY) and subscribes to it (SUB); the sender connects and sends SENDs with at
// most W not yet answered Ok. Each body is --payload bytes and starts with the send time
// (steady clock) and a sequence number. The receiver ACKs every Msg it is pushed. A message
// counts as delivered and acked when the relay answers the ACK with Ok (the deletion is
// committed); end-to-end latency is the time the Msg arrived minus the send time written into
// it (same process). M idle connections (Hello, then a PING every --idle-ping seconds) are
// opened before the pairs. Everything runs on one thread (one io_context), since the load
// generator shares the machine's cores with the relay; its own CPU time is reported.
//
// Authenticators: one X25519 key pair per queue key; the command key K is derived once per
// connection (wire::client_command_key) and each command costs one keyed hash (wire::authenticate).
// GCC 12 at -O3 reports -Wnull-dereference inside Asio's scheduler (scheduler.ipp: this_thread
// on paths it cannot prove impossible) once inlined here; the system-header exemption does not
// cover it. Off for this file only, before Asio is included.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/rng.h"
#include "common/sodium.h"
#include "loadgen_common.h"
#include "relay.pb.h"
#include "relay/wire/batch.h"
#include "relay/wire/wire.h"

namespace exile::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace pb = exile::relay::pb;
namespace wire = exile::relay::wire;
using tcp = asio::ip::tcp;

constexpr std::string_view kTool = "exile-loadgen";

std::string bytes_of(const auto& array) {
  return std::string(reinterpret_cast<const char*>(array.data()), array.size());
}

class Sender;

struct Pair {
  std::uint32_t index = 0;
  wire::KeyPair sender_key;  // the queue's sender key (KEY sets it, SEND is authenticated by it)
  wire::QueueId send_id{};
  std::shared_ptr<Sender> sender;
};

struct Bench {
  Options options;
  Stats stats;
  asio::io_context ioc{1};
  tcp::endpoint endpoint;
  std::string host_header;
  std::string payload;
  std::array<std::uint8_t, 4> msg_id_prefix{};  // random per process: client_msg_ids differ
                                                // from one run to the next
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<std::shared_ptr<void>> keep;  // every connection, alive until exit

  int idle_launched = 0;
  int idle_in_progress = 0;
  int idle_open = 0;
  int receivers_ready = 0;
  int senders_ready = 0;
  bool running = false;
  bool stopping = false;
  std::uint64_t setup_start = 0;

  void launch_idle();
  void idle_finished();
  void start_pairs();
  void pair_progress();
};

// One WebSocket connection to the relay: connect, handshake, read Hello, then a read loop and
// a queue of ClientBatches to write (Beast allows one write in flight): the commands a handler
// produces go out together, in one message, once it returns (--batch caps a batch).
class Conn : public std::enable_shared_from_this<Conn> {
 public:
  explicit Conn(Bench& bench) : bench_(bench), ws_(bench.ioc) {}
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  virtual ~Conn() = default;

  void start() {
    ws_.next_layer().async_connect(
        bench_.endpoint,
        [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
  }

 protected:
  virtual void on_hello() = 0;
  virtual void on_frame(const pb::ServerFrame& frame) = 0;
  virtual void on_failed() {}

  // Sends `command` (serialized Command) with an authenticator by `key` (none if null).
  // Returns the request id.
  std::uint64_t send_command(const std::string& command, const wire::CommandKey* key) {
    const std::uint64_t request = next_request_++;
    frame_.Clear();
    frame_.set_request_id(request);
    frame_.set_command(command);
    if (key) {
      const auto tag = wire::authenticate(*key, request, as_bytes(command));
      frame_.add_authenticators(tag.data(), tag.size());
    }
    frame_.SerializeToString(&frame_bytes_);
    // Into the open batch, or a new one when it is full: --batch, or the protocol's limits
    // (relay-protocol.md §1).
    if (out_.empty() || out_.back().frames >= static_cast<std::size_t>(bench_.options.batch) ||
        !wire::client_batch_has_room(out_.back().bytes.size(), out_.back().frames,
                                     frame_bytes_.size())) {
      out_.emplace_back();
    }
    wire::append_batch_record(out_.back().bytes, frame_bytes_);
    ++out_.back().frames;
    // Not written here: the rest of this handler (the other frames of the batch being read)
    // adds its commands to the same batch first.
    if (!writing_ && !flush_posted_) {
      flush_posted_ = true;
      asio::post(bench_.ioc, [self = shared_from_this()] {
        self->flush_posted_ = false;
        if (!self->writing_ && !self->closed_) self->write_next();
      });
    }
    return request;
  }

  void fail(const std::string& what) {
    if (closed_) return;
    closed_ = true;
    if (!bench_.stopping) bench_.stats.error(what);
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
    on_failed();
  }

  [[nodiscard]] bool closed() const { return closed_; }

  Bench& bench_;
  wire::PublicKey session_key_{};
  wire::SessionNonce nonce_{};

 private:
  void on_connect(beast::error_code ec) {
    if (ec) return fail("connect");
    ws_.next_layer().set_option(tcp::no_delay(true), ec);
    ws_.binary(true);
    ws_.auto_fragment(false);
    ws_.read_message_max(wire::kMaxServerMessageBytes);
    ws_.write_buffer_bytes(std::max<std::size_t>(4096, bench_.options.payload + 1024));
    ws_.async_handshake(bench_.host_header, bench_.options.path,
                        [self = shared_from_this()](beast::error_code e) {
                          if (e) return self->fail("handshake");
                          self->read();
                        });
  }

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (closed_) return;
    if (ec) return fail(hello_ ? "connection_closed" : "closed_before_hello");
    // One message is a ServerBatch: parsed once (in_ is reused), then frame by frame.
    const auto data = buffer_.cdata();
    const bool parsed = in_.ParseFromArray(data.data(), static_cast<int>(data.size()));
    buffer_.consume(buffer_.size());
    if (!parsed || in_.frames().empty()) return fail("unparseable_frame");
    for (const pb::ServerFrame& frame : in_.frames()) {
      if (!hello_) {
        if (frame.request_id() != 0 || !frame.has_hello()) return fail("no_hello");
        const auto& hello = frame.hello();
        auto key = wire::exact<wire::kPublicKeyBytes>(as_bytes(hello.session_key()));
        auto nonce = wire::exact<wire::kNonceBytes>(as_bytes(hello.session_nonce()));
        if (!key || !nonce) return fail("bad_hello");
        session_key_ = *key;
        nonce_ = *nonce;
        hello_ = true;
        on_hello();
      } else {
        on_frame(frame);
      }
      if (closed_) return;
    }
    read();
  }

  void write_next() {
    if (out_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    wire_.swap(out_.front().bytes);
    out_.pop_front();
    ws_.async_write(
        asio::buffer(wire_),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    if (closed_) return;
    if (ec) return fail("write");
    wire_.clear();
    write_next();
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
  pb::ServerBatch in_;
  struct Batch {
    std::string bytes;  // ClientFrame records (wire/batch.h)
    std::size_t frames = 0;
  };

  pb::ClientFrame frame_;
  std::string frame_bytes_;
  std::deque<Batch> out_;  // batches not written yet; the last one takes new commands
  std::string wire_;       // the batch being written
  std::uint64_t next_request_ = 1;
  bool writing_ = false;
  bool flush_posted_ = false;
  bool closed_ = false;
  bool hello_ = false;
};

std::string error_name(const pb::Error& error) { return pb::ErrorCode_Name(error.code()); }

// The receiving side of a pair: NEW, KEY, SUB, then ACK every Msg.
class Receiver final : public Conn {
 public:
  Receiver(Bench& bench, Pair& pair) : Conn(bench), pair_(pair) {}

 private:
  enum class State { New, Key, Sub, Running };

  void on_hello() override {
    exile::SystemRng rng;
    recipient_ = wire::generate_key_pair(rng);
    auto key = wire::client_command_key(recipient_, session_key_, nonce_);
    if (!key) return fail("weak_session_key");
    key_ = std::move(*key);
    pb::Command command;
    command.mutable_new_queue()->set_recipient_key(bytes_of(recipient_.public_key));
    send(command);
  }

  void send(const pb::Command& command) {
    command.SerializeToString(&command_bytes_);
    send_command(command_bytes_, &*key_);
  }

  void on_frame(const pb::ServerFrame& frame) override {
    if (frame.request_id() == 0) {
      if (frame.has_msg()) return on_msg(frame.msg());
      if (frame.has_end()) bench_.stats.error("end_pushed");
      return;
    }
    if (frame.has_error()) {
      bench_.stats.error("receiver_" + error_name(frame.error()));
      if (state_ != State::Running) fail("setup_refused");
      return;
    }
    switch (state_) {
      case State::New: {
        if (!frame.has_ids()) return fail("new_without_ids");
        auto recv_id = wire::exact<wire::kQueueIdBytes>(as_bytes(frame.ids().recv_id()));
        auto send_id = wire::exact<wire::kQueueIdBytes>(as_bytes(frame.ids().send_id()));
        if (!recv_id || !send_id) return fail("bad_ids");
        recv_id_ = bytes_of(*recv_id);
        pair_.send_id = *send_id;
        pb::Command command;
        command.mutable_key()->set_recv_id(recv_id_);
        command.mutable_key()->set_sender_key(bytes_of(pair_.sender_key.public_key));
        state_ = State::Key;
        return send(command);
      }
      case State::Key: {
        if (!frame.has_ok()) return fail("key_not_ok");
        pb::Command command;
        command.mutable_sub()->add_recv_ids(recv_id_);
        state_ = State::Sub;
        ack_.mutable_ack()->set_recv_id(recv_id_);
        return send(command);
      }
      case State::Sub:
        if (!frame.has_ok()) return fail("sub_not_ok");
        state_ = State::Running;
        ++bench_.receivers_ready;
        return bench_.pair_progress();
      case State::Running:
        if (frame.has_ok()) ++bench_.stats.delivered;
        return;
    }
  }

  void on_msg(const pb::Msg& msg);

  Pair& pair_;
  State state_ = State::New;
  wire::KeyPair recipient_;
  std::optional<wire::CommandKey> key_;  // once Hello has come
  std::string recv_id_;
  std::string command_bytes_;
  pb::Command ack_;
  std::uint64_t last_msg_id_ = 0;
};

// The sending side of a pair: SENDs with at most W unanswered.
class Sender final : public Conn {
 public:
  Sender(Bench& bench, Pair& pair) : Conn(bench), pair_(pair) {}

  // --window-mode e2e: the receiver got one of this sender's messages.
  void delivered() {
    --inflight_;
    fill();
  }

  void start_load() {
    auto* send = command_.mutable_send();
    send->set_send_id(bytes_of(pair_.send_id));
    send->set_body(bench_.payload);
    send->set_client_msg_id(std::string(exile::kClientMessageIdBytes, '\0'));
    fill();
  }

 private:
  void on_hello() override {
    auto key = wire::client_command_key(pair_.sender_key, session_key_, nonce_);
    if (!key) return fail("weak_session_key");
    key_ = std::move(*key);
    ++bench_.senders_ready;
    bench_.pair_progress();
  }

  void fill() {
    if (closed() || backing_off_) return;
    auto* send = command_.mutable_send();
    while (bench_.running && inflight_ < bench_.options.window) {
      const std::uint64_t seq = seq_++;
      auto* id = reinterpret_cast<std::uint8_t*>(send->mutable_client_msg_id()->data());
      std::copy(bench_.msg_id_prefix.begin(), bench_.msg_id_prefix.end(), id);
      put_be(id + 4, pair_.index, 4);
      put_be(id + 8, seq, 8);
      stamp(send->mutable_body()->data(), seq, pair_.index);
      command_.SerializeToString(&command_bytes_);
      send_command(command_bytes_, &*key_);
      ++inflight_;
    }
  }

  void on_frame(const pb::ServerFrame& frame) override {
    if (frame.request_id() == 0) return;
    if (frame.has_ok()) {
      if (!bench_.options.e2e_window) --inflight_;
      ++bench_.stats.sent;
      if (frame.ok().duplicate()) bench_.stats.error("send_duplicate");
    } else if (frame.has_error()) {
      --inflight_;  // not stored: it will not be delivered either
      bench_.stats.error("send_" + error_name(frame.error()));
      // Back off as told (RATE_LIMITED, BUSY), or a little (QUOTA and the rest).
      const auto wait_ms = std::max<std::uint32_t>(frame.error().retry_after_ms(), 5);
      backing_off_ = true;
      timer_.expires_after(std::chrono::milliseconds(wait_ms));
      timer_.async_wait(
          [self = std::static_pointer_cast<Sender>(shared_from_this())](beast::error_code ec) {
            if (ec) return;
            self->backing_off_ = false;
            self->fill();
          });
      return;
    }
    fill();
  }

  Pair& pair_;
  std::optional<wire::CommandKey> key_;  // once Hello has come
  pb::Command command_;
  std::string command_bytes_;
  asio::steady_timer timer_{bench_.ioc};
  std::uint64_t seq_ = 0;
  int inflight_ = 0;
  bool backing_off_ = false;
};

void Receiver::on_msg(const pb::Msg& msg) {
  const std::uint64_t now = now_ns();
  Stamp stamp;
  if (!read_stamp(msg.body().data(), msg.body().size(), stamp)) {
    bench_.stats.error("short_body");
  } else {
    bench_.stats.record_latency(stamp.sent_ns, now);
    bench_.stats.check_sequence(stamp.pair, stamp.seq);
  }
  // Pushes come oldest first (relay-protocol.md §5): msg_id only grows on one queue.
  if (msg.msg_id() <= last_msg_id_) bench_.stats.error("msg_id_not_increasing");
  last_msg_id_ = std::max(last_msg_id_, msg.msg_id());
  ack_.mutable_ack()->set_msg_id(msg.msg_id());
  send(ack_);
  if (bench_.options.e2e_window) pair_.sender->delivered();
}

// An idle connection: Hello, then a PING every --idle-ping seconds (first one at a random
// point of the first period, so the pings are spread out).
class Idle final : public Conn {
 public:
  Idle(Bench& bench, std::uint64_t seed) : Conn(bench), random_(seed) {}

 private:
  void on_hello() override {
    open_ = true;
    ++bench_.idle_open;
    bench_.idle_finished();
    pb::Command ping;
    ping.mutable_ping();
    ping.SerializeToString(&ping_bytes_);
    std::uniform_real_distribution<double> first(0, bench_.options.idle_ping_s);
    arm(first(random_));
  }

  void arm(double seconds) {
    timer_.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6)));
    timer_.async_wait(
        [self = std::static_pointer_cast<Idle>(shared_from_this())](beast::error_code ec) {
          if (ec || self->closed()) return;
          self->send_command(self->ping_bytes_, nullptr);
          self->arm(self->bench_.options.idle_ping_s);
        });
  }

  void on_frame(const pb::ServerFrame& frame) override {
    if (frame.has_error()) bench_.stats.error("idle_" + error_name(frame.error()));
  }

  void on_failed() override {
    ++bench_.stats.idle_failed;
    timer_.cancel();
    if (open_) {
      --bench_.idle_open;
    } else {
      bench_.idle_finished();
    }
  }

  std::mt19937_64 random_;
  asio::steady_timer timer_{bench_.ioc};
  std::string ping_bytes_;
  bool open_ = false;
};

void Bench::launch_idle() {
  while (idle_launched < options.idle && idle_in_progress < options.connect_parallel) {
    auto conn = std::make_shared<Idle>(*this, static_cast<std::uint64_t>(idle_launched) + 1);
    ++idle_launched;
    ++idle_in_progress;
    keep.push_back(conn);
    conn->start();
  }
  if (idle_launched == options.idle && idle_in_progress == 0) start_pairs();
}

void Bench::idle_finished() {
  --idle_in_progress;
  launch_idle();
}

void Bench::start_pairs() {
  if (!pairs.empty()) return;
  if (options.idle > 0) {
    std::fprintf(stderr, "exile-loadgen: %d of %d idle connections open after %.1f s\n", idle_open,
                 options.idle, static_cast<double>(now_ns() - setup_start) / 1e9);
  }
  exile::SystemRng rng;
  for (int i = 0; i < options.pairs; ++i) {
    auto pair = std::make_unique<Pair>();
    pair->index = static_cast<std::uint32_t>(i);
    pair->sender_key = wire::generate_key_pair(rng);
    auto receiver = std::make_shared<Receiver>(*this, *pair);
    pair->sender = std::make_shared<Sender>(*this, *pair);
    keep.push_back(receiver);
    keep.push_back(pair->sender);
    receiver->start();
    pair->sender->start();
    pairs.push_back(std::move(pair));
  }
}

class Run {
 public:
  explicit Run(Bench& bench) : bench_(bench) {}

  void arm_setup_deadline(double seconds) {
    setup_timer_.expires_after(std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1e3)));
    setup_timer_.async_wait([this](beast::error_code ec) {
      if (ec || bench_.running || bench_.stopping) return;
      std::fprintf(stderr,
                   "exile-loadgen: setup timed out: %d of %d idle open, %d receivers and %d "
                   "senders ready of %d\n",
                   bench_.idle_open, bench_.options.idle, bench_.receivers_ready,
                   bench_.senders_ready, bench_.options.pairs);
      for (const auto& [what, count] : bench_.stats.errors) {
        std::fprintf(stderr, "  %s: %llu\n", what.c_str(), static_cast<unsigned long long>(count));
      }
      std::fflush(stderr);
      std::_Exit(1);
    });
  }

  void begin() {
    setup_timer_.cancel();
    const Options& o = bench_.options;
    bench_.stats.setup_s = static_cast<double>(now_ns() - bench_.setup_start) / 1e9;
    bench_.running = true;
    for (auto& pair : bench_.pairs) pair->sender->start_load();
    window_timer_.expires_after(
        std::chrono::microseconds(static_cast<std::int64_t>(o.warmup_s * 1e6)));
    window_timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      bench_.stats.latency_us.reserve(1u << 20);
      bench_.stats.begin_window(bench_.options.server_pid, bench_.idle_open);
      window_timer_.expires_after(
          std::chrono::microseconds(static_cast<std::int64_t>(bench_.options.duration_s * 1e6)));
      window_timer_.async_wait([this](beast::error_code e) {
        if (e) return;
        bench_.stats.end_window(bench_.options.server_pid, bench_.idle_open);
        bench_.running = false;
        bench_.stopping = true;
        bench_.ioc.stop();
      });
    });
  }

 private:
  Bench& bench_;
  asio::steady_timer setup_timer_{bench_.ioc};
  asio::steady_timer window_timer_{bench_.ioc};
};

Run* g_run = nullptr;

void Bench::pair_progress() {
  if (running || receivers_ready < options.pairs || senders_ready < options.pairs) return;
  g_run->begin();
}

int run(int argc, char** argv) {
  ensure_sodium();
  Bench bench;
  bench.options = parse_options(argc, argv, kTool, "ws");
  const Options& o = bench.options;
  raise_nofile(static_cast<std::size_t>(o.idle + 2 * o.pairs));
  beast::error_code ec;
  const auto address = asio::ip::make_address(o.host, ec);
  if (ec) {
    std::fprintf(stderr, "exile-loadgen: --url needs a numeric address, got %s\n", o.host.c_str());
    return 2;
  }
  bench.endpoint = tcp::endpoint(address, o.port);
  bench.host_header = o.host + ":" + std::to_string(o.port);
  bench.payload = make_payload(o.payload);
  std::random_device device;
  for (auto& byte : bench.msg_id_prefix) byte = static_cast<std::uint8_t>(device());

  Run run(bench);
  g_run = &run;
  bench.setup_start = now_ns();
  run.arm_setup_deadline(60 + static_cast<double>(o.idle) / 100.0);
  bench.launch_idle();
  bench.ioc.run();
  report(kTool, o, bench.stats);
  // Leave without closing 10,000 connections one by one: the relay sees them drop.
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(bench.stats.delivered_end > bench.stats.delivered_start ? 0 : 1);
}

}  // namespace
}  // namespace exile::loadgen

int main(int argc, char** argv) { return exile::loadgen::run(argc, argv); }
