// Tests for the relay's protocol logic (src/relay/command_handler.h) without sockets: Sessions
// driven frame by frame over the real SqliteQueueStore in a temporary directory. Each Session's
// "strand" is a task queue run by the test thread; the store's writer thread posts into it.
#include "relay/command_handler.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>

#include "relay.pb.h"
#include "relay/sqlite_queue_store.h"
#include "relay/wire/batch.h"
#include "support/relay_keys.h"
#include "support/temp_dir.h"

namespace exile::relay {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using test::new_key_pair;

// A strand for tests: tasks posted from any thread, run by the test thread.
class Loop {
 public:
  void post(Task task) {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
    cv_.notify_all();
  }
  // Runs tasks until `done()` or the timeout; true if done.
  template <class Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      Task task;
      {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_until(lock, deadline, [&] { return !tasks_.empty(); })) return done();
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
    return true;
  }
  // Runs what is queued now and what the store finishes within `settle`.
  void settle(std::chrono::milliseconds settle = 100ms) {
    (void)run_until([] { return false; }, settle);
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
};

struct QueueKeys {
  wire::KeyPair recipient = new_key_pair();
  wire::KeyPair sender = new_key_pair();
  std::string recv_id;
  std::string send_id;
};

std::string str(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
template <std::size_t N>
std::string str(const std::array<std::uint8_t, N>& a) {
  return str(ByteView(a));
}

class Fixture;

// One client connection: a Session, the frames it sent, and a client's view of its keys.
class TestConnection {
 public:
  TestConnection(RelayCore& core, Loop& loop) : loop_(loop) {
    SessionIo io;
    io.post = [loop = &loop_](Task task) { loop->post(std::move(task)); };
    io.send = [this](std::string frame) {
      pb::ServerFrame parsed;
      EXPECT_TRUE(parsed.ParseFromString(frame));
      if (parsed.request_id() == 0) {
        pushes.push_back(parsed);
      } else {
        answers[parsed.request_id()] = parsed;
      }
    };
    io.close = [this](CloseCode code) { close_code = code; };
    session = Session::create(core, std::move(io));
    session->start();
    EXPECT_EQ(pushes.size(), 1U);
    hello = pushes.front().hello();
    pushes.clear();
  }
  ~TestConnection() { session->close(); }

  wire::CommandKey key_for(const wire::KeyPair& queue) const {
    wire::PublicKey session_key{};
    wire::SessionNonce nonce{};
    std::copy(hello.session_key().begin(), hello.session_key().end(), session_key.begin());
    std::copy(hello.session_nonce().begin(), hello.session_nonce().end(), nonce.begin());
    return *wire::client_command_key(queue, session_key, nonce);
  }

  // A serialized ClientFrame for `command`, signed by `signers` (in order), with a fresh
  // request id (in *request_id).
  std::string frame(const pb::Command& command, std::vector<const wire::KeyPair*> signers,
                    std::uint64_t* request_id) {
    pb::ClientFrame frame;
    frame.set_request_id(++last_id_);
    frame.set_command(command.SerializeAsString());
    for (const auto* signer : signers) {
      const auto tag =
          wire::authenticate(key_for(*signer), frame.request_id(), as_bytes(frame.command()));
      frame.add_authenticators(str(tag));
    }
    *request_id = frame.request_id();
    return frame.SerializeAsString();
  }
  // Sends a command signed by `signers` (in order) and returns its request id.
  std::uint64_t send(const pb::Command& command, std::vector<const wire::KeyPair*> signers = {}) {
    std::uint64_t request_id = 0;
    send_raw(frame(command, std::move(signers), &request_id));
    return request_id;
  }
  // `bytes` as the one frame of a message (a ClientBatch of one).
  void send_raw(const std::string& bytes) { send_batch({bytes}); }
  void send_batch(const std::vector<std::string>& frames) {
    std::string batch;
    for (const auto& f : frames) wire::append_batch_record(batch, f);
    send_message(batch);
  }
  void send_message(const std::string& bytes) { session->handle_message(as_bytes(bytes)); }
  pb::ServerFrame wait(std::uint64_t request_id) {
    EXPECT_TRUE(loop_.run_until([&] { return answers.contains(request_id); }))
        << "no answer to request " << request_id;
    return answers[request_id];
  }
  pb::ServerFrame call(const pb::Command& command, std::vector<const wire::KeyPair*> signers = {}) {
    return wait(send(command, std::move(signers)));
  }
  bool wait_pushes(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    return loop_.run_until([&] { return pushes.size() >= n; }, timeout);
  }

  std::shared_ptr<Session> session;
  pb::Hello hello;
  std::map<std::uint64_t, pb::ServerFrame> answers;
  std::vector<pb::ServerFrame> pushes;
  std::optional<CloseCode> close_code;

 private:
  Loop& loop_;
  std::uint64_t last_id_ = 0;
};

pb::ErrorCode error_of(const pb::ServerFrame& f) {
  return f.has_error() ? f.error().code() : pb::ERROR_UNSPECIFIED;
}

pb::Command new_queue(const wire::KeyPair& key, bool address = false) {
  pb::Command c;
  c.mutable_new_queue()->set_recipient_key(str(key.public_key));
  c.mutable_new_queue()->set_contact_address(address);
  return c;
}
pb::Command key_cmd(const QueueKeys& q) {
  pb::Command c;
  c.mutable_key()->set_recv_id(q.recv_id);
  c.mutable_key()->set_sender_key(str(q.sender.public_key));
  return c;
}
pb::Command send_cmd(const std::string& send_id, const std::string& client_msg_id,
                     const std::string& body) {
  pb::Command c;
  c.mutable_send()->set_send_id(send_id);
  c.mutable_send()->set_client_msg_id(client_msg_id);
  c.mutable_send()->set_body(body);
  return c;
}
pb::Command sub_cmd(const std::vector<std::string>& ids) {
  pb::Command c;
  c.mutable_sub();  // present even when empty
  for (const auto& id : ids) c.mutable_sub()->add_recv_ids(id);
  return c;
}
pb::Command ack_cmd(const std::string& recv_id, std::uint64_t msg_id) {
  pb::Command c;
  c.mutable_ack()->set_recv_id(recv_id);
  c.mutable_ack()->set_msg_id(msg_id);
  return c;
}
pb::Command del_cmd(const std::string& recv_id) {
  pb::Command c;
  c.mutable_del()->set_recv_id(recv_id);
  return c;
}
pb::Command ping_cmd() {
  pb::Command c;
  c.mutable_ping();
  return c;
}
std::string msg_id_str(int i) {
  std::string id(16, '\0');
  id[0] = static_cast<char>(i & 0xff);
  id[1] = static_cast<char>((i >> 8) & 0xff);
  id[15] = 'x';
  return id;
}

class CommandHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteQueueStore::open(dir_.file("relay.db"));
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    make_core(RelayLimits{});
  }
  void TearDown() override {
    connections_.clear();
    if (store_) store_->drain();
    core_.reset();
    store_.reset();
  }
  void make_core(RelayLimits limits) {
    connections_.clear();
    core_ = std::make_unique<RelayCore>(
        *store_, clock_, metrics_, limits, [](std::uint64_t, Task task) { task(); }, rng_,
        [this] { return monotonic_ms_; });
  }
  TestConnection& connect() {
    connections_.push_back(std::make_unique<TestConnection>(*core_, loop_));
    return *connections_.back();
  }
  QueueKeys create(TestConnection& c, bool address = false) {
    QueueKeys q;
    auto answer = c.call(new_queue(q.recipient, address), {&q.recipient});
    EXPECT_TRUE(answer.has_ids()) << answer.DebugString();
    q.recv_id = answer.ids().recv_id();
    q.send_id = answer.ids().send_id();
    return q;
  }
  QueueKeys create_secured(TestConnection& c) {
    QueueKeys q = create(c);
    EXPECT_TRUE(c.call(key_cmd(q), {&q.recipient}).has_ok());
    return q;
  }

