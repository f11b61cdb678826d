// relay/wire/batch.h: a batch built by concatenating serialized frames is the ServerBatch or
// ClientBatch the generated code would write, parses back to the same frames, and BatchReader
// walks it back into the same frames. And the relay (a real process) packs the frames one
// handler produces into one message, and answers a client's batch frame by frame.
#include "relay/wire/batch.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "relay.pb.h"
#include "relay/support/relay_client.h"
#include "relay/wire/wire.h"
#include "support/relay_process.h"
#include "support/temp_dir.h"

namespace exile::relay {
namespace {

pb::ServerFrame ok_frame(std::uint64_t request_id) {
  pb::ServerFrame frame;
  frame.set_request_id(request_id);
  frame.mutable_ok();
  return frame;
}

pb::ServerFrame msg_frame(std::uint64_t msg_id, std::size_t body_bytes) {
  pb::ServerFrame frame;
  auto* msg = frame.mutable_msg();
  msg->set_recv_id(std::string(wire::kQueueIdBytes, '\x03'));
  msg->set_msg_id(msg_id);
  msg->set_timestamp(1764000000000);
  msg->set_body(std::string(body_bytes, static_cast<char>(msg_id)));
  return frame;
}

TEST(ServerBatchTest, ConcatenatedFramesParseAsTheSameBatch) {
  // Bodies around the varint boundaries of the frame length (1, 2 and 3 bytes), and the
  // largest body the protocol allows.
  std::vector<pb::ServerFrame> frames = {ok_frame(1),
                                         msg_frame(1, 0),
                                         msg_frame(2, 90),
                                         msg_frame(3, 120),
                                         msg_frame(4, 16300),
                                         msg_frame(5, 16400),
                                         msg_frame(6, wire::kMaxBodyBytes),
                                         ok_frame(std::uint64_t{1} << 40)};
  pb::Error* error = frames.emplace_back().mutable_error();
  error->set_code(pb::RATE_LIMITED);
  error->set_retry_after_ms(250);
  frames.back().set_request_id(9);

  std::string batch;
  pb::ServerBatch expected;
  for (const auto& frame : frames) {
    const std::string bytes = frame.SerializeAsString();
    const std::size_t before = batch.size();
    wire::append_batch_record(batch, bytes);
    EXPECT_EQ(batch.size() - before, wire::batch_record_bytes(bytes.size()));
    *expected.add_frames() = frame;
  }

  pb::ServerBatch parsed;
  ASSERT_TRUE(parsed.ParseFromString(batch));
  ASSERT_EQ(parsed.frames_size(), static_cast<int>(frames.size()));
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(parsed.frames(static_cast<int>(i)).SerializeAsString(), frames[i].SerializeAsString())
        << "frame " << i;
  }
  EXPECT_EQ(batch, expected.SerializeAsString());
}

TEST(ClientBatchTest, ConcatenatedFramesParseAsTheSameBatchAndReadBack) {
  std::vector<std::string> frames;
  pb::ClientBatch expected;
  for (std::size_t body :
       {std::size_t{0}, std::size_t{100}, std::size_t{16400}, wire::kMaxBodyBytes}) {
    pb::Command command;
    command.mutable_send()->set_send_id(std::string(wire::kQueueIdBytes, '\x01'));
    command.mutable_send()->set_client_msg_id(std::string(kClientMessageIdBytes, '\x02'));
    command.mutable_send()->set_body(std::string(body, 'b'));
    pb::ClientFrame* frame = expected.add_frames();
    frame->set_request_id(body + 1);
    frame->set_command(command.SerializeAsString());
    frame->add_authenticators(std::string(wire::kAuthenticatorBytes, '\x03'));
    frames.push_back(frame->SerializeAsString());
  }
  std::string batch;
  for (const auto& frame : frames) wire::append_batch_record(batch, frame);
  EXPECT_EQ(batch, expected.SerializeAsString());

  wire::BatchReader reader(as_bytes(batch));
  for (const auto& frame : frames) {
    const auto next = reader.next();
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(next->data()), next->size()), frame);
  }
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_FALSE(reader.malformed());
}

TEST(ClientBatchTest, TheReaderStopsAtTheFirstBadRecord) {
  std::string good;
  wire::append_batch_record(good, "abc");
  struct Case {
    std::string bytes;
    int frames_before;  // records read before the bad one
    bool malformed;
  };
  const std::vector<Case> cases = {
      {"", 0, false},
      {good, 1, false},
      {good + good, 2, false},
      {good + "\x08\x01", 1, true},  // another field's tag
      {good + "\x0a", 1, true},      // no length
      {good + "\x0a\x80", 1, true},  // a length cut short
      {good + "\x0a\x04"
              "abc",
       1, true},                                               // a length past the end
      {"\x0a\x80\x80\x80\x80\x80\x01", 0, true},               // 6 bytes of varint
      {std::string("\x0a\x80\x80\x80\x80\x00", 6), 1, false},  // 5 bytes: an empty frame
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.bytes));
    wire::BatchReader reader(as_bytes(c.bytes));
    int frames = 0;
    while (reader.next()) ++frames;
    EXPECT_EQ(frames, c.frames_before);
    EXPECT_EQ(reader.malformed(), c.malformed);
    EXPECT_FALSE(reader.next().has_value());  // and it stays stopped
  }
}

TEST(ClientBatchTest, RoomIsCountedInFramesAndBytes) {
  EXPECT_TRUE(wire::client_batch_has_room(0, 0, wire::kMaxFrameBytes));  // one always fits
  EXPECT_TRUE(wire::client_batch_has_room(0, wire::kMaxClientBatchFrames - 1, 10));
  EXPECT_FALSE(wire::client_batch_has_room(0, wire::kMaxClientBatchFrames, 10));
  const std::size_t full = wire::kMaxClientMessageBytes - wire::batch_record_bytes(100);
  EXPECT_TRUE(wire::client_batch_has_room(full, 1, 100));
  EXPECT_FALSE(wire::client_batch_has_room(full + 1, 1, 100));
}

