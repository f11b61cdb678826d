// RelayClient: a small blocking WebSocket client of exile-relay for process-level tests
// (docs/relay-protocol.md). Plain ws:// on 127.0.0.1 only.
//
// Every call that reads takes a timeout and returns when it passes: a test against a broken
// relay fails, it never hangs. Messages are read in the background of every blocking call;
// each is a ServerBatch, split into its frames, which are sorted in order: answers (request_id !=
// 0, or an Error) into one buffer, pushes (Hello, Msg, End) into another, so a test can wait for
// the answer to one request while Msgs arrive.
//
// One RelayClient belongs to one thread. Boost.Beast stays in the .cpp: this header exposes
// only proto and std types (and the wire key types).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "relay.pb.h"
#include "relay/wire/wire.h"
#include "support/relay_keys.h"

namespace exile::test {

namespace pb = exile::relay::pb;

using namespace std::chrono_literals;

// A queue as a test holds it: its key pairs and its two ids.
struct TestQueue {
  relay::wire::KeyPair recipient = new_key_pair();
  relay::wire::KeyPair sender = new_key_pair();
  std::string recv_id;
  std::string send_id;
  bool secured = false;
};

// "ok", "ids", "error AUTH index 0", "timeout: …", for assertion messages.
std::string describe(const pb::ServerFrame& frame);
// True if `frame` is an Error with `code`.
bool is_error(const pb::ServerFrame& frame, pb::ErrorCode code);

class RelayClient {
 public:
  RelayClient();
  ~RelayClient();
  RelayClient(const RelayClient&) = delete;
  RelayClient& operator=(const RelayClient&) = delete;

  // Connects to ws://127.0.0.1:port/ and waits for the Hello. False, with error(), on failure
  // (refused, no Hello in time, a first frame that is not a Hello).
  bool connect(std::uint16_t port, std::chrono::milliseconds timeout = 5s,
               const std::string& host = "127.0.0.1");
  // The local address the next connect() binds to, e.g. "127.0.0.2" (all of 127/8 is local
  // on Linux), for per-source limits; empty (the default): the kernel's choice.
  void set_source_address(std::string address) { source_address_ = std::move(address); }
  // Sends a close frame (best effort, bounded) and drops the socket.
  void close(std::chrono::milliseconds timeout = 1s);
  // Drops the socket at once, without a close handshake.
  void abort();

  [[nodiscard]] bool connected() const;
  [[nodiscard]] const pb::Hello& hello() const { return hello_; }
  [[nodiscard]] const std::string& error() const { return error_; }

  // True once the relay closed the connection (or it broke).
  [[nodiscard]] bool closed() const { return closed_; }
  // The relay's close code, if it sent a close frame.
  [[nodiscard]] std::optional<std::uint16_t> close_code() const { return close_code_; }
  // Waits until the connection is closed; true if it is.
  bool wait_closed(std::chrono::milliseconds timeout);

  // Raw writes. False if the write failed (e.g. the relay closed the connection).
  // send_raw: `frame` as the one frame of a ClientBatch (relay-protocol.md §1).
  // send_batch: the frames as one ClientBatch. send_message: `bytes` as they are, one binary
  // WebSocket message. send_text: a text message.
  bool send_raw(std::string_view frame, std::chrono::milliseconds timeout = 5s);
  bool send_batch(const std::vector<std::string>& frames, std::chrono::milliseconds timeout = 5s);
  bool send_message(std::string_view bytes, std::chrono::milliseconds timeout = 5s);
  bool send_text(std::string_view text, std::chrono::milliseconds timeout = 5s);

  // The authenticator of `command` under `request_id` for queue key pair `key`, on this
  // connection (the command key is derived once per key and cached).
  std::string authenticator(const relay::wire::KeyPair& key, std::uint64_t request_id,
                            std::string_view command);
  // A fresh request id (1, 2, 3, … per connection).
  std::uint64_t next_request_id() { return ++last_request_id_; }
  // A serialized ClientFrame for `command` with a fresh request id (stored in *request_id)
  // and one authenticator per key, in order.
  std::string build_frame(const pb::Command& command,
                          const std::vector<const relay::wire::KeyPair*>& keys,
                          std::uint64_t* request_id);