  test::TempDir dir_{"exile-relay-handler"};
  std::unique_ptr<SqliteQueueStore> store_;
  ManualClock clock_{from_millis(1'800'000'000'000)};
  Metrics metrics_;
  SystemRng rng_;
  std::int64_t monotonic_ms_ = 1'000'000;
  std::unique_ptr<RelayCore> core_;
  Loop loop_;
  std::vector<std::unique_ptr<TestConnection>> connections_;
};

TEST_F(CommandHandlerTest, HelloCarriesFreshKeysAndLimits) {
  auto& a = connect();
  auto& b = connect();
  EXPECT_EQ(a.hello.version(), 1U);
  EXPECT_EQ(a.hello.session_nonce().size(), 32U);
  EXPECT_EQ(a.hello.session_key().size(), 32U);
  EXPECT_NE(a.hello.session_nonce(), b.hello.session_nonce());
  EXPECT_NE(a.hello.session_key(), b.hello.session_key());
  EXPECT_EQ(a.hello.limits().max_frame_bytes(), wire::kMaxFrameBytes);
  EXPECT_EQ(a.hello.limits().max_body_bytes(), wire::kMaxBodyBytes);
  EXPECT_EQ(a.hello.limits().max_queue_messages(), 10000U);
  EXPECT_EQ(a.hello.limits().max_queue_bytes(), 64ULL << 20);
  EXPECT_EQ(a.hello.limits().message_ttl_seconds(), 21U * 86400);
  EXPECT_EQ(a.hello.limits().idle_timeout_seconds(), 120U);
}

TEST_F(CommandHandlerTest, PingAndFrameErrors) {
  auto& c = connect();
  const auto pong = c.call(ping_cmd());
  EXPECT_TRUE(pong.has_pong());
  EXPECT_EQ(c.call(pb::Command{}).error().code(), pb::UNKNOWN_COMMAND);
  // A command this relay does not know (a future oneof member) is UNKNOWN_COMMAND too.
  pb::ClientFrame future;
  future.set_request_id(77);
  future.set_command(std::string("\xa2\x06\x00", 3));  // field 100, empty
  c.send_raw(future.SerializeAsString());
  EXPECT_EQ(c.wait(77).error().code(), pb::UNKNOWN_COMMAND);
  // Unparseable frames are answered with request_id 0.
  c.send_raw("\xff\xff\xff");
  ASSERT_EQ(c.pushes.size(), 1U);
  EXPECT_EQ(c.pushes[0].error().code(), pb::MALFORMED);
  // A parseable frame with an unparseable command: MALFORMED with its request id.
  pb::ClientFrame bad;
  bad.set_request_id(78);
  bad.set_command("\xff\xff");
  c.send_raw(bad.SerializeAsString());
  EXPECT_EQ(c.wait(78).error().code(), pb::MALFORMED);
  EXPECT_FALSE(c.close_code);
}

TEST_F(CommandHandlerTest, ABatchsFramesAreHandledInOrderAsIfEachCameAlone) {
  auto& c = connect();
  QueueKeys q;
  std::uint64_t ping1 = 0, created = 0, ping2 = 0, unknown = 0;
  c.send_batch({c.frame(ping_cmd(), {}, &ping1),
                c.frame(new_queue(q.recipient), {&q.recipient}, &created),
                c.frame(ping_cmd(), {}, &ping2), c.frame(pb::Command{}, {}, &unknown)});
  EXPECT_TRUE(c.wait(ping1).has_pong());
  EXPECT_TRUE(c.wait(created).has_ids());
  EXPECT_TRUE(c.wait(ping2).has_pong());
  EXPECT_EQ(c.wait(unknown).error().code(), pb::UNKNOWN_COMMAND);
  // A frame of the batch that does not parse is MALFORMED alone; the others still run.
  std::uint64_t ping3 = 0;
  c.send_batch({"\xff\xff", c.frame(ping_cmd(), {}, &ping3)});
  EXPECT_TRUE(c.wait(ping3).has_pong());
  ASSERT_EQ(c.pushes.size(), 1U);
  EXPECT_EQ(c.pushes[0].error().code(), pb::MALFORMED);
  EXPECT_FALSE(c.close_code);
}

TEST_F(CommandHandlerTest, ABatchThatIsNotAllRecordsRunsNoneOfItsFrames) {
  auto& c = connect();
  std::uint64_t ping = 0;
  const std::string good = c.frame(ping_cmd(), {}, &ping);  // never answered
  std::string batch;
  wire::append_batch_record(batch, good);
  const std::vector<std::string> bad = {
      "",              // no frame
      batch + "\xff",  // a byte that is not a record's tag
      batch + "\x0a",  // a tag without a length
      batch +
          "\x0a\x05"
          "abc",                               // a length past the end
      batch + "\x12\x01x",                     // a record of another field
      batch + "\x0a\xff\xff\xff\xff\xff\x01",  // a length varint of 6 bytes
  };
  for (const auto& message : bad) c.send_message(message);
  // 257 frames: one too many.
  std::vector<std::string> many;
  std::uint64_t last = 0;
  for (std::size_t i = 0; i <= wire::kMaxClientBatchFrames; ++i) {
    many.push_back(c.frame(ping_cmd(), {}, &last));
  }
  c.send_batch(many);
  EXPECT_EQ(c.pushes.size(), bad.size() + 1);
  for (const auto& push : c.pushes) EXPECT_EQ(push.error().code(), pb::MALFORMED);
  EXPECT_TRUE(c.answers.empty()) << "a frame of a malformed batch ran";
  EXPECT_FALSE(c.close_code);
  // 256 frames are a batch.
  many.pop_back();
  c.pushes.clear();
  c.send_batch(many);
  EXPECT_TRUE(c.wait(last - 1).has_pong());
  EXPECT_EQ(c.answers.size(), wire::kMaxClientBatchFrames);
  EXPECT_TRUE(c.pushes.empty());
}

