// The client's encoder and decoder for proto/relay.proto (docs/relay-protocol.md §1, §4).
//
// Commands are serialized once and kept as bytes: the authenticators cover exactly those bytes
// (§3), and a retried SEND reuses them. The relay's messages are untrusted input and are parsed
// here only: each is a ServerBatch of one or more frames (§1), and decode_server_batch() checks
// every size the protocol fixes (ids 16, keys and nonce 32) and the placement of request ids
// (pushes carry 0, answers do not) in each of them, so the connection handles typed values and
// never a raw protobuf message.
#pragma once

#include <QByteArray>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "relay/wire/wire.h"

namespace exile::relay::client::detail {

// ---- commands -------------------------------------------------------------------------------

[[nodiscard]] std::string encode_new_queue(const relay::wire::PublicKey& recipient_key,
                                           bool contact_address);
[[nodiscard]] std::string encode_key(const relay::wire::QueueId& recv_id,
                                     const relay::wire::PublicKey& sender_key);
[[nodiscard]] std::string encode_send(const relay::wire::QueueId& send_id,
                                      const ClientMessageId& client_msg_id, ByteView body);
[[nodiscard]] std::string encode_sub(std::span<const relay::wire::QueueId> recv_ids);
[[nodiscard]] std::string encode_unsub(const relay::wire::QueueId& recv_id);
[[nodiscard]] std::string encode_ack(const relay::wire::QueueId& recv_id, std::uint64_t msg_id);
[[nodiscard]] std::string encode_del(const relay::wire::QueueId& recv_id);
[[nodiscard]] std::string encode_put_bundle(const relay::wire::QueueId& recv_id, ByteView bundle,
                                            std::span<const Bytes> one_time_keys,
                                            bool replace_one_time_keys);
[[nodiscard]] std::string encode_get_bundle(const relay::wire::QueueId& send_id);
[[nodiscard]] std::string encode_ping();

// One serialized ClientFrame: the command bytes and one authenticator per queue key, in order.
// It goes out as a record of a ClientBatch (relay/wire/batch.h).
[[nodiscard]] std::string encode_client_frame(std::uint64_t request_id, const std::string& command,
                                              std::span<const relay::wire::Authenticator> tags);

// ---- relay frames ---------------------------------------------------------------------------

struct HelloFrame {
  relay::wire::PublicKey session_key{};
  relay::wire::SessionNonce session_nonce{};
  std::uint32_t max_frame_bytes = 0;  // 0 where the relay left a limit out
  std::uint32_t max_body_bytes = 0;
  std::uint32_t idle_timeout_seconds = 0;
};
struct OkReply {
  bool duplicate = false;
  std::uint32_t one_time_keys_left = 0;
};
struct IdsReply {
  relay::wire::QueueId recv_id{};
  relay::wire::QueueId send_id{};
};
struct BundleReply {
  Bytes bundle;
  Bytes one_time_key;
};
struct PongReply {};
struct ErrorReply {
  std::uint32_t code = 0;  // relay.proto ErrorCode, possibly one this client does not know
  std::uint32_t index = 0;
  std::uint32_t retry_after_ms = 0;
};
struct MsgPush {
  relay::wire::QueueId recv_id{};
  std::uint64_t msg_id = 0;
  std::uint64_t timestamp_ms = 0;
  Bytes body;
};
struct EndPush {
  relay::wire::QueueId recv_id{};
};

// A struct, not an alias, so that relay_connection.h can declare it without this header.
struct Reply : std::variant<OkReply, IdsReply, BundleReply, PongReply, ErrorReply> {
  using variant::variant;
};
using Push = std::variant<HelloFrame, MsgPush, EndPush>;

struct ServerFrame {
  std::uint64_t request_id = 0;  // 0 for a Push
  std::variant<Push, Reply> body;
};

// The Error a relay's ErrorReply stands for: relay.proto's codes 1-12 are ErrorCode 400-411
// (RelayMalformed … RelayBusy), any other is RelayUnknownError; index and retry_after (when the
// relay gave one) are kept.
[[nodiscard]] Error error_of(const ErrorReply& reply);
// True for the codes error_of() gives (ErrorCode 400-412): the relay refused the command, as
// opposed to what this client saw itself (a timeout, a lost connection, …).
[[nodiscard]] bool is_relay_answer(ErrorCode code);

enum class DecodeFailure {
  Malformed,           // not a ServerBatch, no frame in it, or a frame that is not valid (a
                       // wrong size, a request id in the wrong place)
  UnsupportedVersion,  // a Hello of another protocol version
};

// The frames of one binary message from the relay, in the relay's order (at least one), or
// why the message breaks the protocol: one bad frame spoils the whole message, so none of it
// is handled. Either failure ends the connection.
[[nodiscard]] std::variant<std::vector<ServerFrame>, DecodeFailure> decode_server_batch(
    ByteView bytes);

}  // namespace exile::relay::client::detail
