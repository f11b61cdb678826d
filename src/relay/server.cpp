// GCC reports -Wnull-dereference inside Asio's inlined scheduler code (a false positive in a
// system header that the pragma below silences for this file only).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "relay/server.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "common/log.h"
#include "common/rng.h"
#include "relay/command_handler.h"
#include "relay/connection.h"
#include "relay/detail/admin_listener.h"
#include "relay/fair_store_pool.h"
#include "relay/source_limit.h"

namespace exile::relay {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kLog = "relay";
constexpr auto kShutdownGrace = std::chrono::seconds(5);
constexpr auto kGaugeInterval = std::chrono::seconds(2);
// How often the client buffer budget is checked (relay-protocol.md §6, "Clients that do not
// read"); each connection is visited only while the budget is exceeded.
constexpr auto kBudgetInterval = std::chrono::milliseconds(250);
constexpr std::uint64_t kDedupWindowMs = 24ull * 3600 * 1000;
constexpr std::uint64_t kServerLane = 0;  // RelayCore::new_lane() starts at 1

// Descriptors and connections (relay-protocol.md §6). A failed accept (out of descriptors:
// EMFILE, ENFILE; out of memory) pauses accepting, from kAcceptPauseMin doubling up to
// kAcceptPauseMax while it keeps failing; the failures are logged in one line per
// kAcceptLogInterval. Retrying at once would spin: the connection that could not be
// accepted stays in the listen backlog, so the next accept fails the same way at once.
constexpr auto kAcceptPauseMin = std::chrono::milliseconds(5);
constexpr auto kAcceptPauseMax = std::chrono::milliseconds(500);
constexpr auto kAcceptLogInterval = std::chrono::seconds(10);

SourceKey source_of(const asio::ip::address& address) {
  if (address.is_v4()) return source_key_v4(address.to_v4().to_bytes());
  return source_key_v6(address.to_v6().to_bytes());
}

Result<tcp::endpoint> resolve(const Endpoint& endpoint) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(endpoint.host, ec);
  if (ec) return fail(ErrorCode::InvalidArgument, "not an IP address: " + endpoint.host);
  return tcp::endpoint(address, endpoint.port);
}

RelayLimits limits_of(const Config& config) {
  RelayLimits limits;
  limits.quota = Quota{config.queue_max_messages, config.queue_max_bytes};
  limits.message_ttl = config.message_ttl;
  limits.idle_timeout = config.idle_timeout;
  limits.rate = config.rate;
  limits.bundle_rate = config.bundle_rate;
  limits.first_contact_rate = config.first_contact_rate;
  limits.push_window = config.push_window;
  return limits;
}

}  // namespace

struct Server::Impl {
  Impl(const Config& c, QueueStore& s, const Clock& k)
      : config(c),
        store(s),
        clock(k),
        store_pool(kStoreThreads),
        core(
            s, k, metrics, limits_of(c),
            [this](std::uint64_t lane, Task task) { store_pool.post(lane, std::move(task)); }, rng),
        buffers(c.client_buffer_budget, metrics.connections_open, metrics.client_bytes_queued),
        ioc(static_cast<int>(threads())),
        control(asio::make_strand(ioc)),
        acceptor(control),
        sources(c.max_connections_per_source),
        accept_timer(control),
        stop_signals(control, SIGINT, SIGTERM),
        usr1(control, SIGUSR1),
        sweep_timer(control),
        gauge_timer(control),
        budget_timer(control),
        grace_timer(control) {}

  ~Impl() { store_pool.join(); }

  [[nodiscard]] unsigned threads() const {
    if (config.threads > 0) return config.threads;
    // One core is left to the store's writer thread, the one serial stage of a SEND.
    return std::max(2u, std::thread::hardware_concurrency()) - 1;
  }

  Result<void> listen();
  void accept();
  void accept_failed(const boost::system::error_code& ec);  // control strand
  void on_accept(tcp::socket socket);
  void connection_closed(std::uint64_t id);
  void wait_signals();
  void wait_usr1();
  void expire_now();  // blocking: on the store pool, or before the io threads start
  void schedule_sweep();
  void refresh_gauges();
  void enforce_budget();
  void begin_shutdown();
  void close_all();