TEST_F(CommandHandlerTest, AMessageOrAFrameOverItsLimitCloses) {
  auto& a = connect();
  a.send_message(std::string(wire::kMaxClientMessageBytes + 1, '\x0a'));
  ASSERT_TRUE(a.close_code);
  EXPECT_EQ(*a.close_code, CloseCode::TooBig);
  // A frame over kMaxFrameBytes in a batch that is not: the batch's first frame runs neither.
  auto& b = connect();
  std::uint64_t ping = 0;
  b.send_batch({b.frame(ping_cmd(), {}, &ping), std::string(wire::kMaxFrameBytes + 1, 'x')});
  ASSERT_TRUE(b.close_code);
  EXPECT_EQ(*b.close_code, CloseCode::TooBig);
  EXPECT_TRUE(b.answers.empty());
}

TEST_F(CommandHandlerTest, TenMalformedFramesClose) {
  auto& c = connect();
  for (int i = 0; i < 9; ++i) c.send_raw("\xff");
  EXPECT_FALSE(c.close_code);
  c.send_raw("\xff");
  ASSERT_TRUE(c.close_code);
  EXPECT_EQ(*c.close_code, CloseCode::PolicyViolation);
  EXPECT_EQ(metrics_.rejects_malformed.load(), 10U);
}

TEST_F(CommandHandlerTest, NewNeedsProofOfPossessionAndAGoodKey) {
  auto& c = connect();
  QueueKeys q;
  const auto other = new_key_pair();
  EXPECT_EQ(error_of(c.call(new_queue(q.recipient), {&other})), pb::AUTH);
  EXPECT_EQ(error_of(c.call(new_queue(q.recipient))), pb::AUTH);
  pb::Command low_order;
  low_order.mutable_new_queue()->set_recipient_key(std::string(32, '\0'));
  EXPECT_EQ(error_of(c.call(low_order)), pb::MALFORMED);
  pb::Command short_key;
  short_key.mutable_new_queue()->set_recipient_key(std::string(31, 'k'));
  EXPECT_EQ(error_of(c.call(short_key)), pb::MALFORMED);
  const auto ids = c.call(new_queue(q.recipient), {&q.recipient});
  ASSERT_TRUE(ids.has_ids());
  EXPECT_EQ(ids.ids().recv_id().size(), 16U);
  EXPECT_EQ(ids.ids().send_id().size(), 16U);
  EXPECT_NE(ids.ids().recv_id(), ids.ids().send_id());
}

