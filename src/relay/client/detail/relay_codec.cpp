#include "relay/client/detail/relay_codec.h"

#include <limits>

#include "relay.pb.h"

namespace exile::relay::client::detail {
namespace {

namespace pb = relay::pb;
namespace wire = relay::wire;

template <std::size_t N>
std::string to_string(const std::array<std::uint8_t, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

std::string to_string(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

ByteView view_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Bytes bytes_of(const std::string& s) {
  const ByteView v = view_of(s);
  return {v.begin(), v.end()};
}

std::string serialize(const pb::Command& command) { return command.SerializeAsString(); }

// Fills `out` if `field` has exactly N bytes.
template <std::size_t N>
bool read_exact(const std::string& field, std::array<std::uint8_t, N>& out) {
  auto value = wire::exact<N>(view_of(field));
  if (!value) return false;
  out = *value;
  return true;
}

std::optional<Reply> decode_reply(const pb::ServerFrame& frame) {
  switch (frame.kind_case()) {
    case pb::ServerFrame::kOk:
      return OkReply{frame.ok().duplicate(), frame.ok().one_time_keys_left()};
    case pb::ServerFrame::kIds: {
      IdsReply ids;
      if (!read_exact(frame.ids().recv_id(), ids.recv_id) ||
          !read_exact(frame.ids().send_id(), ids.send_id)) {
        return std::nullopt;
      }
      return ids;
    }
    case pb::ServerFrame::kBundle:
      return BundleReply{bytes_of(frame.bundle().bundle()),
                         bytes_of(frame.bundle().one_time_key())};
    case pb::ServerFrame::kPong: return PongReply{};
    case pb::ServerFrame::kError:
      return ErrorReply{static_cast<std::uint32_t>(frame.error().code()), frame.error().index(),
                        frame.error().retry_after_ms()};
    default: return std::nullopt;
  }
}

}  // namespace

std::string encode_new_queue(const wire::PublicKey& recipient_key, bool contact_address) {
  pb::Command command;
  auto* body = command.mutable_new_queue();
  body->set_recipient_key(to_string(recipient_key));
  body->set_contact_address(contact_address);
  return serialize(command);
}

std::string encode_key(const wire::QueueId& recv_id, const wire::PublicKey& sender_key) {
  pb::Command command;
  auto* body = command.mutable_key();
  body->set_recv_id(to_string(recv_id));
  body->set_sender_key(to_string(sender_key));
  return serialize(command);
}

std::string encode_send(const wire::QueueId& send_id, const ClientMessageId& client_msg_id,
                        ByteView body) {
  pb::Command command;
  auto* send = command.mutable_send();
  send->set_send_id(to_string(send_id));
  send->set_client_msg_id(to_string(client_msg_id));
  send->set_body(to_string(body));
  return serialize(command);
}

std::string encode_sub(std::span<const wire::QueueId> recv_ids) {
  pb::Command command;
  auto* sub = command.mutable_sub();
  for (const auto& id : recv_ids) sub->add_recv_ids(to_string(id));
  return serialize(command);
}

std::string encode_unsub(const wire::QueueId& recv_id) {
  pb::Command command;
  command.mutable_unsub()->set_recv_id(to_string(recv_id));
  return serialize(command);
}

std::string encode_ack(const wire::QueueId& recv_id, std::uint64_t msg_id) {
  pb::Command command;
  auto* ack = command.mutable_ack();
  ack->set_recv_id(to_string(recv_id));
  ack->set_msg_id(msg_id);
  return serialize(command);
}

std::string encode_del(const wire::QueueId& recv_id) {
  pb::Command command;
  command.mutable_del()->set_recv_id(to_string(recv_id));
  return serialize(command);
}

std::string encode_put_bundle(const wire::QueueId& recv_id, ByteView bundle,
                              std::span<const Bytes> one_time_keys, bool replace_one_time_keys) {
  pb::Command command;
  auto* put = command.mutable_put_bundle();
  put->set_recv_id(to_string(recv_id));
  put->set_bundle(to_string(bundle));
  for (const auto& key : one_time_keys) put->add_one_time_keys(to_string(ByteView(key)));
  put->set_replace_one_time_keys(replace_one_time_keys);
  return serialize(command);
}

std::string encode_get_bundle(const wire::QueueId& send_id) {
  pb::Command command;
  command.mutable_get_bundle()->set_send_id(to_string(send_id));
  return serialize(command);
}

std::string encode_ping() {
  pb::Command command;
  command.mutable_ping();
  return serialize(command);
}

std::string encode_client_frame(std::uint64_t request_id, const std::string& command,
                                std::span<const wire::Authenticator> tags) {
  pb::ClientFrame frame;
  frame.set_request_id(request_id);
  frame.set_command(command);
  for (const auto& tag : tags) frame.add_authenticators(to_string(tag));
  return frame.SerializeAsString();
}

namespace {

std::variant<ServerFrame, DecodeFailure> decode_frame(const pb::ServerFrame& frame) {
  ServerFrame out;
  out.request_id = frame.request_id();
  switch (frame.kind_case()) {
    case pb::ServerFrame::kHello: {
      if (out.request_id != 0) return DecodeFailure::Malformed;
      const auto& hello = frame.hello();
      if (hello.version() != wire::kProtocolVersion) return DecodeFailure::UnsupportedVersion;
      HelloFrame h;
      if (!read_exact(hello.session_key(), h.session_key) ||
          !read_exact(hello.session_nonce(), h.session_nonce)) {
        return DecodeFailure::Malformed;
      }
      h.max_frame_bytes = hello.limits().max_frame_bytes();
      h.max_body_bytes = hello.limits().max_body_bytes();
      h.idle_timeout_seconds = hello.limits().idle_timeout_seconds();
      out.body = Push{h};
      return out;
    }
    case pb::ServerFrame::kMsg: {
      if (out.request_id != 0) return DecodeFailure::Malformed;
      MsgPush msg;
      if (!read_exact(frame.msg().recv_id(), msg.recv_id)) return DecodeFailure::Malformed;
      msg.msg_id = frame.msg().msg_id();
      msg.timestamp_ms = frame.msg().timestamp();
      msg.body = bytes_of(frame.msg().body());
      out.body = Push{std::move(msg)};
      return out;
    }
    case pb::ServerFrame::kEnd: {
      if (out.request_id != 0) return DecodeFailure::Malformed;
      EndPush end;
      if (!read_exact(frame.end().recv_id(), end.recv_id)) return DecodeFailure::Malformed;
      out.body = Push{end};
      return out;
    }
    default: break;
  }
  if (out.request_id == 0) return DecodeFailure::Malformed;
  auto reply = decode_reply(frame);
  if (!reply) return DecodeFailure::Malformed;
  out.body = std::move(*reply);
  return out;
}

}  // namespace

std::variant<std::vector<ServerFrame>, DecodeFailure> decode_server_batch(ByteView bytes) {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return DecodeFailure::Malformed;
  }
  pb::ServerBatch batch;
  if (!batch.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      batch.frames().empty()) {
    return DecodeFailure::Malformed;
  }
  std::vector<ServerFrame> frames;
  frames.reserve(static_cast<std::size_t>(batch.frames_size()));
  for (const pb::ServerFrame& frame : batch.frames()) {
    auto decoded = decode_frame(frame);
    if (auto* failure = std::get_if<DecodeFailure>(&decoded)) return *failure;
    frames.push_back(std::move(std::get<ServerFrame>(decoded)));
  }
  return frames;
}

Error error_of(const ErrorReply& reply) {
  static_assert(static_cast<std::uint16_t>(ErrorCode::RelayMalformed) == 400 &&
                static_cast<std::uint16_t>(ErrorCode::RelayBusy) == 411);
  Error error(reply.code >= 1 && reply.code <= 12 ? static_cast<ErrorCode>(399 + reply.code)
                                                  : ErrorCode::RelayUnknownError);
  error.index = reply.index;
  if (reply.retry_after_ms != 0)
    error.retry_after = std::chrono::milliseconds(reply.retry_after_ms);
  return error;
}

bool is_relay_answer(ErrorCode code) {
  const auto number = static_cast<std::uint16_t>(code);
  return number >= static_cast<std::uint16_t>(ErrorCode::RelayMalformed) &&
         number <= static_cast<std::uint16_t>(ErrorCode::RelayUnknownError);
}

}  // namespace exile::relay::client::detail
