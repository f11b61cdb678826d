// exile-relay as a real child process for tests: started on 127.0.0.1 with an ephemeral port
// and its own data directory, stopped with SIGTERM (graceful) or SIGKILL (fault tests).
//
// The relay prints "exile-relay: listening on 127.0.0.1:PORT" on stdout once it accepts
// connections; start() waits for that line (up to `timeout`), so a test can connect at once.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace exile::test {

// HOST as it stands in an address or URL: an IPv6 address in brackets.
[[nodiscard]] std::string host_in_address(const std::string& host);

class RelayProcess {
 public:
  struct Options {
    std::filesystem::path data_dir;       // required; created if missing, kept on stop
    std::string host = "127.0.0.1";       // or "::1"
    std::uint16_t port = 0;               // 0: ephemeral (a restart reuses the first port)
    std::vector<std::string> extra_args;  // e.g. {"--message-ttl", "2s"}
    std::vector<std::string> env;         // "NAME=value" added to the environment
    // Both set: the relay serves TLS (--tls-cert, --tls-key; PEM) and url() is wss://.
    std::filesystem::path tls_cert;
    std::filesystem::path tls_key;
    std::chrono::milliseconds timeout{15000};
    // Set: the child's RLIMIT_NOFILE, soft and hard, before exec (descriptor tests);
    // open_files_soft, if also set, lowers the soft limit alone.
    std::optional<std::uint64_t> max_open_files;
    std::optional<std::uint64_t> open_files_soft;
  };

  explicit RelayProcess(Options options);
  ~RelayProcess();  // SIGKILL if still running
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  // Starts the process and waits until it listens. False (and a message in error()) if it
  // exits or stays silent. After a stop, start() again restarts on the same port.
  bool start();
  // SIGTERM, then wait up to `grace`; returns the exit status (-1 if it had to be killed).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));
  // SIGKILL and reap.
  void kill();

  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  // "ws://HOST:PORT/" ("[::1]" for IPv6), or "wss://..." with Options::tls_cert.
  [[nodiscard]] std::string url() const;
  [[nodiscard]] const std::string& error() const { return error_; }
  // Everything the process wrote to stdout and stderr so far (for log-content assertions).
  [[nodiscard]] std::string output() const;

  // The exile-relay binary this test was built with.
  static std::filesystem::path binary();

 private:
  Options options_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string error_;
  std::filesystem::path log_path_;
};

// Raises this process's open-file limit (which a RelayProcess started after inherits) to at
// least `wanted` where it can: the soft limit up to the hard one, and the hard one too when the
// process may (root, as CI runs). Returns the soft limit now in force.
std::uint64_t raise_open_file_limit(std::uint64_t wanted);

}  // namespace exile::test