// The first SEND misses the queue cache and waits for its store read (the test's store pool
// runs it at once; its answer waits in the loop); the second then hits the cache that read
// filled. It must still be numbered second (relay-protocol.md §5, "Order").
TEST_F(CommandHandlerTest, SendsAreNumberedInTheOrderWrittenWhenTheFirstMissesTheCache) {
  auto& owner = connect();
  const QueueKeys q = create_secured(owner);  // KEY left the queue out of the cache
  auto& sender = connect();
  const auto first = sender.send(send_cmd(q.send_id, msg_id_str(1), "first"), {&q.sender});
  const auto second = sender.send(send_cmd(q.send_id, msg_id_str(2), "second"), {&q.sender});
  EXPECT_TRUE(sender.wait(first).has_ok());
  EXPECT_TRUE(sender.wait(second).has_ok());
  ASSERT_TRUE(owner.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  ASSERT_TRUE(owner.wait_pushes(2));
  EXPECT_EQ(owner.pushes[0].msg().msg_id(), 1U);
  EXPECT_EQ(owner.pushes[0].msg().body(), "first");
  EXPECT_EQ(owner.pushes[1].msg().msg_id(), 2U);
  EXPECT_EQ(owner.pushes[1].msg().body(), "second");
}

TEST_F(CommandHandlerTest, KeySecuresOnceAndNotAddresses) {
  auto& c = connect();
  QueueKeys q = create(c);
  // Unsecured: a SEND without a tag is stored.
  EXPECT_TRUE(c.call(send_cmd(q.send_id, msg_id_str(1), "first")).has_ok());
  EXPECT_EQ(error_of(c.call(key_cmd(q), {&q.sender})), pb::AUTH);  // wrong key
  EXPECT_TRUE(c.call(key_cmd(q), {&q.recipient}).has_ok());
  EXPECT_EQ(error_of(c.call(key_cmd(q), {&q.recipient})), pb::ALREADY_SECURED);
  // Secured: no tag, or the recipient's, is AUTH; the sender's works.
  EXPECT_EQ(error_of(c.call(send_cmd(q.send_id, msg_id_str(2), "x"))), pb::AUTH);
  EXPECT_EQ(error_of(c.call(send_cmd(q.send_id, msg_id_str(2), "x"), {&q.recipient})), pb::AUTH);
  EXPECT_TRUE(c.call(send_cmd(q.send_id, msg_id_str(2), "x"), {&q.sender}).has_ok());

  QueueKeys address = create(c, true);
  EXPECT_EQ(error_of(c.call(key_cmd(address), {&address.recipient})), pb::NOT_ALLOWED);
}

TEST_F(CommandHandlerTest, SendIsIdempotentAndBounded) {
  RelayLimits limits;
  limits.quota = Quota{3, 1000};
  make_core(limits);
  auto& c = connect();
  QueueKeys q = create_secured(c);
  auto answer = c.call(send_cmd(q.send_id, msg_id_str(1), "hello"), {&q.sender});
  ASSERT_TRUE(answer.has_ok());
  EXPECT_FALSE(answer.ok().duplicate());
  answer = c.call(send_cmd(q.send_id, msg_id_str(1), "hello"), {&q.sender});
  ASSERT_TRUE(answer.has_ok());
  EXPECT_TRUE(answer.ok().duplicate());
  EXPECT_EQ(
      error_of(c.call(send_cmd(q.send_id, msg_id_str(2), std::string(65537, 'b')), {&q.sender})),
      pb::TOO_LARGE);
  EXPECT_EQ(error_of(c.call(send_cmd(q.send_id, "short", "x"), {&q.sender})), pb::MALFORMED);
  EXPECT_TRUE(c.call(send_cmd(q.send_id, msg_id_str(3), "b"), {&q.sender}).has_ok());
  EXPECT_TRUE(c.call(send_cmd(q.send_id, msg_id_str(4), "c"), {&q.sender}).has_ok());
  EXPECT_EQ(error_of(c.call(send_cmd(q.send_id, msg_id_str(5), "d"), {&q.sender})), pb::QUOTA);
  // Unknown queue: AUTH, like a bad tag.
  EXPECT_EQ(error_of(c.call(send_cmd(std::string(16, 'z'), msg_id_str(6), "e"), {&q.sender})),
            pb::AUTH);
  EXPECT_EQ(metrics_.messages_stored.load(), 3U);
  EXPECT_EQ(metrics_.rejects_quota.load(), 1U);
  EXPECT_EQ(metrics_.rejects_too_large.load(), 1U);
}

TEST_F(CommandHandlerTest, SubPushesStoredThenNewAndAckDeletes) {
  auto& sender = connect();
  auto& recipient = connect();
  QueueKeys q = create_secured(recipient);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(
        sender.call(send_cmd(q.send_id, msg_id_str(i), "m" + std::to_string(i)), {&q.sender})
            .has_ok());
  }
  ASSERT_TRUE(recipient.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  ASSERT_TRUE(recipient.wait_pushes(3));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(recipient.pushes[static_cast<std::size_t>(i)].has_msg());
    const auto& m = recipient.pushes[static_cast<std::size_t>(i)].msg();
    EXPECT_EQ(m.recv_id(), q.recv_id);
    EXPECT_EQ(m.msg_id(), static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(m.body(), "m" + std::to_string(i + 1));
    EXPECT_EQ(m.timestamp(), 1'800'000'000'000U);
  }
  ASSERT_TRUE(sender.call(send_cmd(q.send_id, msg_id_str(4), "live"), {&q.sender}).has_ok());
  ASSERT_TRUE(recipient.wait_pushes(4));
  EXPECT_EQ(recipient.pushes[3].msg().body(), "live");
  EXPECT_EQ(recipient.pushes[3].msg().msg_id(), 4U);

  for (std::uint64_t id = 1; id <= 4; ++id) {
    ASSERT_TRUE(recipient.call(ack_cmd(q.recv_id, id), {&q.recipient}).has_ok());
  }
  EXPECT_TRUE(recipient.call(ack_cmd(q.recv_id, 2), {&q.recipient}).has_ok());  // gone: Ok
  EXPECT_EQ(metrics_.messages_delivered.load(), 5U);
  // A new connection subscribing sees nothing left.
  auto& again = connect();
  ASSERT_TRUE(again.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  loop_.settle();
  EXPECT_TRUE(again.pushes.empty());
}

TEST_F(CommandHandlerTest, PushWindowHolds512UnackedPerQueueByDefault) {
  // The default window (RelayLimits, relay-protocol.md §5 "Push"): at most 512 pushed,
  // unacked messages per queue; each ACK makes room for one more.
  constexpr std::size_t kWindow = 512;
  auto& c = connect();
  QueueKeys q = create_secured(c);
  constexpr int kMessages = kWindow + 12;
  for (int i = 1; i <= kMessages; ++i) c.send(send_cmd(q.send_id, msg_id_str(i), "b"), {&q.sender});
  ASSERT_TRUE(loop_.run_until([&] { return c.answers.size() >= 2 + kMessages; }));
  ASSERT_TRUE(c.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  ASSERT_TRUE(c.wait_pushes(kWindow));
  loop_.settle();
  EXPECT_EQ(c.pushes.size(), kWindow);
  ASSERT_TRUE(c.call(ack_cmd(q.recv_id, 1), {&q.recipient}).has_ok());
  ASSERT_TRUE(c.wait_pushes(kWindow + 1));
  loop_.settle();
  EXPECT_EQ(c.pushes.size(), kWindow + 1);
  EXPECT_EQ(c.pushes.back().msg().msg_id(), kWindow + 1);
  for (std::uint64_t id = 2; id <= 20; ++id) c.send(ack_cmd(q.recv_id, id), {&q.recipient});
  ASSERT_TRUE(c.wait_pushes(kMessages));
  loop_.settle();
  EXPECT_EQ(c.pushes.size(), static_cast<std::size_t>(kMessages));
  for (std::size_t i = 0; i < c.pushes.size(); ++i) {
    EXPECT_EQ(c.pushes[i].msg().msg_id(), i + 1) << "in order, each once";
  }
}

TEST_F(CommandHandlerTest, OneSubscriberPerQueue) {
  auto& first = connect();
  auto& second = connect();
  QueueKeys q = create_secured(first);
  ASSERT_TRUE(first.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  ASSERT_TRUE(second.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  ASSERT_TRUE(first.wait_pushes(1));
  ASSERT_TRUE(first.pushes[0].has_end());
  EXPECT_EQ(first.pushes[0].end().recv_id(), q.recv_id);
  ASSERT_TRUE(first.call(send_cmd(q.send_id, msg_id_str(1), "to second"), {&q.sender}).has_ok());
  ASSERT_TRUE(second.wait_pushes(1));
  EXPECT_EQ(second.pushes[0].msg().body(), "to second");
  loop_.settle();
  EXPECT_EQ(first.pushes.size(), 1U);
}

TEST_F(CommandHandlerTest, SubIsAllOrNothing) {
  auto& owner = connect();
  auto& other = connect();
  QueueKeys a = create_secured(owner);
  QueueKeys b = create_secured(owner);
  ASSERT_TRUE(owner.call(sub_cmd({a.recv_id}), {&a.recipient}).has_ok());
  // Second id signed by the wrong key: AUTH at index 1, and the first is not taken over.
  auto answer = other.call(sub_cmd({a.recv_id, b.recv_id}), {&a.recipient, &a.recipient});
  EXPECT_EQ(error_of(answer), pb::AUTH);
  EXPECT_EQ(answer.error().index(), 1U);
  // Unknown id: the same AUTH.
  answer = other.call(sub_cmd({a.recv_id, std::string(16, 'u')}), {&a.recipient, &b.recipient});
  EXPECT_EQ(error_of(answer), pb::AUTH);
  EXPECT_EQ(answer.error().index(), 1U);
  answer = other.call(sub_cmd({a.recv_id, b.recv_id}), {&a.recipient});  // one tag missing
  EXPECT_EQ(error_of(answer), pb::AUTH);
  loop_.settle();
  EXPECT_TRUE(owner.pushes.empty()) << "no End: the failed SUB took nothing over";
  EXPECT_EQ(error_of(other.call(sub_cmd({}))), pb::MALFORMED);
  std::vector<std::string> too_many(1001, a.recv_id);
  EXPECT_EQ(error_of(other.call(sub_cmd(too_many))), pb::MALFORMED);
  answer = other.call(sub_cmd({a.recv_id, "short"}), {&a.recipient, &a.recipient});
  EXPECT_EQ(error_of(answer), pb::MALFORMED);
  EXPECT_EQ(answer.error().index(), 1U);
}

TEST_F(CommandHandlerTest, UnsubStopsPushes) {
  auto& c = connect();
  QueueKeys q = create_secured(c);
  ASSERT_TRUE(c.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  pb::Command unsub;
  unsub.mutable_unsub()->set_recv_id(q.recv_id);
  EXPECT_EQ(error_of(c.call(unsub, {&q.sender})), pb::AUTH);
  ASSERT_TRUE(c.call(unsub, {&q.recipient}).has_ok());
  ASSERT_TRUE(c.call(send_cmd(q.send_id, msg_id_str(1), "quiet"), {&q.sender}).has_ok());
  loop_.settle();
  EXPECT_TRUE(c.pushes.empty());
}

TEST_F(CommandHandlerTest, DelEndsTheSubscriberAndForgetsTheQueue) {
  auto& owner = connect();
  auto& subscriber = connect();
  QueueKeys q = create_secured(owner);
  ASSERT_TRUE(subscriber.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  EXPECT_EQ(error_of(owner.call(del_cmd(q.recv_id), {&q.sender})), pb::AUTH);
  ASSERT_TRUE(owner.call(del_cmd(q.recv_id), {&q.recipient}).has_ok());
  ASSERT_TRUE(subscriber.wait_pushes(1));
  EXPECT_TRUE(subscriber.pushes[0].has_end());
  EXPECT_EQ(error_of(owner.call(send_cmd(q.send_id, msg_id_str(1), "x"), {&q.sender})), pb::AUTH);
  EXPECT_EQ(error_of(owner.call(del_cmd(q.recv_id), {&q.recipient})), pb::AUTH);
}

TEST_F(CommandHandlerTest, BundlesHandOutEachOneTimeKeyOnce) {
  auto& owner = connect();
  auto& fetcher = connect();
  QueueKeys address = create(owner, true);
  QueueKeys plain = create(owner);
  pb::Command get;
  get.mutable_get_bundle()->set_send_id(address.send_id);
  EXPECT_EQ(error_of(fetcher.call(get)), pb::NOT_FOUND);

  pb::Command put;
  put.mutable_put_bundle()->set_recv_id(address.recv_id);
  put.mutable_put_bundle()->set_bundle("bundle-v1");
  put.mutable_put_bundle()->add_one_time_keys("otk-1");
  put.mutable_put_bundle()->add_one_time_keys("otk-2");
  auto answer = owner.call(put, {&address.recipient});
  ASSERT_TRUE(answer.has_ok()) << answer.DebugString();
  EXPECT_EQ(answer.ok().one_time_keys_left(), 2U);

  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    answer = fetcher.call(get);
    ASSERT_TRUE(answer.has_bundle());
    EXPECT_EQ(answer.bundle().bundle(), "bundle-v1");
    if (!answer.bundle().one_time_key().empty()) {
      EXPECT_TRUE(seen.insert(answer.bundle().one_time_key()).second);
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"otk-1", "otk-2"}));

  pb::Command wrong = put;
  wrong.mutable_put_bundle()->set_recv_id(plain.recv_id);
  EXPECT_EQ(error_of(owner.call(wrong, {&plain.recipient})), pb::NOT_ALLOWED);
  pb::Command big = put;
  big.mutable_put_bundle()->set_bundle(std::string(4097, 'b'));
  EXPECT_EQ(error_of(owner.call(big, {&address.recipient})), pb::TOO_LARGE);
  pb::Command big_key = put;
  big_key.mutable_put_bundle()->add_one_time_keys(std::string(257, 'k'));
  EXPECT_EQ(error_of(owner.call(big_key, {&address.recipient})), pb::TOO_LARGE);
  pb::Command many;
  many.mutable_put_bundle()->set_recv_id(address.recv_id);
  for (int i = 0; i < 101; ++i) many.mutable_put_bundle()->add_one_time_keys("k");
  EXPECT_EQ(error_of(owner.call(many, {&address.recipient})), pb::MALFORMED);
  // 1,000 stored per address at most.
  many.mutable_put_bundle()->clear_one_time_keys();
  for (int i = 0; i < 100; ++i)
    many.mutable_put_bundle()->add_one_time_keys("k" + std::to_string(i));
  for (int round = 0; round < 10; ++round) {
    ASSERT_TRUE(owner.call(many, {&address.recipient}).has_ok()) << round;
  }
  EXPECT_EQ(error_of(owner.call(many, {&address.recipient})), pb::QUOTA);
}

TEST_F(CommandHandlerTest, UnauthenticatedPathsAreRateLimited) {
  auto& owner = connect();
  auto& stranger = connect();
  QueueKeys address = create(owner, true);
  // 30 first contacts at once, then RATE_LIMITED with a wait.
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(stranger.call(send_cmd(address.send_id, msg_id_str(i), "hi")).has_ok()) << i;
  }
  auto answer = stranger.call(send_cmd(address.send_id, msg_id_str(99), "hi"));
  EXPECT_EQ(error_of(answer), pb::RATE_LIMITED);
  EXPECT_GT(answer.error().retry_after_ms(), 0U);
  monotonic_ms_ += 6001;  // 10 per minute
  EXPECT_TRUE(stranger.call(send_cmd(address.send_id, msg_id_str(99), "hi")).has_ok());

  pb::Command get;
  get.mutable_get_bundle()->set_send_id(address.send_id);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(error_of(stranger.call(get)), pb::NOT_FOUND) << i;
  EXPECT_EQ(error_of(stranger.call(get)), pb::RATE_LIMITED);
  EXPECT_GE(metrics_.rejects_rate.load(), 2U);
}

TEST_F(CommandHandlerTest, TheUnauthenticatedRatesAreTheConfiguredOnes) {
  RelayLimits limits;
  limits.first_contact_rate = 2;  // burst 6
  limits.bundle_rate = 3;         // burst 6
  make_core(limits);
  auto& owner = connect();
  auto& stranger = connect();
  QueueKeys address = create(owner, true);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(stranger.call(send_cmd(address.send_id, msg_id_str(i), "hi")).has_ok()) << i;
  }
  EXPECT_EQ(error_of(stranger.call(send_cmd(address.send_id, msg_id_str(99), "hi"))),
            pb::RATE_LIMITED);
  pb::Command get;
  get.mutable_get_bundle()->set_send_id(address.send_id);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(error_of(stranger.call(get)), pb::NOT_FOUND) << i;
  EXPECT_EQ(error_of(stranger.call(get)), pb::RATE_LIMITED);
  monotonic_ms_ += 20'001;  // 3 per minute: one more
  EXPECT_EQ(error_of(stranger.call(get)), pb::NOT_FOUND);
  EXPECT_EQ(error_of(stranger.call(get)), pb::RATE_LIMITED);
}

TEST_F(CommandHandlerTest, CommandRateLimitAndRefusalsClose) {
  RelayLimits limits;
  limits.rate = 5;  // burst 10
  make_core(limits);
  auto& c = connect();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(c.call(ping_cmd()).has_pong()) << i;
  auto answer = c.call(ping_cmd());
  EXPECT_EQ(error_of(answer), pb::RATE_LIMITED);
  EXPECT_GT(answer.error().retry_after_ms(), 0U);
  monotonic_ms_ += 200;  // one token
  EXPECT_TRUE(c.call(ping_cmd()).has_pong());
  for (int i = 0; i < 99; ++i) EXPECT_EQ(error_of(c.call(ping_cmd())), pb::RATE_LIMITED);
  EXPECT_FALSE(c.close_code);
  EXPECT_EQ(error_of(c.call(ping_cmd())), pb::RATE_LIMITED);
  ASSERT_TRUE(c.close_code);
  EXPECT_EQ(*c.close_code, CloseCode::PolicyViolation);
}

// The first ACK of each message pushed on a connection takes no token from its command
// bucket (relay-protocol.md §6), so a recipient acks a backlog larger than the burst at once.
TEST_F(CommandHandlerTest, AcksOfPushedMessagesCostNoCommandToken) {
  RelayLimits limits;
  limits.rate = 10;  // burst 20
  make_core(limits);
  auto& sender = connect();
  auto& recipient = connect();
  const QueueKeys q = create_secured(recipient);
  constexpr int kMessages = 50;  // more than the burst, less than the push window
  for (int i = 1; i <= kMessages; ++i) {
    if (i % 20 == 0) monotonic_ms_ += 2000;  // the sender's bucket refills
    ASSERT_TRUE(sender.call(send_cmd(q.send_id, msg_id_str(i), "m"), {&q.sender}).has_ok()) << i;
  }
  monotonic_ms_ += 2000;  // both buckets full: 20 tokens
  ASSERT_TRUE(recipient.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());  // 19 left
  ASSERT_TRUE(recipient.wait_pushes(kMessages));
  std::vector<std::uint64_t> acks;
  for (const auto& push : recipient.pushes) {
    ASSERT_TRUE(push.has_msg());
    acks.push_back(recipient.send(ack_cmd(q.recv_id, push.msg().msg_id()), {&q.recipient}));
  }
  for (const std::uint64_t ack : acks) {
    const auto answer = recipient.wait(ack);
    EXPECT_TRUE(answer.has_ok()) << answer.DebugString();
  }
  EXPECT_EQ(metrics_.rejects_rate.load(), 0U);
  EXPECT_EQ(metrics_.messages_delivered.load(), static_cast<std::uint64_t>(kMessages));
  EXPECT_EQ(metrics_.acks_free.load(), static_cast<std::uint64_t>(kMessages));
  // The acks took nothing: the SUB's 19 tokens are all still there, and no more.
  for (int i = 0; i < 19; ++i) EXPECT_TRUE(recipient.call(ping_cmd()).has_pong()) << i;
  EXPECT_EQ(error_of(recipient.call(ping_cmd())), pb::RATE_LIMITED);
  EXPECT_FALSE(recipient.close_code);
}

// Every other ACK costs a token like any command: of a msg_id never pushed, a repeat of one
// acked already, on a queue not subscribed on this connection, and a second ACK of a pushed
// message after a first one with a wrong tag used its free pass up.
TEST_F(CommandHandlerTest, AcksOfAnythingElseCostACommandToken) {
  RelayLimits limits;
  limits.rate = 10;  // burst 20
  make_core(limits);
  auto& c = connect();
  const QueueKeys q = create_secured(c);
  const QueueKeys other = create_secured(c);
  for (int i = 1; i <= 2; ++i) {
    ASSERT_TRUE(c.call(send_cmd(q.send_id, msg_id_str(i), "m"), {&q.sender}).has_ok());
    ASSERT_TRUE(c.call(send_cmd(other.send_id, msg_id_str(i), "m"), {&other.sender}).has_ok());
  }
  ASSERT_TRUE(c.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  ASSERT_TRUE(c.wait_pushes(2));
  loop_.settle();
  ASSERT_EQ(c.pushes.size(), 2U);
  monotonic_ms_ += 2000;                                                // 20 tokens
  EXPECT_TRUE(c.call(ack_cmd(q.recv_id, 1), {&q.recipient}).has_ok());  // free
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(c.call(ack_cmd(q.recv_id, 1), {&q.recipient}).has_ok()) << "repeat " << i;
    EXPECT_TRUE(c.call(ack_cmd(q.recv_id, 999), {&q.recipient}).has_ok()) << "unknown " << i;
    EXPECT_TRUE(
        c.call(ack_cmd(other.recv_id, 1 + static_cast<std::uint64_t>(i % 2)), {&other.recipient})
            .has_ok())
        << "not subscribed here " << i;
  }
  // A wrong tag: AUTH, and the push's free pass is gone (it costs nothing this once).
  EXPECT_EQ(error_of(c.call(ack_cmd(q.recv_id, 2), {&q.sender})), pb::AUTH);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(error_of(c.call(ack_cmd(q.recv_id, 2), {&q.sender})), pb::AUTH) << i;
  }
  // 15 + 4 tokens taken: one left, for the right ACK of message 2, then none.
  EXPECT_TRUE(c.call(ack_cmd(q.recv_id, 2), {&q.recipient}).has_ok());
  EXPECT_EQ(metrics_.rejects_rate.load(), 0U);
  const auto refused = c.call(ack_cmd(q.recv_id, 2), {&q.recipient});
  EXPECT_EQ(error_of(refused), pb::RATE_LIMITED);
  EXPECT_GT(refused.error().retry_after_ms(), 0U);
  EXPECT_EQ(error_of(c.call(ack_cmd(q.recv_id, 999), {&q.recipient})), pb::RATE_LIMITED);
  EXPECT_EQ(metrics_.acks_free.load(), 2U);  // message 1's first ACK, message 2's wrong one
}

// A connection's SENDs to one queue are stored in the order written even when one of them is
// refused for a transient reason (relay-protocol.md §5, "Held behind a refusal"): those written
// after it are refused with its code and retry_after, tokens or not, until its retry comes.
TEST_F(CommandHandlerTest, SendsBehindARefusedOneAreHeldUntilItsRetry) {
  RelayLimits limits;
  limits.rate = 5;  // burst 10
  make_core(limits);
  auto& recipient = connect();
  const QueueKeys q = create_secured(recipient);
  const QueueKeys other = create_secured(recipient);
  auto& sender = connect();
  auto send = [&](int i) {
    std::uint64_t id = 0;
    return std::pair{
        sender.frame(send_cmd(q.send_id, msg_id_str(i), "m" + std::to_string(i)), {&q.sender}, &id),
        id};
  };
  // Messages 1-10 take the burst; 11 (k) is refused by the command rate.
  std::vector<std::string> batch;
  std::vector<std::uint64_t> ids;
  for (int i = 1; i <= 11; ++i) {
    auto [frame, id] = send(i);
    batch.push_back(frame);
    ids.push_back(id);
  }
  sender.send_batch(batch);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_TRUE(sender.wait(ids[i]).has_ok()) << i + 1;
  const auto refused = sender.wait(ids[10]);
  ASSERT_EQ(error_of(refused), pb::RATE_LIMITED);
  ASSERT_GT(refused.error().retry_after_ms(), 0U);

  // Tokens again; 12-16, a PING and a SEND to another queue written behind k: the SENDs to k's
  // queue are held, the rest is not.
  monotonic_ms_ += 2000;  // 10 tokens
  batch.clear();
  ids.clear();
  std::uint64_t ping = 0;
  std::uint64_t elsewhere = 0;
  for (int i = 12; i <= 16; ++i) {
    auto [frame, id] = send(i);
    batch.push_back(frame);
    ids.push_back(id);
    if (i == 13) batch.push_back(sender.frame(ping_cmd(), {}, &ping));
  }
  batch.push_back(
      sender.frame(send_cmd(other.send_id, msg_id_str(1), "x"), {&other.sender}, &elsewhere));
  sender.send_batch(batch);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto held = sender.wait(ids[i]);
    EXPECT_EQ(error_of(held), pb::RATE_LIMITED) << i + 12;
    EXPECT_EQ(held.error().retry_after_ms(), refused.error().retry_after_ms()) << i + 12;
  }
  EXPECT_TRUE(sender.wait(ping).has_pong());
  EXPECT_TRUE(sender.wait(elsewhere).has_ok());
  EXPECT_EQ(metrics_.sends_held.load(), 5U);
  EXPECT_EQ(metrics_.rejects_rate.load(), 6U);  // k, and the held ones like it

  // The retry of 11 lifts the hold; 12-16 written right behind it are stored after it.
  monotonic_ms_ += 2000;
  batch.clear();
  ids.clear();
  for (int i = 11; i <= 16; ++i) {
    auto [frame, id] = send(i);
    batch.push_back(frame);
    ids.push_back(id);
  }
  sender.send_batch(batch);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto answer = sender.wait(ids[i]);
    EXPECT_TRUE(answer.has_ok()) << i + 11 << " " << answer.DebugString();
    EXPECT_FALSE(answer.ok().duplicate()) << i + 11;
  }
  EXPECT_EQ(metrics_.sends_held.load(), 5U);

  ASSERT_TRUE(recipient.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  ASSERT_TRUE(recipient.wait_pushes(16));
  loop_.settle();
  ASSERT_EQ(recipient.pushes.size(), 16U);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(recipient.pushes[static_cast<std::size_t>(i)].msg().body(),
              "m" + std::to_string(i + 1));
  }
}