  Config config;
  QueueStore& store;
  const Clock& clock;
  Metrics metrics;
  SystemRng rng;
  FairStorePool store_pool;  // lane 0: the server's own work; one lane per connection
  RelayCore core;
  ClientBuffers buffers;
  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> control;  // listeners, timers, signals
  std::optional<asio::ssl::context> tls;
  tcp::acceptor acceptor;
  // Descriptors and connections (relay-protocol.md §6).
  SourceLimiter sources;
  asio::steady_timer accept_timer;             // the pause after a failed accept
  std::chrono::milliseconds accept_pause{0};   // control strand
  std::uint64_t accept_failures_unlogged = 0;  // control strand
  std::optional<std::chrono::steady_clock::time_point> accept_logged;  // control strand
  std::unique_ptr<detail::AdminListener> admin;
  asio::signal_set stop_signals;
  asio::signal_set usr1;
  asio::steady_timer sweep_timer;
  asio::steady_timer gauge_timer;
  asio::steady_timer budget_timer;
  asio::steady_timer grace_timer;
  std::uint16_t port = 0;
  bool stopping = false;  // control strand

  std::mutex connections_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
  std::uint64_t next_connection_id = 1;
  bool closing_all = false;  // under connections_mutex

  // Each connection's source for --max-connections-per-source; under connections_mutex.
  std::unordered_map<std::uint64_t, SourceKey> connection_sources;
};

Result<void> Server::Impl::listen() {
  if (config.tls()) {
    try {
      tls.emplace(asio::ssl::context::tls_server);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
      tls->use_certificate_chain_file(config.tls_cert.string());
      tls->use_private_key_file(config.tls_key.string(), asio::ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      return fail(ErrorCode::InvalidArgument,
                  std::string("cannot load the TLS certificate or key: ") + e.what());
    }
  }
  auto endpoint = resolve(config.listen);
  if (!endpoint) return fail(endpoint.error());
  try {
    acceptor.open(endpoint->protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(*endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    port = acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    return fail(ErrorCode::InvalidArgument, "cannot listen on " + config.listen.host + ":" +
                                                std::to_string(config.listen.port) + ": " +
                                                e.code().message());
  }
  if (config.admin) {
    auto admin_endpoint = resolve(*config.admin);
    if (!admin_endpoint) return fail(admin_endpoint.error());
    try {
      admin = std::make_unique<detail::AdminListener>(ioc, *admin_endpoint,
                                                      [this] { return metrics.prometheus(); });
    } catch (const boost::system::system_error& e) {
      return fail(ErrorCode::InvalidArgument,
                  "cannot listen on the admin address: " + e.code().message());
    }
  }
  return {};
}

void Server::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc),
                        [this](boost::system::error_code ec, tcp::socket socket) {
                          if (stopping || ec == asio::error::operation_aborted) return;
                          if (ec) {
                            accept_failed(ec);
                            return;
                          }
                          accept_pause = std::chrono::milliseconds(0);
                          on_accept(std::move(socket));
                          accept();
                        });
}

void Server::Impl::accept_failed(const boost::system::error_code& ec) {
  ++metrics.accept_failures;
  accept_pause = std::clamp(accept_pause * 2, std::chrono::milliseconds(kAcceptPauseMin),
                            std::chrono::milliseconds(kAcceptPauseMax));
  ++accept_failures_unlogged;
  const auto now = std::chrono::steady_clock::now();
  if (!accept_logged || now - *accept_logged >= kAcceptLogInterval) {
    log::write(log::Level::Warn, kLog, "accept failed: ", ec.message(), "; failures since the ",
               "last report: ", accept_failures_unlogged, "; accepting paused for up to ",
               kAcceptPauseMax.count(), " ms at a time");
    accept_failures_unlogged = 0;
    accept_logged = now;
  }
  accept_timer.expires_after(accept_pause);
  accept_timer.async_wait([this](boost::system::error_code wait_ec) {
    if (wait_ec || stopping) return;
    accept();
  });
}

