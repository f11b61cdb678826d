// RelayClient (relay_client.h) on Boost.Beast. One io_context per client, run only inside the
// client's blocking calls: a read is always pending while the connection is open, and every
// blocking call runs the io_context until its condition holds or its deadline passes.
#include "relay/support/relay_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>

// GCC 12 reports -Wnull-dereference inside Asio's scheduler once it is inlined here (a false
// positive on thread_info*); silence it for Boost's headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#pragma GCC diagnostic pop

#include "common/rng.h"
#include "relay/wire/batch.h"
#include "support/relay_process.h"

namespace exile::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace wire = exile::relay::wire;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct RelayClient::Impl {
  net::io_context ioc;
  std::optional<websocket::stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  bool reading = false;
  bool writing = false;
  bool open = false;  // handshake done, not closed

  // Closes the socket and runs the io_context until every pending handler has run.
  void drop() {
    if (ws) {
      beast::error_code ignored;
      beast::get_lowest_layer(*ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(*ws).socket().close(ignored);
    }
    open = false;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while ((reading || writing) && Clock::now() < deadline) {
      if (ioc.stopped()) ioc.restart();
      ioc.run_one_for(std::chrono::milliseconds(50));
    }
    ioc.restart();
    ioc.poll();
    ioc.restart();
  }
};

namespace {

std::string kind_name(const pb::ServerFrame& frame) {
  switch (frame.kind_case()) {
    case pb::ServerFrame::kHello: return "hello";
    case pb::ServerFrame::kOk: return "ok";
    case pb::ServerFrame::kError: return "error";
    case pb::ServerFrame::kIds: return "ids";
    case pb::ServerFrame::kMsg: return "msg";
    case pb::ServerFrame::kBundle: return "bundle";
    case pb::ServerFrame::kPong: return "pong";
    case pb::ServerFrame::kEnd: return "end";
    case pb::ServerFrame::KIND_NOT_SET: return "nothing";
  }
  return "?";
}

bool is_push(const pb::ServerFrame& frame) {
  return frame.request_id() == 0 && (frame.has_msg() || frame.has_end() || frame.has_hello());
}

}  // namespace

std::string describe(const pb::ServerFrame& frame) {
  std::string out = kind_name(frame);
  if (frame.kind_case() == pb::ServerFrame::KIND_NOT_SET) {
    return "no answer (timeout or connection closed)";
  }
  if (frame.has_error()) {
    out += " " + pb::ErrorCode_Name(frame.error().code()) +
           " index=" + std::to_string(frame.error().index()) +
           " retry_after_ms=" + std::to_string(frame.error().retry_after_ms());
  }
  if (frame.has_ok()) {
    out += " duplicate=" + std::string(frame.ok().duplicate() ? "true" : "false") +
           " one_time_keys_left=" + std::to_string(frame.ok().one_time_keys_left());
  }
  if (frame.has_msg()) out += " msg_id=" + std::to_string(frame.msg().msg_id());
  out += " (request_id " + std::to_string(frame.request_id()) + ")";
  return out;
}

bool is_error(const pb::ServerFrame& frame, pb::ErrorCode code) {
  return frame.has_error() && frame.error().code() == code;
}

std::string random_id() {
  std::string id(wire::kQueueIdBytes, '\0');
  SystemRng rng;
  rng.fill(MutableByteView(reinterpret_cast<std::uint8_t*>(id.data()), id.size()));
  return id;
}

RelayClient::RelayClient() : impl_(std::make_unique<Impl>()) {}

RelayClient::~RelayClient() { abort(); }

bool RelayClient::connected() const { return impl_->open && !closed_; }

void RelayClient::reset_state() {
  hello_.Clear();
  have_hello_ = false;
  error_.clear();
  closed_ = false;
  close_code_.reset();
  last_request_id_ = 0;
  messages_received_ = 0;
  frames_received_ = 0;
  responses_.clear();
  pushes_.clear();
  command_keys_.clear();
}

bool RelayClient::pump_until(Clock::time_point deadline, const std::function<bool()>& done) {
  while (!done()) {
    if (!impl_->reading && !impl_->writing) return done();  // nothing can change any more
    const auto now = Clock::now();
    if (now >= deadline) return false;
    if (impl_->ioc.stopped()) impl_->ioc.restart();
    impl_->ioc.run_one_for(deadline - now);
  }
  return true;
}

void RelayClient::on_message(std::string bytes, bool binary) {
  if (!binary) {
    error_ = "the relay sent a text frame";
    return;
  }
  pb::ServerBatch batch;
  if (!batch.ParseFromString(bytes)) {
    error_ = "the relay sent an unparseable message";
    return;
  }
  if (batch.frames().empty()) {
    error_ = "the relay sent an empty batch";
    return;
  }
  ++messages_received_;
  frames_received_ += static_cast<std::size_t>(batch.frames_size());
  for (pb::ServerFrame& frame : *batch.mutable_frames()) {
    if (!have_hello_) {
      if (!frame.has_hello() || frame.request_id() != 0) {
        error_ = "first frame is not a Hello: " + describe(frame);
      } else {
        hello_ = frame.hello();
        have_hello_ = true;
        continue;
      }
    }
    if (is_push(frame)) {
      pushes_.push_back(std::move(frame));
    } else {
      responses_.push_back(std::move(frame));
    }
  }
}

void RelayClient::start_read() {
  impl_->reading = true;
  impl_->ws->async_read(impl_->buffer, [this](beast::error_code ec, std::size_t) {
    impl_->reading = false;
    if (ec) {
      // The relay's close frame may have arrived even if the TCP teardown then failed (a
      // reset, when the relay closes with unread bytes of ours): its code still counts.
      if (ec == websocket::error::closed ||
          impl_->ws->reason().code != websocket::close_code::none) {
        close_code_ = static_cast<std::uint16_t>(impl_->ws->reason().code);
      }
      if (ec != websocket::error::closed && error_.empty()) error_ = "read: " + ec.message();
      closed_ = true;
      impl_->open = false;
      return;
    }
    const bool binary = impl_->ws->got_binary();
    std::string bytes = beast::buffers_to_string(impl_->buffer.data());
    impl_->buffer.consume(impl_->buffer.size());
    on_message(std::move(bytes), binary);
    start_read();
  });
}

bool RelayClient::connect(std::uint16_t port, std::chrono::milliseconds timeout,
                          const std::string& host) {
  abort();
  reset_state();
  impl_->ws.emplace(impl_->ioc);
  impl_->buffer.clear();
  const auto deadline = Clock::now() + timeout;

  auto& stream = beast::get_lowest_layer(*impl_->ws);
  bool done = false;
  beast::error_code result;
  if (!source_address_.empty()) {
    const auto source = net::ip::make_address(source_address_);
    beast::error_code ec;
    stream.socket().open(source.is_v4() ? tcp::v4() : tcp::v6(), ec);
    if (!ec) stream.socket().bind(tcp::endpoint(source, 0), ec);
    if (ec) {
      impl_->drop();
      error_ = "bind to " + source_address_ + ": " + ec.message();
      closed_ = true;
      return false;
    }
  }
  impl_->writing = true;  // "an operation is pending" for pump_until
  stream.async_connect(tcp::endpoint(net::ip::make_address(host), port), [&](beast::error_code ec) {
    impl_->writing = false;
    done = true;
    result = ec;
  });
  if (!pump_until(deadline, [&] { return done; })) {
    impl_->drop();
    error_ = "connect: timeout";
    closed_ = true;
    return false;
  }
  if (result) {
    impl_->drop();
    error_ = "connect: " + result.message();
    closed_ = true;
    return false;
  }
  stream.socket().set_option(tcp::no_delay(true));

  impl_->ws->auto_fragment(false);
  // A client masks its frames in chunks of write_buffer_bytes: one chunk per frame, so that a
  // frame goes out in one write.
  impl_->ws->write_buffer_bytes(256U << 10);
  impl_->ws->read_message_max(64U << 20);
  impl_->ws->binary(true);
  done = false;
  impl_->writing = true;
  const std::string authority = test::host_in_address(host) + ":" + std::to_string(port);
  impl_->ws->async_handshake(authority, "/", [&](beast::error_code ec) {
    impl_->writing = false;
    done = true;
    result = ec;
  });
  if (!pump_until(deadline, [&] { return done; })) {
    impl_->drop();
    error_ = "handshake: timeout";
    closed_ = true;
    return false;
  }
  if (result) {
    impl_->drop();
    error_ = "handshake: " + result.message();
    closed_ = true;
    return false;
  }
  impl_->open = true;
  start_read();
  if (!pump_until(deadline, [&] { return have_hello_ || !error_.empty(); }) || !have_hello_) {
    if (error_.empty()) error_ = closed_ ? "closed before Hello" : "no Hello in time";
    impl_->drop();
    closed_ = true;
    return false;
  }
  return true;
}

void RelayClient::close(std::chrono::milliseconds timeout) {
  if (impl_->open && !closed_ && !impl_->writing) {
    bool done = false;
    impl_->writing = true;
    impl_->ws->async_close(websocket::close_code::normal, [&](beast::error_code) {
      impl_->writing = false;
      done = true;
    });
    pump_until(Clock::now() + timeout, [&] { return done; });
  }
  abort();
}

void RelayClient::abort() {
  impl_->drop();
  impl_->ws.reset();
  if (!closed_) closed_ = true;
}

bool RelayClient::wait_closed(std::chrono::milliseconds timeout) {
  pump_until(Clock::now() + timeout, [&] { return closed_; });
  return closed_;
}

bool RelayClient::write_frame(std::string_view bytes, bool binary,
                              std::chrono::milliseconds timeout) {
  if (!impl_->open || closed_ || impl_->writing) return false;
  impl_->ws->binary(binary);
  bool done = false;
  beast::error_code result;
  impl_->writing = true;
  impl_->ws->async_write(net::buffer(bytes.data(), bytes.size()),
                         [&](beast::error_code ec, std::size_t) {
                           impl_->writing = false;
                           done = true;
                           result = ec;
                         });
  if (!pump_until(Clock::now() + timeout, [&] { return done; })) {
    error_ = "write: timeout";
    impl_->drop();  // runs the write handler (aborted) before `done` goes out of scope
    closed_ = true;
    return false;
  }
  if (result) {
    if (error_.empty()) error_ = "write: " + result.message();
    return false;
  }
  return true;
}

bool RelayClient::send_raw(std::string_view frame, std::chrono::milliseconds timeout) {
  return send_batch({std::string(frame)}, timeout);
}

bool RelayClient::send_batch(const std::vector<std::string>& frames,
                             std::chrono::milliseconds timeout) {
  std::string batch;
  for (const auto& frame : frames) wire::append_batch_record(batch, frame);
  return write_frame(batch, true, timeout);
}

bool RelayClient::send_message(std::string_view bytes, std::chrono::milliseconds timeout) {
  return write_frame(bytes, true, timeout);
}

bool RelayClient::send_text(std::string_view text, std::chrono::milliseconds timeout) {
  return write_frame(text, false, timeout);
}

std::string RelayClient::authenticator(const wire::KeyPair& key, std::uint64_t request_id,
                                       std::string_view command) {
  auto it = command_keys_.find(key.public_key);
  if (it == command_keys_.end()) {
    const auto session_key = wire::exact<wire::kPublicKeyBytes>(as_bytes(hello_.session_key()));
    const auto nonce = wire::exact<wire::kNonceBytes>(as_bytes(hello_.session_nonce()));
    if (!session_key || !nonce) {
      error_ = "Hello has a session key or nonce of the wrong size";
      return std::string(wire::kAuthenticatorBytes, '\0');
    }
    auto derived = wire::client_command_key(key, *session_key, *nonce);
    if (!derived) {
      error_ = "client_command_key failed: " + derived.error().message;
      return std::string(wire::kAuthenticatorBytes, '\0');
    }
    it = command_keys_.emplace(key.public_key, std::move(*derived)).first;
  }
  const auto tag = wire::authenticate(it->second, request_id, as_bytes(command));
  return std::string(tag.begin(), tag.end());
}

std::string RelayClient::build_frame(const pb::Command& command,
                                     const std::vector<const wire::KeyPair*>& keys,
                                     std::uint64_t* request_id) {
  const std::uint64_t id = next_request_id();
  if (request_id != nullptr) *request_id = id;
  pb::ClientFrame frame;
  frame.set_request_id(id);
  frame.set_command(command.SerializeAsString());
  for (const auto* key : keys) frame.add_authenticators(authenticator(*key, id, frame.command()));
  return frame.SerializeAsString();
}

std::uint64_t RelayClient::send_command(const pb::Command& command,
                                        const std::vector<const wire::KeyPair*>& keys) {
  std::uint64_t id = 0;
  const std::string bytes = build_frame(command, keys, &id);
  return send_raw(bytes) ? id : 0;
}

pb::ServerFrame RelayClient::wait_response(std::uint64_t request_id,
                                           std::chrono::milliseconds timeout) {
  auto find = [&] {
    return std::find_if(responses_.begin(), responses_.end(),
                        [&](const pb::ServerFrame& f) { return f.request_id() == request_id; });
  };
  pump_until(Clock::now() + timeout, [&] { return find() != responses_.end(); });
  auto it = find();
  if (it == responses_.end()) {
    if (error_.empty()) {
      error_ = closed_
                   ? "closed while waiting for the answer to request " + std::to_string(request_id)
                   : "no answer to request " + std::to_string(request_id) + " in time";
    }
    return {};
  }
  pb::ServerFrame frame = std::move(*it);
  responses_.erase(it);
  return frame;
}

std::optional<pb::ServerFrame> RelayClient::next_response(std::chrono::milliseconds timeout) {
  pump_until(Clock::now() + timeout, [&] { return !responses_.empty(); });
  if (responses_.empty()) return std::nullopt;
  pb::ServerFrame frame = std::move(responses_.front());
  responses_.pop_front();
  return frame;
}

std::optional<pb::ServerFrame> RelayClient::next_push(std::chrono::milliseconds timeout) {
  pump_until(Clock::now() + timeout, [&] { return !pushes_.empty(); });
  if (pushes_.empty()) return std::nullopt;
  pb::ServerFrame frame = std::move(pushes_.front());
  pushes_.pop_front();
  return frame;
}

bool RelayClient::poll(std::chrono::milliseconds timeout) {
  const std::size_t before = pushes_.size() + responses_.size();
  pump_until(Clock::now() + timeout, [&] { return pushes_.size() + responses_.size() != before; });
  // Also run whatever else is ready right now.
  if (impl_->ioc.stopped()) impl_->ioc.restart();
  impl_->ioc.poll();
  return !closed_;
}

pb::ServerFrame RelayClient::request(const pb::Command& command,
                                     const std::vector<const wire::KeyPair*>& keys,
                                     std::chrono::milliseconds timeout) {
  const std::uint64_t id = send_command(command, keys);
  if (id == 0) return {};
  return wait_response(id, timeout);
}

pb::ServerFrame RelayClient::new_queue(const wire::KeyPair& recipient, bool contact_address) {
  pb::Command command;
  auto* body = command.mutable_new_queue();
  body->set_recipient_key(std::string(recipient.public_key.begin(), recipient.public_key.end()));
  body->set_contact_address(contact_address);
  return request(command, {&recipient});
}

pb::ServerFrame RelayClient::secure(const std::string& recv_id, const wire::KeyPair& recipient,
                                    const wire::PublicKey& sender_key) {
  pb::Command command;
  auto* body = command.mutable_key();
  body->set_recv_id(recv_id);
  body->set_sender_key(std::string(sender_key.begin(), sender_key.end()));
  return request(command, {&recipient});
}

pb::ServerFrame RelayClient::send(const std::string& send_id, const std::string& client_msg_id,
                                  const std::string& body, const wire::KeyPair* sender) {
  pb::Command command;
  auto* s = command.mutable_send();
  s->set_send_id(send_id);
  s->set_client_msg_id(client_msg_id);
  s->set_body(body);
  std::vector<const wire::KeyPair*> keys;
  if (sender != nullptr) keys.push_back(sender);
  return request(command, keys);
}

pb::ServerFrame RelayClient::sub(const std::vector<std::string>& recv_ids,
                                 const std::vector<const wire::KeyPair*>& keys) {
  pb::Command command;
  for (const auto& id : recv_ids) command.mutable_sub()->add_recv_ids(id);
  if (recv_ids.empty()) command.mutable_sub();
  return request(command, keys);
}

pb::ServerFrame RelayClient::sub(const std::string& recv_id, const wire::KeyPair& recipient) {
  return sub(std::vector<std::string>{recv_id}, {&recipient});
}

pb::ServerFrame RelayClient::unsub(const std::string& recv_id, const wire::KeyPair& recipient) {
  pb::Command command;
  command.mutable_unsub()->set_recv_id(recv_id);
  return request(command, {&recipient});
}

pb::ServerFrame RelayClient::ack(const std::string& recv_id, std::uint64_t msg_id,
                                 const wire::KeyPair& recipient) {
  pb::Command command;
  command.mutable_ack()->set_recv_id(recv_id);
  command.mutable_ack()->set_msg_id(msg_id);
  return request(command, {&recipient});
}

pb::ServerFrame RelayClient::del(const std::string& recv_id, const wire::KeyPair& recipient) {
  pb::Command command;
  command.mutable_del()->set_recv_id(recv_id);
  return request(command, {&recipient});
}

pb::ServerFrame RelayClient::put_bundle(const std::string& recv_id, const wire::KeyPair& recipient,
                                        const std::string& bundle,
                                        const std::vector<std::string>& one_time_keys,
                                        bool replace_one_time_keys) {
  pb::Command command;
  auto* body = command.mutable_put_bundle();
  body->set_recv_id(recv_id);
  body->set_bundle(bundle);
  for (const auto& key : one_time_keys) body->add_one_time_keys(key);
  body->set_replace_one_time_keys(replace_one_time_keys);
  return request(command, {&recipient});
}

pb::ServerFrame RelayClient::get_bundle(const std::string& send_id) {
  pb::Command command;
  command.mutable_get_bundle()->set_send_id(send_id);
  return request(command);
}

pb::ServerFrame RelayClient::ping() {
  pb::Command command;
  command.mutable_ping();
  return request(command);
}

bool RelayClient::create_queue(TestQueue& q, bool secure_it, bool contact_address) {
  const pb::ServerFrame ids = new_queue(q.recipient, contact_address);
  if (!ids.has_ids()) {
    error_ = "NEW: " + describe(ids);
    return false;
  }
  q.recv_id = ids.ids().recv_id();
  q.send_id = ids.ids().send_id();
  q.secured = false;
  if (secure_it) {
    const pb::ServerFrame ok = secure(q.recv_id, q.recipient, q.sender.public_key);
    if (!ok.has_ok()) {
      error_ = "KEY: " + describe(ok);
      return false;
    }
    q.secured = true;
  }
  return true;
}

pb::ServerFrame RelayClient::send_to(const TestQueue& q, const std::string& client_msg_id,
                                     const std::string& body) {
  return send(q.send_id, client_msg_id, body, q.secured ? &q.sender : nullptr);
}

std::string http_exchange(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      response.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

}  // namespace exile::test