// Holds belong to a connection: another one (the same client after a reconnect) is not held,
// and the held connection stays held.
TEST_F(CommandHandlerTest, ANewConnectionIsNotHeld) {
  RelayLimits limits;
  limits.rate = 1;  // burst 2
  make_core(limits);
  auto& recipient = connect();
  const QueueKeys q = create_secured(recipient);
  monotonic_ms_ += 2000;
  auto& sender = connect();
  for (int i = 1; i <= 2; ++i) {
    ASSERT_TRUE(sender.call(send_cmd(q.send_id, msg_id_str(i), "m"), {&q.sender}).has_ok());
  }
  EXPECT_EQ(error_of(sender.call(send_cmd(q.send_id, msg_id_str(3), "m"), {&q.sender})),
            pb::RATE_LIMITED);
  monotonic_ms_ += 2000;
  auto& again = connect();
  EXPECT_TRUE(again.call(send_cmd(q.send_id, msg_id_str(4), "m"), {&q.sender}).has_ok());
  EXPECT_EQ(error_of(sender.call(send_cmd(q.send_id, msg_id_str(5), "m"), {&q.sender})),
            pb::RATE_LIMITED);
  EXPECT_EQ(metrics_.sends_held.load(), 1U);
  EXPECT_TRUE(sender.call(send_cmd(q.send_id, msg_id_str(3), "m"), {&q.sender}).has_ok());
}

