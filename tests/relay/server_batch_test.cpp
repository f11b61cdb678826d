// relay/detail/server_batch.h: a batch built by concatenating serialized ServerFrames is the
// ServerBatch the generated code would write, and parses back to the same frames. And the
// relay (a real process) does pack the frames one handler produces into one message.
#include "relay/detail/server_batch.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
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
    detail::append_server_batch_frame(batch, bytes);
    EXPECT_EQ(batch.size() - before, detail::server_batch_record_bytes(bytes.size()));
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

TEST(ServerBatchTest, OneFrameIsABatchOfOne) {
  const std::string frame = ok_frame(7).SerializeAsString();
  std::string batch;
  detail::append_server_batch_frame(batch, frame);
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
  EXPECT_EQ(detail::server_batch_prefix_bytes(0), 2u);
  EXPECT_EQ(detail::server_batch_prefix_bytes(127), 2u);
  EXPECT_EQ(detail::server_batch_prefix_bytes(128), 3u);
  EXPECT_EQ(detail::server_batch_prefix_bytes(16383), 3u);
  EXPECT_EQ(detail::server_batch_prefix_bytes(16384), 4u);
  EXPECT_EQ(detail::server_batch_prefix_bytes(wire::kMaxServerMessageBytes), 4u);
  // The largest frame the relay sends fits in one message on its own.
  static_assert(detail::server_batch_record_bytes(wire::kMaxFrameBytes) <=
                wire::kMaxServerMessageBytes);
}

// A SUB's backlog is read from the store in one read and pushed by one handler: its Msgs (and
// the SUB's Ok, unless its write is already under way) share messages, in order.
TEST(ServerBatchProcessTest, BacklogPushesShareMessages) {
  test::TempDir temp("exile-batch-test");
  const std::filesystem::path& dir = temp.path();
  test::RelayProcess::Options options;
  options.data_dir = dir / "data";
  test::RelayProcess relay(std::move(options));
  ASSERT_TRUE(relay.start()) << relay.error();

  test::RelayClient client;
  ASSERT_TRUE(client.connect(relay.port())) << client.error();
  test::TestQueue q;
  ASSERT_TRUE(client.create_queue(q)) << client.error();
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

  client.close();
  EXPECT_EQ(relay.stop(), 0);
}

}  // namespace
}  // namespace exile::relay
