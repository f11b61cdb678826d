#include "relay/connection.h"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <optional>
#include <string>

#include "common/log.h"
#include "relay/wire/batch.h"

namespace exile::relay {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr std::string_view kLog = "relay";
constexpr auto kHandshakeTimeout = std::chrono::seconds(15);
// After a write, a batch buffer larger than this is given back: a connection that once got a
// large batch does not keep 256 KiB for the rest of its life.
constexpr std::size_t kKeptBatchCapacity = 16u << 10;

template <class Stream>
class WebSocketConnection final : public Connection,
                                  public std::enable_shared_from_this<WebSocketConnection<Stream>> {
 public:
  template <class... Args>
  WebSocketConnection(ConnectionContext context, tcp::socket socket, Args&&... tls)
      : context_(std::move(context)),
        executor_(socket.get_executor()),
        ws_(std::move(socket), std::forward<Args>(tls)...) {}

  void start() override {
    auto self = this->shared_from_this();
    asio::dispatch(executor_, [self] { self->begin(); });
  }

  void shutdown() override {
    auto self = this->shared_from_this();
    asio::post(executor_, [self] { self->close(CloseCode::GoingAway); });
  }

  void enforce_budget() override {
    auto self = this->shared_from_this();
    asio::post(executor_, [self] {
      if (!self->torn_down_ && self->holds_too_much()) self->drop_slow_reader();
    });
  }

 private:
  void begin() {
    beast::get_lowest_layer(ws_).expires_after(kHandshakeTimeout);
    if constexpr (kTls) {
      auto self = this->shared_from_this();
      ws_.next_layer().async_handshake(asio::ssl::stream_base::server,
                                       [self](beast::error_code ec) {
                                         if (ec) return self->teardown("tls handshake", ec);
                                         self->accept();
                                       });
    } else {
      accept();
    }
  }

  void accept() {
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = kHandshakeTimeout;
    timeout.idle_timeout = context_.idle_timeout;
    timeout.keep_alive_pings = false;  // idle means: no frame from the client
    ws_.set_option(timeout);
    ws_.read_message_max(wire::kMaxClientMessageBytes);  // above: Beast closes with 1009
    ws_.binary(true);
    // A batch goes out as one WebSocket frame: header and payload in one write, not one write
    // per 4 KiB fragment.
    ws_.auto_fragment(false);
    auto self = this->shared_from_this();
    ws_.async_accept([self](beast::error_code ec) {
      if (ec) return self->teardown("websocket handshake", ec);
      self->open();
    });
  }

  void open() {
    std::weak_ptr<WebSocketConnection> weak = this->shared_from_this();
    SessionIo io;
    io.post = [executor = executor_](Task task) { asio::post(executor, std::move(task)); };
    io.post_at = [executor = executor_](std::chrono::steady_clock::time_point when, Task task) {
      auto timer = std::make_shared<asio::steady_timer>(executor, when);
      timer->async_wait([timer, task = std::move(task)](beast::error_code) { task(); });
    };
    io.send = [weak](std::string frame) {
      if (auto self = weak.lock()) self->enqueue(std::move(frame));
    };
    io.close = [weak](CloseCode code) {
      if (auto self = weak.lock()) self->close(code);
    };
    io.can_push = [weak] {
      auto self = weak.lock();
      return self && self->push_room() > 0;
    };
    io.push_room = [weak] {
      auto self = weak.lock();
      return self ? self->push_room() : 0;
    };
    // From the store pool and the strand; the ClientBuffers outlive every connection.
    io.reading = [buffers = &context_.buffers](std::int64_t bytes) {
      if (bytes >= 0) {
        buffers->add(static_cast<std::size_t>(bytes));
      } else {
        buffers->remove(static_cast<std::size_t>(-bytes));
      }
    };
    session_ = Session::create(context_.core, std::move(io));
    session_->start();
    read();
  }

  // One read is always pending until teardown: after close() it drains the client's frames
  // until its close frame completes the handshake (the read then fails → teardown).
  void read() {
    if (torn_down_ || read_pending_) return;
    read_pending_ = true;
    auto self = this->shared_from_this();
    ws_.async_read(buffer_, [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    read_pending_ = false;
    if (ec) return teardown("read", ec);
    if (!closing_) {
      if (ws_.got_binary()) {
        // In turns (kTurns: fairness between connections on the io threads);
        // the buffer stays as it is, and no read is pending, until every frame is handled.
        const auto data = buffer_.cdata();
        auto self = this->shared_from_this();
        session_->handle_message_in_turns(
            ByteView(static_cast<const std::uint8_t*>(data.data()), data.size()), kTurns, [self] {
              self->buffer_.clear();
              self->read();
            });
        return;
      }
      close(CloseCode::UnsupportedData);
    }
    buffer_.clear();
    read();
  }

  void enqueue(std::string frame) {
    if (torn_down_ || close_sent_) return;
    if (queued_bytes_ == 0) progress_at_ = Clock::now();  // the wait for the client starts now
    queued_bytes_ += frame.size();
    context_.buffers.add(frame.size());
    if (queued_bytes_ > kMaxQueuedBytes || holds_too_much()) return drop_slow_reader();
    outgoing_.push_back(std::move(frame));
    if (writing_ || flush_posted_) return;
    // Not written here: the handlers already queued on the strand (a group commit's
    // completions, posted one after another) add their frames to the same batch first.
    flush_posted_ = true;
    auto self = this->shared_from_this();
    asio::post(executor_, [self] { self->flush(); });
  }

  void flush() {
    flush_posted_ = false;
    if (torn_down_ || writing_) return;
    if (!outgoing_.empty()) return write();
    if (close_code_) send_close();
  }

  // Moves as many queued frames as fit in one message into batch_ and writes it.
  void write() {
    batch_.clear();
    in_flight_bytes_ = 0;
    while (!outgoing_.empty()) {
      const std::string& frame = outgoing_.front();
      const std::size_t record = wire::batch_record_bytes(frame.size());
      if (!batch_.empty() && batch_.size() + record > wire::kMaxServerMessageBytes) break;
      wire::append_batch_record(batch_, frame);
      in_flight_bytes_ += frame.size();
      outgoing_.pop_front();
    }
    writing_ = true;
    auto self = this->shared_from_this();
    ws_.async_write(asio::buffer(batch_),
                    [self](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (torn_down_) return;
    if (ec) return teardown("write", ec);
    queued_bytes_ -= in_flight_bytes_;
    context_.buffers.remove(in_flight_bytes_);
    in_flight_bytes_ = 0;
    progress_at_ = Clock::now();
    if (!outgoing_.empty()) return write();
    if (batch_.capacity() > kKeptBatchCapacity) std::string().swap(batch_);
    if (close_code_) return send_close();
    if (session_) session_->on_writable();
  }

  void close(CloseCode code) {
    if (torn_down_ || close_code_) return;
    closing_ = true;
    close_code_ = code;
    if (!session_) return abort();                  // not open yet: nothing to say goodbye to
    if (!writing_ && !flush_posted_) send_close();  // else after the queued frames
  }

  void send_close() {
    if (close_sent_) return;
    close_sent_ = true;
    auto self = this->shared_from_this();
    const auto code = static_cast<std::uint16_t>(*close_code_);
    ws_.async_close(websocket::close_reason(code), [self](beast::error_code ec) {
      if (ec) self->teardown("close", ec);
    });
  }

  // Pushes go on below the watermark, and while the budget is exceeded, below this connection's
  // share of it: the bytes that may still be queued before they stop.
  [[nodiscard]] std::size_t push_room() const {
    std::size_t limit = kPushWatermark;
    if (context_.buffers.over_budget()) limit = std::min(limit, context_.buffers.share());
    return queued_bytes_ < limit ? limit - queued_bytes_ : 0;
  }

  [[nodiscard]] bool holds_too_much() const {
    return queued_bytes_ > 0 && context_.buffers.over_budget() &&
           queued_bytes_ > context_.buffers.share() && Clock::now() - progress_at_ >= kStallTime;
  }

  // Disconnects a client that does not read what it is sent. The socket is reset (SO_LINGER 0)
  // rather than closed, so that the kernel drops its send queue now instead of holding it for
  // an orphaned socket's retries.
  void drop_slow_reader() {
    ++context_.core.metrics().readers_dropped;
    log::write(log::Level::Debug, kLog, "client does not read: disconnected");
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(asio::socket_base::linger(true, 0), ignored);
    abort();
  }

  void abort() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    teardown("abort", {});
  }

  void teardown(std::string_view where, beast::error_code ec) {
    if (torn_down_) return;
    torn_down_ = true;
    if (ec && ec != websocket::error::closed && log::enabled(log::Level::Debug)) {
      log::write(log::Level::Debug, kLog, "connection ended (", where, "): ", ec.message());
    }
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    if (session_) session_->close();
    outgoing_.clear();
    context_.buffers.remove(queued_bytes_);
    queued_bytes_ = 0;
    in_flight_bytes_ = 0;
    if (context_.on_closed) context_.on_closed();
  }

  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  using Clock = std::chrono::steady_clock;

  ConnectionContext context_;
  asio::any_io_executor executor_;
  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<Session> session_;
  std::deque<std::string> outgoing_;  // serialized ServerFrames not yet in a batch
  std::string batch_;                 // the batch being written; reused from write to write
  std::size_t queued_bytes_ = 0;      // frames queued or in the batch being written
  std::size_t in_flight_bytes_ = 0;   // frame bytes in batch_
  // When the client last took something: the last completed write, or the enqueue that found
  // the queue empty.
  Clock::time_point progress_at_;
  bool writing_ = false;
  bool flush_posted_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool torn_down_ = false;
  bool read_pending_ = false;
  std::optional<CloseCode> close_code_;
};

}  // namespace

ClientBuffers::ClientBuffers(std::size_t budget, const std::atomic<std::uint64_t>& connections,
                             std::atomic<std::uint64_t>& queued)
    : budget_(budget), connections_(connections), queued_(queued) {}

std::size_t ClientBuffers::share() const {
  const std::uint64_t open = std::max<std::uint64_t>(1, connections_.load());
  return static_cast<std::size_t>(budget_ / open);
}

std::shared_ptr<Connection> make_plain_connection(tcp::socket socket, ConnectionContext context) {
  return std::make_shared<WebSocketConnection<beast::tcp_stream>>(std::move(context),
                                                                  std::move(socket));
}

std::shared_ptr<Connection> make_tls_connection(tcp::socket socket, asio::ssl::context& tls,
                                                ConnectionContext context) {
  return std::make_shared<WebSocketConnection<beast::ssl_stream<beast::tcp_stream>>>(
      std::move(context), std::move(socket), tls);
}

}  // namespace exile::relay