// A refusal decided at the ordered stage holds too: the first-contact rate of an address queue.
TEST_F(CommandHandlerTest, AFirstContactRateRefusalHoldsTheQueue) {
  RelayLimits limits;
  limits.first_contact_rate = 1;  // per minute, burst 3
  make_core(limits);
  auto& owner = connect();
  auto& stranger = connect();
  const QueueKeys address = create(owner, true);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(stranger.call(send_cmd(address.send_id, msg_id_str(i), "hi")).has_ok()) << i;
  }
  const auto refused = stranger.call(send_cmd(address.send_id, msg_id_str(4), "hi"));
  ASSERT_EQ(error_of(refused), pb::RATE_LIMITED);
  monotonic_ms_ += 60'001;  // one first contact again
  const auto held = stranger.call(send_cmd(address.send_id, msg_id_str(5), "hi"));
  EXPECT_EQ(error_of(held), pb::RATE_LIMITED);
  EXPECT_EQ(held.error().retry_after_ms(), refused.error().retry_after_ms());
  EXPECT_EQ(metrics_.sends_held.load(), 1U);
  EXPECT_TRUE(stranger.call(send_cmd(address.send_id, msg_id_str(4), "hi")).has_ok());
  monotonic_ms_ += 60'001;
  EXPECT_TRUE(stranger.call(send_cmd(address.send_id, msg_id_str(5), "hi")).has_ok());
}

