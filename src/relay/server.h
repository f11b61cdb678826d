// exile-relay's server: listeners, threads, timers and signals around RelayCore (no Beast or
// Asio in this header; see server.cpp).
//
// THREADS. One io_context run by `threads` threads; each connection on its own strand. Blocking
// store calls run on a separate pool of kStoreThreads (never on an io thread), a FairStorePool:
// one lane per connection, served in turn, and lane 0 for the server's own work (sweep, gauges,
// drain); the store's own writer thread commits appends and acks (group commit). create() loads
// the id index (queue_index.h) from the store before the first connection.
//
// LIFE. create(): binds the listeners (the port is known afterwards) and the signal handlers.
// run(): serves until SIGTERM or SIGINT, then shuts down: stop accepting; new commands are
// answered SHUTTING_DOWN; QueueStore::drain() lets queued appends/acks commit and be answered;
// every connection is closed (1001) after its queued frames; run() returns 0 when all are closed
// (or after kShutdownGrace). SIGUSR1 writes the counters to the log. Expired messages are swept
// in create() (before any connection) and every minute (more often when the TTL is shorter
// than two minutes, or with --test-clock).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "common/clock.h"
#include "common/result.h"
#include "relay/config.h"
#include "relay/metrics.h"
#include "relay/queue_store.h"

namespace exile::relay {

class Server {
 public:
  static constexpr unsigned kStoreThreads = 4;

  // `store` and `clock` must outlive the Server.
  [[nodiscard]] static Result<std::unique_ptr<Server>> create(const Config& config,
                                                              QueueStore& store,
                                                              const Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::optional<std::uint16_t> admin_port() const;
  [[nodiscard]] const Metrics& metrics() const;

  // Serves until a stop signal (or stop()); returns the process exit status.
  int run();
  // Begins the graceful shutdown, as SIGTERM does. Thread-safe.
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace exile::relay
