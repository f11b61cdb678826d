// GCC reports -Wnull-dereference inside Asio's inlined scheduler code (a false positive in a
// system header that the pragma below silences for this file only).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "relay/detail/admin_listener.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace exile::relay::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(tcp::socket socket, std::function<std::string()> metrics_text,
               std::shared_ptr<std::atomic<std::size_t>> open)
      : stream_(std::move(socket)), metrics_text_(std::move(metrics_text)), open_(std::move(open)) {
    parser_.header_limit(AdminListener::kMaxHeaderBytes);
    parser_.body_limit(0);
  }
  ~AdminSession() { open_->fetch_sub(1); }
  AdminSession(const AdminSession&) = delete;
  AdminSession& operator=(const AdminSession&) = delete;

  void start() {
    stream_.expires_after(std::chrono::seconds(5));
    auto self = shared_from_this();
    http::async_read(stream_, buffer_, parser_,
                     [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) return;  // includes a header over kMaxHeaderBytes and any body
    const auto& request = parser_.get();
    response_.version(request.version());
    response_.keep_alive(false);
    response_.set(http::field::server, "exile-relay");
    if (request.method() == http::verb::get && request.target() == "/metrics") {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response_.body() = metrics_text_();
    } else {
      response_.result(http::status::not_found);
      response_.set(http::field::content_type, "text/plain");
      response_.body() = "not found\n";
    }
    response_.prepare_payload();
    auto self = shared_from_this();
    http::async_write(stream_, response_, [self](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
  std::function<std::string()> metrics_text_;
  std::shared_ptr<std::atomic<std::size_t>> open_;
};

}  // namespace

AdminListener::AdminListener(asio::io_context& io, const tcp::endpoint& endpoint,
                             std::function<std::string()> metrics_text)
    : io_(io),
      acceptor_(asio::make_strand(io)),
      pause_(acceptor_.get_executor()),
      metrics_text_(std::move(metrics_text)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
}

void AdminListener::start() { accept(); }

void AdminListener::stop() {
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    pause_.cancel();
  });
}

void AdminListener::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors: retrying at once would spin (the connection stays in the backlog).
      pause_.expires_after(std::chrono::milliseconds(100));
      pause_.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && acceptor_.is_open()) accept();
      });
      return;
    }
    if (open_->fetch_add(1) >= kMaxConnections) {
      open_->fetch_sub(1);
      beast::error_code ignored;
      socket.close(ignored);  // at the cap: closed unanswered
    } else {
      std::make_shared<AdminSession>(std::move(socket), metrics_text_, open_)->start();
    }
    accept();
  });
}

}  // namespace exile::relay::detail
