// The relay's error answers as the relay client reports them: relay.proto's codes become
// ErrorCode 400-411 (docs/architecture.md, "Errors"), and an Error keeps the answer's details
// (retry_after, index).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"
#include "relay.pb.h"
#include "relay/client/detail/relay_codec.h"

namespace exile::relay::client {
namespace {

using namespace std::chrono_literals;

TEST(RelayErrorCodes, EveryRelayCodeHasItsPlaceIn4xx) {
  const std::pair<pb::ErrorCode, ErrorCode> expected[] = {
      {pb::MALFORMED, ErrorCode::RelayMalformed},
      {pb::UNKNOWN_COMMAND, ErrorCode::RelayUnknownCommand},
      {pb::AUTH, ErrorCode::RelayAuth},
      {pb::NOT_ALLOWED, ErrorCode::RelayNotAllowed},
      {pb::ALREADY_SECURED, ErrorCode::RelayAlreadySecured},
      {pb::QUOTA, ErrorCode::RelayQuota},
      {pb::RATE_LIMITED, ErrorCode::RelayRateLimited},
      {pb::TOO_LARGE, ErrorCode::RelayTooLarge},
      {pb::NOT_FOUND, ErrorCode::RelayNotFound},
      {pb::INTERNAL, ErrorCode::RelayInternal},
      {pb::SHUTTING_DOWN, ErrorCode::RelayShuttingDown},
      {pb::BUSY, ErrorCode::RelayBusy},
  };
  for (const auto& [wire_code, code] : expected) {
    const Error error = detail::error_of({static_cast<std::uint32_t>(wire_code), 0, 0});
    EXPECT_EQ(error.code, code) << pb::ErrorCode_Name(wire_code);
    const auto number = static_cast<unsigned>(error.code);
    EXPECT_GE(number, 400u);
    EXPECT_LT(number, 500u);
    EXPECT_FALSE(error.retry_after.has_value());
    EXPECT_NE(to_string(error.code), "unknown error");
    EXPECT_TRUE(detail::is_relay_answer(error.code));
  }
}

TEST(RelayErrorCodes, UnknownCodesAreRelayUnknownError) {
  // 13 itself would land on 412 by arithmetic too: the codes above it tell a wider range apart.
  std::vector<std::uint32_t> unknown = {0u, 0xFFFFFFFFu};
  for (std::uint32_t wire_code = 13; wire_code <= 1000; ++wire_code) unknown.push_back(wire_code);
  for (std::uint32_t wire_code : unknown) {
    EXPECT_EQ(detail::error_of({wire_code, 0, 0}).code, ErrorCode::RelayUnknownError) << wire_code;
  }
  EXPECT_TRUE(detail::is_relay_answer(ErrorCode::RelayUnknownError));
}

TEST(RelayErrorCodes, RetryAfterAndIndexTravelWithTheError) {
  pb::ServerBatch batch;
  auto* frame = batch.add_frames();
  frame->set_request_id(7);
  frame->mutable_error()->set_code(pb::RATE_LIMITED);
  frame->mutable_error()->set_index(3);
  frame->mutable_error()->set_retry_after_ms(1500);
  const std::string bytes = batch.SerializeAsString();

  auto decoded = detail::decode_server_batch(
      ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  auto* frames = std::get_if<std::vector<detail::ServerFrame>>(&decoded);
  ASSERT_NE(frames, nullptr);
  ASSERT_EQ(frames->size(), 1u);
  auto* reply = std::get_if<detail::Reply>(&frames->front().body);
  ASSERT_NE(reply, nullptr);
  auto* refusal = std::get_if<detail::ErrorReply>(reply);
  ASSERT_NE(refusal, nullptr);

  const Error error = detail::error_of(*refusal);
  EXPECT_EQ(error.code, ErrorCode::RelayRateLimited);
  EXPECT_EQ(static_cast<unsigned>(error.code), 406u);
  ASSERT_TRUE(error.retry_after.has_value());
  EXPECT_EQ(*error.retry_after, 1500ms);
  EXPECT_EQ(error.index, 3u);
  // The message is the code's description: no ids, no bodies.
  EXPECT_EQ(error.message, to_string(ErrorCode::RelayRateLimited));
}

TEST(RelayErrorCodes, ClientSideCodesAreIn45x) {
  for (ErrorCode code :
       {ErrorCode::RelayTimeout, ErrorCode::RelayConnectionLost, ErrorCode::RelayStopped,
        ErrorCode::RelayNotSubscribed, ErrorCode::RelayProtocolViolation,
        ErrorCode::RelayUnsupportedVersion, ErrorCode::RelayInsecureUrl, ErrorCode::RelayInvalidUrl,
        ErrorCode::RelayConnectFailed, ErrorCode::RelayTlsFailed}) {
    const auto number = static_cast<unsigned>(code);
    EXPECT_GE(number, 450u);
    EXPECT_LT(number, 460u);
    EXPECT_NE(to_string(code), "unknown error") << number;
    EXPECT_FALSE(Error(code).retry_after.has_value());
    // What the client saw itself is never taken for the relay's refusal.
    EXPECT_FALSE(detail::is_relay_answer(code)) << number;
  }
  EXPECT_FALSE(detail::is_relay_answer(ErrorCode::InvalidArgument));
}

}  // namespace
}  // namespace exile::relay::client