void Server::Impl::on_accept(tcp::socket socket) {
  if (metrics.connections_open.load() >= config.max_connections) {
    ++metrics.connections_refused;
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  boost::system::error_code endpoint_ec;
  const auto remote = socket.remote_endpoint(endpoint_ec);
  const SourceKey source = endpoint_ec ? SourceKey{} : source_of(remote.address());
  if (endpoint_ec || !sources.acquire(source)) {
    // Gone already, or its source holds --max-connections-per-source connections.
    if (!endpoint_ec) ++metrics.connections_refused_source;
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  ++metrics.connections_open;
  ++metrics.connections_total;
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (config.socket_send_buffer > 0) {
    // Capped, the kernel does not grow a silent client's send queue to its 4 MiB maximum.
    socket.set_option(
        asio::socket_base::send_buffer_size(static_cast<int>(config.socket_send_buffer)), ignored);
  }
  std::uint64_t id = 0;
  {
    std::lock_guard lock(connections_mutex);
    id = next_connection_id++;
  }
  ConnectionContext context{core, buffers, config.idle_timeout,
                            [this, id] { connection_closed(id); }};
  auto connection = tls ? make_tls_connection(std::move(socket), *tls, std::move(context))
                        : make_plain_connection(std::move(socket), std::move(context));
  {
    std::lock_guard lock(connections_mutex);
    connections.emplace(id, connection);
    connection_sources.emplace(id, source);
  }
  connection->start();
}

void Server::Impl::connection_closed(std::uint64_t id) {
  Metrics::adjust(metrics.connections_open, -1);
  std::lock_guard lock(connections_mutex);
  connections.erase(id);
  if (auto it = connection_sources.find(id); it != connection_sources.end()) {
    sources.release(it->second);
    connection_sources.erase(it);
  }
  if (closing_all && connections.empty()) ioc.stop();
}

void Server::Impl::wait_signals() {
  stop_signals.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    begin_shutdown();
  });
}

void Server::Impl::wait_usr1() {
  usr1.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    log::write(log::Level::Info, kLog, "counters: ", metrics.summary());
    wait_usr1();
  });
}

void Server::Impl::expire_now() {
  const std::uint64_t now = core.now_ms();
  const auto ttl = static_cast<std::uint64_t>(config.message_ttl.count());
  const std::uint64_t message_cutoff = now > ttl ? now - ttl : 0;
  const std::uint64_t dedup_cutoff = now > kDedupWindowMs ? now - kDedupWindowMs : 0;
  auto expired = store.expire(message_cutoff, dedup_cutoff);
  if (!expired) {
    log::write(log::Level::Warn, kLog, "store error during the expiry sweep: ", expired.error());
  } else if (*expired > 0) {
    metrics.messages_expired += *expired;
    Metrics::adjust(metrics.messages_pending, -static_cast<std::int64_t>(*expired));
    log::write(log::Level::Info, kLog, "expired ", *expired, " messages");
  }
}

void Server::Impl::schedule_sweep() {
  // Once a minute (relay-protocol.md §5); a short TTL (tests) or a test clock sweeps sooner.
  // The sweep at start runs in create(), before the relay accepts connections.
  auto interval = std::chrono::milliseconds(std::chrono::minutes(1));
  interval = std::min(interval, std::max(std::chrono::milliseconds(1000), config.message_ttl / 2));
  if (config.test_clock) interval = std::chrono::seconds(1);
  sweep_timer.expires_after(interval);
  sweep_timer.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping) return;
    store_pool.post(kServerLane, [this] { expire_now(); });
    schedule_sweep();
  });
}

void Server::Impl::refresh_gauges() {
  store_pool.post(kServerLane, [this] {
    if (auto counts = store.counts()) {
      metrics.queues = counts->queues;
      metrics.messages_pending = counts->messages;
    }
  });
  gauge_timer.expires_after(kGaugeInterval);
  gauge_timer.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping) refresh_gauges();
  });
}