// A connection holds at most max_send_holds queues; a refusal on one more holds nothing.
TEST_F(CommandHandlerTest, HoldsAreBoundedPerConnection) {
  RelayLimits limits;
  limits.rate = 1;  // burst 2
  limits.max_send_holds = 1;
  make_core(limits);
  auto& owner = connect();
  const QueueKeys a = create_secured(owner);
  monotonic_ms_ += 2000;
  const QueueKeys b = create_secured(owner);
  auto& c = connect();
  EXPECT_TRUE(c.call(send_cmd(a.send_id, msg_id_str(1), "m"), {&a.sender}).has_ok());
  EXPECT_TRUE(c.call(send_cmd(b.send_id, msg_id_str(1), "m"), {&b.sender}).has_ok());
  EXPECT_EQ(error_of(c.call(send_cmd(a.send_id, msg_id_str(2), "m"), {&a.sender})),
            pb::RATE_LIMITED);
  EXPECT_EQ(error_of(c.call(send_cmd(b.send_id, msg_id_str(2), "m"), {&b.sender})),
            pb::RATE_LIMITED);
  monotonic_ms_ += 2000;
  EXPECT_TRUE(c.call(send_cmd(b.send_id, msg_id_str(3), "m"), {&b.sender}).has_ok());
  EXPECT_EQ(error_of(c.call(send_cmd(a.send_id, msg_id_str(3), "m"), {&a.sender})),
            pb::RATE_LIMITED);
  EXPECT_EQ(metrics_.sends_held.load(), 1U);
}