  // Sends `command` without waiting; returns its request id, 0 if the write failed.
  std::uint64_t send_command(const pb::Command& command,
                             const std::vector<const relay::wire::KeyPair*>& keys = {});
  // Waits for the answer to `request_id`. On timeout or close, a frame with no kind set
  // (describe() tells which).
  pb::ServerFrame wait_response(std::uint64_t request_id, std::chrono::milliseconds timeout = 10s);
  // The next answer to any request (in arrival order), or nullopt on timeout/close.
  std::optional<pb::ServerFrame> next_response(std::chrono::milliseconds timeout);
  // The next pushed Msg or End, or nullopt on timeout/close.
  std::optional<pb::ServerFrame> next_push(std::chrono::milliseconds timeout);
  // Number of buffered, not yet taken pushes / answers.
  [[nodiscard]] std::size_t pending_pushes() const { return pushes_.size(); }
  [[nodiscard]] std::size_t pending_responses() const { return responses_.size(); }
  // Binary messages (batches) and the frames in them received since connect().
  [[nodiscard]] std::size_t messages_received() const { return messages_received_; }
  [[nodiscard]] std::size_t frames_received() const { return frames_received_; }
  // Reads for up to `timeout`, returning early once any frame arrived. False if closed.
  bool poll(std::chrono::milliseconds timeout);

  // send_command + wait_response.
  pb::ServerFrame request(const pb::Command& command,
                          const std::vector<const relay::wire::KeyPair*>& keys = {},
                          std::chrono::milliseconds timeout = 10s);

  // One helper per command (relay-protocol.md §4). Each returns the relay's answer.
  pb::ServerFrame new_queue(const relay::wire::KeyPair& recipient, bool contact_address = false);
  pb::ServerFrame secure(const std::string& recv_id, const relay::wire::KeyPair& recipient,
                         const relay::wire::PublicKey& sender_key);
  // `sender` null: no authenticator.
  pb::ServerFrame send(const std::string& send_id, const std::string& client_msg_id,
                       const std::string& body, const relay::wire::KeyPair* sender);
  pb::ServerFrame sub(const std::vector<std::string>& recv_ids,
                      const std::vector<const relay::wire::KeyPair*>& keys);
  pb::ServerFrame sub(const std::string& recv_id, const relay::wire::KeyPair& recipient);
  pb::ServerFrame unsub(const std::string& recv_id, const relay::wire::KeyPair& recipient);
  pb::ServerFrame ack(const std::string& recv_id, std::uint64_t msg_id,
                      const relay::wire::KeyPair& recipient);
  pb::ServerFrame del(const std::string& recv_id, const relay::wire::KeyPair& recipient);
  pb::ServerFrame put_bundle(const std::string& recv_id, const relay::wire::KeyPair& recipient,
                             const std::string& bundle,
                             const std::vector<std::string>& one_time_keys,
                             bool replace_one_time_keys = false);
  pb::ServerFrame get_bundle(const std::string& send_id);
  pb::ServerFrame ping();

  // NEW (and KEY with q.sender if `secure`) for `q`; fills its ids. False, with error(), if
  // the relay did not answer as the protocol says.
  bool create_queue(TestQueue& q, bool secure = true, bool contact_address = false);
  // SEND to q (authenticated if q.secured).
  pb::ServerFrame send_to(const TestQueue& q, const std::string& client_msg_id,
                          const std::string& body);

 private:
  struct Impl;
  void reset_state();
  bool pump_until(std::chrono::steady_clock::time_point deadline,
                  const std::function<bool()>& done);
  bool write_frame(std::string_view bytes, bool binary, std::chrono::milliseconds timeout);
  void start_read();
  void on_message(std::string bytes, bool binary);

  std::unique_ptr<Impl> impl_;
  pb::Hello hello_;
  bool have_hello_ = false;
  std::string error_;
  std::string source_address_;
  bool closed_ = false;
  std::optional<std::uint16_t> close_code_;
  std::uint64_t last_request_id_ = 0;
  std::size_t messages_received_ = 0;
  std::size_t frames_received_ = 0;
  std::deque<pb::ServerFrame> responses_;
  std::deque<pb::ServerFrame> pushes_;
  std::map<relay::wire::PublicKey, relay::wire::CommandKey> command_keys_;
};

// 16 random bytes (a client_msg_id, or an id that does not exist).
std::string random_id();

// Sends `request` (a whole HTTP request) on a fresh TCP connection to 127.0.0.1:port and reads
// the answer to EOF, 5 s at most; empty if the connection fails. For the admin port.
std::string http_exchange(std::uint16_t port, const std::string& request);

}  // namespace exile::test