void Server::Impl::enforce_budget() {
  if (buffers.over_budget()) {
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(connections_mutex);
      open.reserve(connections.size());
      for (auto& [id, weak] : connections) {
        if (auto connection = weak.lock()) open.push_back(std::move(connection));
      }
    }
    for (auto& connection : open) connection->enforce_budget();
  }
  budget_timer.expires_after(kBudgetInterval);
  budget_timer.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping) enforce_budget();
  });
}

void Server::Impl::begin_shutdown() {
  if (stopping) return;
  stopping = true;
  log::write(log::Level::Info, kLog, "stopping: ", metrics.connections_open.load(),
             " connections open");
  core.begin_shutdown();
  boost::system::error_code ignored;
  acceptor.close(ignored);
  accept_timer.cancel();
  if (admin) admin->stop();
  sweep_timer.cancel();
  gauge_timer.cancel();
  budget_timer.cancel();
  usr1.cancel();
  // Queued appends and acks commit and are answered before the connections close.
  store_pool.post(kServerLane, [this] {
    store.drain();
    asio::post(control, [this] { close_all(); });
  });
}

void Server::Impl::close_all() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(connections_mutex);
    closing_all = true;
    for (auto& [id, weak] : connections) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
    if (connections.empty()) ioc.stop();
  }
  for (auto& connection : open) connection->shutdown();
  grace_timer.expires_after(kShutdownGrace);
  grace_timer.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    log::write(log::Level::Warn, kLog, "connections still open after the grace period");
    ioc.stop();
  });
}

// ---- Server ---------------------------------------------------------------------------------

Result<std::unique_ptr<Server>> Server::create(const Config& config, QueueStore& store,
                                               const Clock& clock) {
  auto impl = std::make_unique<Impl>(config, store, clock);
  EXILE_TRY(impl->listen());
  impl->expire_now();  // before the first connection: nothing past its TTL is ever pushed
  // The ids that exist, before the first connection (unknown ids are refused from it).
  if (auto loaded = impl->core.index().load(store); !loaded) {
    return fail(loaded.error().code, "cannot read the queue ids: " + loaded.error().message);
  }
  log::write(log::Level::Info, kLog, "id index: ", impl->core.index().queues(), " queues, ",
             impl->core.index().memory_bytes() / 1024, " KiB");
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->port; }

std::optional<std::uint16_t> Server::admin_port() const {
  if (!impl_->admin) return std::nullopt;
  return impl_->admin->port();
}

const Metrics& Server::metrics() const { return impl_->metrics; }

void Server::stop() {
  Impl* impl = impl_.get();
  asio::post(impl->control, [impl] { impl->begin_shutdown(); });
}

int Server::run() {
  Impl& impl = *impl_;
  const unsigned threads = impl.threads();
  log::write(log::Level::Info, kLog, "started: ", threads, " io threads, ",
             impl.config.tls() ? "TLS" : "plain WebSocket on loopback", ", message TTL ",
             impl.config.message_ttl.count() / 1000, " s");
  asio::post(impl.control, [&impl] {
    impl.accept();
    if (impl.admin) impl.admin->start();
    impl.wait_signals();
    impl.wait_usr1();
    impl.schedule_sweep();
    impl.refresh_gauges();
    impl.enforce_budget();
  });
  // A handler that throws (std::bad_alloc) must not take the relay down: log it and go on.
  auto serve = [&impl] {
    for (;;) {
      try {
        impl.ioc.run();
        return;
      } catch (const std::exception& e) {
        log::write(log::Level::Error, kLog, "unexpected exception in an io thread: ", e.what());
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(serve);
  serve();
  for (auto& t : pool) t.join();
  impl.store.drain();
  impl.store_pool.join();
  log::write(log::Level::Info, kLog, "stopped: ", impl.metrics.summary());
  return 0;
}

}  // namespace exile::relay