// A SEND refused for good (the client drops it) holds nothing behind it.
TEST_F(CommandHandlerTest, PermanentRefusalsDoNotHold) {
  auto& c = connect();
  const QueueKeys q = create_secured(c);
  const std::string too_large(wire::kMaxBodyBytes + 1, 'b');
  EXPECT_EQ(error_of(c.call(send_cmd(q.send_id, msg_id_str(1), too_large), {&q.sender})),
            pb::TOO_LARGE);
  EXPECT_TRUE(c.call(send_cmd(q.send_id, msg_id_str(2), "m"), {&q.sender}).has_ok());
  EXPECT_EQ(error_of(c.call(send_cmd(q.send_id, msg_id_str(3), "m"), {&q.recipient})), pb::AUTH);
  EXPECT_TRUE(c.call(send_cmd(q.send_id, msg_id_str(4), "m"), {&q.sender}).has_ok());
  EXPECT_EQ(error_of(c.call(send_cmd(std::string(16, 'u'), msg_id_str(5), "m"), {&q.sender})),
            pb::AUTH);
  EXPECT_EQ(error_of(c.call(send_cmd(std::string(16, 'u'), msg_id_str(6), "m"), {&q.sender})),
            pb::AUTH);  // not RATE_LIMITED or anything else held over from the first
  EXPECT_EQ(metrics_.sends_held.load(), 0U);
}

// BUSY holds the queue, but only for SENDs written after the refused one: those already in
// flight ahead of it are stored as usual.
TEST_F(CommandHandlerTest, BusyHoldsOnlyTheSendsWrittenAfterIt) {
  auto& owner = connect();
  const QueueKeys q = create_secured(owner);
  RelayLimits limits;
  limits.max_in_flight = 3;
  std::vector<Task> parked;  // the store pool runs only when the test says: lookups wait
  connections_.clear();
  core_ = std::make_unique<RelayCore>(
      *store_, clock_, metrics_, limits,
      [&parked](std::uint64_t, Task task) { parked.push_back(task); }, rng_,
      [this] { return monotonic_ms_; });
  auto& c = connect();
  std::vector<std::uint64_t> ids;
  for (int i = 1; i <= 4; ++i) {
    ids.push_back(c.send(send_cmd(q.send_id, msg_id_str(i), "m" + std::to_string(i)), {&q.sender}));
  }
  ASSERT_TRUE(c.answers.contains(ids[3]));
  EXPECT_EQ(error_of(c.answers[ids[3]]), pb::BUSY);
  for (auto& task : parked) task();
  parked.clear();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.wait(ids[static_cast<std::size_t>(i)]).has_ok()) << i;
  const auto held = c.call(send_cmd(q.send_id, msg_id_str(5), "m5"), {&q.sender});
  EXPECT_EQ(error_of(held), pb::BUSY);
  EXPECT_EQ(held.error().retry_after_ms(), 10U);
  EXPECT_EQ(metrics_.sends_held.load(), 1U);
  EXPECT_TRUE(c.call(send_cmd(q.send_id, msg_id_str(4), "m4"), {&q.sender}).has_ok());
  EXPECT_TRUE(c.call(send_cmd(q.send_id, msg_id_str(5), "m5"), {&q.sender}).has_ok());
  EXPECT_TRUE(parked.empty());
}

TEST_F(CommandHandlerTest, CommandsCapturedOnOneConnectionFailOnAnother) {
  auto& a = connect();
  auto& b = connect();
  QueueKeys q = create_secured(a);
  pb::ClientFrame frame;
  frame.set_request_id(500);
  frame.set_command(del_cmd(q.recv_id).SerializeAsString());
  frame.add_authenticators(
      str(wire::authenticate(a.key_for(q.recipient), 500, as_bytes(frame.command()))));
  b.send_raw(frame.SerializeAsString());
  EXPECT_EQ(error_of(b.wait(500)), pb::AUTH);
  // The same frame with another request id fails on its own connection, too.
  frame.set_request_id(501);
  a.send_raw(frame.SerializeAsString());
  EXPECT_EQ(error_of(a.wait(501)), pb::AUTH);
  frame.set_request_id(500);
  a.send_raw(frame.SerializeAsString());
  EXPECT_TRUE(a.wait(500).has_ok());
}

TEST_F(CommandHandlerTest, BusyAboveCommandsInFlight) {
  RelayLimits limits;
  limits.max_in_flight = 3;
  // The store pool never runs: every lookup stays in flight.
  std::vector<Task> parked;
  connections_.clear();
  core_ = std::make_unique<RelayCore>(
      *store_, clock_, metrics_, limits,
      [&parked](std::uint64_t, Task task) { parked.push_back(task); }, rng_,
      [this] { return monotonic_ms_; });
  auto& c = connect();
  for (int i = 0; i < 3; ++i) c.send(del_cmd(std::string(16, 'd')), {});
  EXPECT_TRUE(c.answers.empty());
  EXPECT_EQ(c.session->in_flight(), 3U);
  const auto id = c.send(ping_cmd());
  ASSERT_TRUE(c.answers.contains(id));
  EXPECT_EQ(error_of(c.answers[id]), pb::BUSY);
  for (auto& task : parked) task();
  loop_.settle();
  EXPECT_EQ(c.answers.size(), 4U);
  EXPECT_EQ(c.session->in_flight(), 0U);
}

TEST_F(CommandHandlerTest, ShuttingDownRefusesNewCommands) {
  auto& c = connect();
  QueueKeys q = create_secured(c);
  core_->begin_shutdown();
  EXPECT_EQ(error_of(c.call(ping_cmd())), pb::SHUTTING_DOWN);
  EXPECT_EQ(error_of(c.call(send_cmd(q.send_id, msg_id_str(1), "late"), {&q.sender})),
            pb::SHUTTING_DOWN);
}

TEST_F(CommandHandlerTest, ClosedSessionIsForgotten) {
  auto& a = connect();
  auto& sender = connect();
  QueueKeys q = create_secured(a);
  ASSERT_TRUE(a.call(sub_cmd({q.recv_id}), {&q.recipient}).has_ok());
  a.session->close();
  EXPECT_FALSE(core_->registry().find(wire::exact<16>(as_bytes(q.recv_id)).value()));
  EXPECT_TRUE(sender.call(send_cmd(q.send_id, msg_id_str(1), "stored"), {&q.sender}).has_ok());
  loop_.settle();
  EXPECT_TRUE(a.pushes.empty());
}

}  // namespace
}  // namespace exile::relay
