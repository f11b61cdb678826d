// The admin listener (--admin 127.0.0.1:PORT): plain HTTP/1.1 on loopback, one route:
// GET /metrics → the counters in Prometheus text format. Anything else is 404. One request per
// connection; a slow client is cut off after a few seconds.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

namespace exile::relay::detail {

class AdminListener {
 public:
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
  std::function<std::string()> metrics_text_;
  std::uint16_t port_ = 0;
};

}  // namespace exile::relay::detail
