// exile-relay: parses the configuration, opens the queue store in --data, and runs the server
// (server.h) until SIGTERM/SIGINT. Prints "exile-relay: listening on HOST:PORT" on stdout once
// it accepts connections (tests wait for that line).
//
// Before anything else it sets the umask to 077, so that the data directory (and any parent
// it creates), relay.db and its -wal, -shm and -journal files are created 0700 and 0600
// whatever the umask it was started with (relay-protocol.md §10); and it raises the open-file
// limit and fits --max-connections to it (relay-protocol.md §6, "Descriptors and connections").
#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "relay/config.h"
#include "relay/file_clock.h"
#include "relay/open_files.h"
#include "relay/server.h"
#include "relay/sqlite_queue_store.h"

int main(int argc, char** argv) {
  using namespace exile;
  using namespace exile::relay;
  std::signal(SIGPIPE, SIG_IGN);
  ::umask(077);

  const std::vector<std::string> args(argv + 1, argv + argc);
  auto config = parse_command_line(args);
  if (!config) {
    std::fprintf(stderr, "exile-relay: %s\n", config.error().message.c_str());
    return 2;
  }
  log::set_level(config->log_level);

  // Descriptors and connections: one descriptor per connection, kReservedDescriptors for the rest.
  auto open_files = raise_open_file_limit();
  if (!open_files) {
    std::fprintf(stderr, "exile-relay: %s\n", open_files.error().message.c_str());
    return 1;
  }
  const auto cap =
      decide_connection_cap(config->max_connections, config->max_connections_explicit, *open_files);
  if (cap.max_connections == 0) {
    std::fprintf(stderr, "exile-relay: %s\n", cap.message.c_str());
    return 1;
  }
  if (!cap.message.empty()) log::write(log::Level::Warn, "relay", cap.message);
  config->max_connections = cap.max_connections;

  std::error_code ec;
  std::filesystem::create_directories(config->data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "exile-relay: cannot create the data directory: %s\n",
                 ec.message().c_str());
    return 1;
  }

  std::unique_ptr<Clock> clock;
  if (config->test_clock) {
    clock = std::make_unique<relay::FileClock>(*config->test_clock);
  } else {
    clock = std::make_unique<SystemClock>();
  }

  SqliteQueueStore::Options store_options;
  store_options.hold_for_ack = config->ack_hold;
  store_options.now_ms = [c = clock.get()] {
    const auto ms = to_millis(c->now());
    return ms < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(ms);
  };
  auto store = SqliteQueueStore::open(config->data_dir / "relay.db", store_options);
  if (!store) {
    std::fprintf(stderr, "exile-relay: cannot open the queue store: %s\n",
                 store.error().message.c_str());
    return 1;
  }

  auto server = Server::create(*config, **store, *clock);
  if (!server) {
    std::fprintf(stderr, "exile-relay: %s\n", server.error().message.c_str());
    return 1;
  }
  const std::string host = config->listen.host.find(':') != std::string::npos
                               ? "[" + config->listen.host + "]"
                               : config->listen.host;
  std::printf("exile-relay: listening on %s:%u\n", host.c_str(),
              static_cast<unsigned>((*server)->port()));
  if (auto admin = (*server)->admin_port()) {
    log::write(log::Level::Info, "relay", "admin listener on port ", *admin);
  }
  std::fflush(stdout);
  const int status = (*server)->run();
  server->reset();
  store->reset();  // drains and closes the database
  return status;
}