TEST(ServerBatchTest, OneFrameIsABatchOfOne) {
  const std::string frame = ok_frame(7).SerializeAsString();
  std::string batch;
  wire::append_batch_record(batch, frame);
  ASSERT_EQ(batch.size(), 2 + frame.size());
  EXPECT_EQ(batch[0], '\x0A');
  EXPECT_EQ(static_cast<std::size_t>(batch[1]), frame.size());

  pb::ServerBatch parsed;
  ASSERT_TRUE(parsed.ParseFromString(batch));
  ASSERT_EQ(parsed.frames_size(), 1);
  EXPECT_EQ(parsed.frames(0).request_id(), 7u);
  EXPECT_TRUE(parsed.frames(0).has_ok());
}

TEST(ServerBatchTest, PrefixSizes) {
  EXPECT_EQ(wire::batch_prefix_bytes(0), 2u);
  EXPECT_EQ(wire::batch_prefix_bytes(127), 2u);
  EXPECT_EQ(wire::batch_prefix_bytes(128), 3u);
  EXPECT_EQ(wire::batch_prefix_bytes(16383), 3u);
  EXPECT_EQ(wire::batch_prefix_bytes(16384), 4u);
  EXPECT_EQ(wire::batch_prefix_bytes(wire::kMaxServerMessageBytes), 4u);
  // The largest frame the relay sends fits in one message on its own.
  static_assert(wire::batch_record_bytes(wire::kMaxFrameBytes) <= wire::kMaxServerMessageBytes);
}

// A relay process and a client connected to it, with a secured queue.
class BatchProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::RelayProcess::Options options;
    options.data_dir = temp_.path() / "data";
    relay_ = std::make_unique<test::RelayProcess>(std::move(options));
    ASSERT_TRUE(relay_->start()) << relay_->error();
    ASSERT_TRUE(client.connect(relay_->port())) << client.error();
    ASSERT_TRUE(client.create_queue(q)) << client.error();
  }
  void TearDown() override {
    client.close();
    EXPECT_EQ(relay_->stop(), 0);
  }

  test::RelayClient client;
  test::TestQueue q;

 private:
  test::TempDir temp_{"exile-batch-test"};
  std::unique_ptr<test::RelayProcess> relay_;
};

// A client's batch of commands is answered command by command, and a batch of pipelined SENDs
// is numbered in order.
TEST_F(BatchProcessTest, ABatchOfCommandsIsAnsweredFrameByFrame) {
  constexpr int kSends = 100;
  std::vector<std::string> frames;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < kSends; ++i) {
    pb::Command send;
    send.mutable_send()->set_send_id(q.send_id);
    send.mutable_send()->set_client_msg_id(test::random_id());
    send.mutable_send()->set_body("batched " + std::to_string(i));
    frames.push_back(client.build_frame(send, {&q.sender}, &ids.emplace_back()));
  }
  pb::Command ping;
  ping.mutable_ping();
  frames.push_back(client.build_frame(ping, {}, &ids.emplace_back()));
  ASSERT_TRUE(client.send_batch(frames)) << client.error();
  for (int i = 0; i < kSends; ++i) {
    const pb::ServerFrame ok = client.wait_response(ids[static_cast<std::size_t>(i)]);
    ASSERT_TRUE(ok.has_ok()) << test::describe(ok);
    EXPECT_FALSE(ok.ok().duplicate());
  }
  // How many messages the answers come in depends on how the writer's commits fall; it is
  // not asserted here (BacklogPushesShareMessages checks the packing, where it is determined).
  EXPECT_TRUE(client.wait_response(ids.back()).has_pong());

  ASSERT_TRUE(client.sub(q.recv_id, q.recipient).has_ok());
  for (int i = 0; i < kSends; ++i) {
    const auto push = client.next_push(std::chrono::seconds(10));
    ASSERT_TRUE(push.has_value() && push->has_msg()) << client.error();
    EXPECT_EQ(push->msg().msg_id(), static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(push->msg().body(), "batched " + std::to_string(i));
  }
}

// A SUB's backlog is read from the store in one read and pushed by one handler: its Msgs (and
// the SUB's Ok, unless its write is already under way) share messages, in order.
TEST_F(BatchProcessTest, BacklogPushesShareMessages) {
  constexpr std::uint64_t kMessages = 20;
  for (std::uint64_t i = 0; i < kMessages; ++i) {
    const pb::ServerFrame ok = client.send_to(q, test::random_id(), "message " + std::to_string(i));
    ASSERT_TRUE(ok.has_ok()) << test::describe(ok);
  }

  const std::size_t messages_before = client.messages_received();
  const std::size_t frames_before = client.frames_received();
  const pb::ServerFrame ok = client.sub(q.recv_id, q.recipient);
  ASSERT_TRUE(ok.has_ok()) << test::describe(ok);
  for (std::uint64_t i = 1; i <= kMessages; ++i) {
    const auto push = client.next_push(std::chrono::seconds(10));
    ASSERT_TRUE(push.has_value() && push->has_msg()) << client.error();
    EXPECT_EQ(push->msg().msg_id(), i);
  }
  const std::size_t messages = client.messages_received() - messages_before;
  const std::size_t frames = client.frames_received() - frames_before;
  EXPECT_EQ(frames, kMessages + 1);  // the Ok and the Msgs
  EXPECT_LE(messages, 3u) << frames << " frames came in " << messages << " messages";
}

}  // namespace
}  // namespace exile::relay
