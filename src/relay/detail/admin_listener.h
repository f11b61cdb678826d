// The admin listener (--admin 127.0.0.1:PORT): plain HTTP/1.1 on loopback, one route:
// GET /metrics → the counters in Prometheus text format. Anything else is 404. One request per
// connection; a slow client is cut off after a few seconds.
//
// Bounded (docs/relay-protocol.md §6, "Descriptors and connections"): at most
// kMaxConnections admin connections at once (one more is closed as soon as it is accepted),
// a request header of at most kMaxHeaderBytes and no body (a request with one is closed
// unanswered). Every local user can reach a loopback port: without these bounds, slow
// connections with large bodies held memory and descriptors without limit.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace exile::relay::detail {

class AdminListener {
 public:
  static constexpr std::size_t kMaxConnections = 4;
  static constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;

  // Binds and listens; throws boost::system::system_error on failure.
  AdminListener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                std::function<std::string()> metrics_text);
  void start();
  void stop();
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer pause_;  // after a failed accept
  std::function<std::string()> metrics_text_;
  // Admin connections open now; shared with the sessions, which may outlive the listener.
  std::shared_ptr<std::atomic<std::size_t>> open_ = std::make_shared<std::atomic<std::size_t>>(0);
  std::uint16_t port_ = 0;
};

}  // namespace exile::relay::detail
