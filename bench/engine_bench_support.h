// What the benchmarks that drive Engines through an exile-relay child process share
// (e2e_bench.cpp, app/app_bench.cpp): failing loudly, waiting, a completion turned into a
// blocking wait, and exile-relay on loopback. Header-only: each bench is one program.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"

namespace exile::bench {

using Steady = std::chrono::steady_clock;

// The name error messages start with; each bench's main() sets it.
inline const char* g_program = "exile-bench";

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", g_program, what.c_str());
  std::exit(1);
}

inline std::string describe(const Error& error) {
  return std::string(to_string(error.code)) + ": " + error.message;
}

template <class T>
T must(Result<T> result, const char* what) {
  if (!result) die(std::string(what) + ": " + describe(result.error()));
  return std::move(*result);
}
inline void must(Result<void> result, const char* what) {
  if (!result) die(std::string(what) + ": " + describe(result.error()));
}

inline double ms_between(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Waits until done() holds, polling every millisecond; false after timeout.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = Steady::now() + timeout;
  while (!done()) {
    if (Steady::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A completion turned into a blocking wait (completions come on the engine thread).
template <class T>
Result<T> await(const std::function<void(engine::Done<T>)>& call,
                std::chrono::milliseconds timeout) {
  struct Slot {
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<Result<T>> value;
  };
  auto slot = std::make_shared<Slot>();
  call([slot](Result<T> r) {
    std::lock_guard hold(slot->mutex);
    slot->value = std::move(r);
    slot->cv.notify_all();
  });
  std::unique_lock hold(slot->mutex);
  if (!slot->cv.wait_for(hold, timeout, [&] { return slot->value.has_value(); })) {
    return fail(ErrorCode::RelayTimeout, "the benchmark waited in vain");
  }
  return std::move(*slot->value);
}

// exile-relay as a child process on 127.0.0.1, its store in DIR/data and its output in
// DIR/relay.log, with at most `queue_max` messages a queue and `extra` added to its command
// line. The first start takes an ephemeral port; later starts reuse it (profiles hold the URL).
class RelayChild {
 public:
  RelayChild(std::filesystem::path binary, std::filesystem::path dir, std::size_t queue_max,
             std::vector<std::string> extra = {})
      : binary_(std::move(binary)),
        dir_(std::move(dir)),
        queue_max_(queue_max),
        extra_(std::move(extra)) {}
  ~RelayChild() { stop(); }
  RelayChild(const RelayChild&) = delete;
  RelayChild& operator=(const RelayChild&) = delete;

  void start() {
    std::filesystem::create_directories(dir_ / "data");
    const std::filesystem::path log = dir_ / "relay.log";
    { std::ofstream truncate(log); }
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    const std::string data = (dir_ / "data").string();
    const std::string quota = std::to_string(queue_max_);
    const std::string bin = binary_.string();
    std::vector<const char*> argv = {bin.c_str(),  "--listen",   listen.c_str(),
                                     "--data",     data.c_str(), "--queue-max-messages",
                                     quota.c_str()};
    for (const auto& arg : extra_) argv.push_back(arg.c_str());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_APPEND, 0);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, bin.c_str(), &actions, nullptr,
                               const_cast<char* const*>(argv.data()), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) die("cannot start exile-relay: " + bin);
    const std::string marker = "exile-relay: listening on 127.0.0.1:";
    const bool up = wait_until(
        [&] {
          std::ifstream in(log);
          std::string line;
          while (std::getline(in, line)) {
            if (line.starts_with(marker)) {
              port_ = static_cast<std::uint16_t>(std::stoi(line.substr(marker.size())));
              return true;
            }
          }
          return false;
        },
        std::chrono::seconds(15));
    if (!up) die("exile-relay did not start (log: " + log.string() + ")");
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  std::filesystem::path binary_;
  std::filesystem::path dir_;
  std::size_t queue_max_;
  std::vector<std::string> extra_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace exile::bench
