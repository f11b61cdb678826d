// exile-cli as real child processes for the end-to-end tests (tests/e2e): one-shot commands
// (run_cli) and the JSON daemon (DaemonProcess), talked to through pipes (docs/cli.md, "Daemon").
//
// A DaemonProcess reads the daemon's stdout on a thread of its own, so that a daemon the test is
// not looking at never blocks on a full pipe: answers are kept by id, events in arrival order.
// The daemon's stderr goes to a log file (stderr_output()) so the tests can check what it holds.
// Children get PR_SET_PDEATHSIG (SIGKILL): start them from the test's main thread.
#pragma once

#include <sys/types.h>

#include <QJsonObject>
#include <QJsonValue>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace exile::test {

// The exile-cli binary the tests were built with.
std::filesystem::path cli_binary();

struct CliRun {
  int exit_code = -1;  // -1: killed (signal or timeout)
  std::string out;
  std::string err;
};

// Runs `exile-cli ARGS...` once with "NAME=value" entries added to the environment; kills it
// after `timeout`.
CliRun run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));

class DaemonProcess {
 public:
  struct Options {
    std::filesystem::path profile;
    std::string passphrase;
    std::filesystem::path stderr_log;  // appended to by every start
    std::vector<std::string> env;      // "NAME=value" added to the environment
  };

  explicit DaemonProcess(Options options);
  ~DaemonProcess();  // SIGKILL if still running
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Starts `exile-cli --profile DIR daemon` with EXILE_PASSPHRASE set. Events and answers of an
  // earlier run are dropped.
  bool start();
  // SIGKILL and reap.
  void kill();
  // Sends `quit`, waits for the answer and the exit (SIGKILL after `timeout`); the exit status
  // (-1 if it had to be killed or was not running).
  int quit(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }

  // Sends COMMAND with a fresh integer "id" and returns that id; answer() waits for it.
  std::int64_t send(QJsonObject command);
  // The answer to request `id`; on timeout or the daemon's exit, {"ok": false, "error":
  // {"name": "TestTimeout" | "TestDaemonGone", ...}}.
  QJsonObject answer(std::int64_t id,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  // send() then answer().
  QJsonObject request(QJsonObject command,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  // Writes one raw line (a '\n' is added) for malformed-input tests.
  void write_line(std::string_view line);
  // The next answer whose "id" is null (an unreadable request), if one comes in `timeout`.
  std::optional<QJsonObject> null_id_answer(std::chrono::milliseconds timeout);

  // The first event kept that matches, removed from the queue; waits up to `timeout`.
  std::optional<QJsonObject> wait_event(const std::function<bool(const QJsonObject&)>& match,
                                        std::chrono::milliseconds timeout);
  // How many events kept match (without removing them).
  std::size_t count_events(const std::function<bool(const QJsonObject&)>& match);
  void clear_events();

  // Everything the daemon wrote to stderr so far, over every start.
  [[nodiscard]] std::string stderr_output() const;
  // The last `lines` lines the daemon wrote to stdout (for failure messages).
  [[nodiscard]] std::string recent_output(std::size_t lines = 20);

 private:
  void read_loop(int fd);
  void stop_reader();

  Options options_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::thread reader_;
  std::int64_t next_id_ = 1;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool output_closed_ = false;
  std::map<std::int64_t, QJsonObject> answers_;
  std::deque<QJsonObject> null_answers_;
  std::deque<QJsonObject> events_;
  std::deque<std::string> recent_;
};

}  // namespace exile::test
