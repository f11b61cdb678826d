// DaemonProcess and run_cli (daemon_process.h). Everything a child needs (argv, envp, file
// descriptors) is built before fork, so the child runs async-signal-safe calls only.
#include "e2e/support/daemon_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QJsonDocument>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

extern char** environ;

namespace exile::test {
namespace {

using Clock = std::chrono::steady_clock;

struct ChildArgs {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<char*> argv;
  std::vector<char*> envp;

  ChildArgs(std::vector<std::string> arguments, const std::vector<std::string>& extra_env)
      : args(std::move(arguments)) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string_view entry(*e);
      bool overridden = false;
      for (const auto& extra : extra_env) {
        const auto eq = extra.find('=');
        if (eq != std::string::npos && entry.substr(0, eq + 1) == extra.substr(0, eq + 1)) {
          overridden = true;
        }
      }
      if (!overridden) env.emplace_back(entry);
    }
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
};

// Forks and execs; in the child, `in`, `out`, `err` become fds 0, 1, 2.
pid_t spawn(ChildArgs& child_args, int in, int out, int err) {
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child != 0) return child;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  ::setpgid(0, 0);
  ::dup2(in, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);
  ::close_range(3, ~0U, 0);
  ::execve(child_args.argv[0], child_args.argv.data(), child_args.envp.data());
  static constexpr char kExecFailed[] = "daemon_process: execve failed\n";
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, kExecFailed, sizeof kExecFailed - 1);
  ::_exit(127);
}

// Waits for `pid` up to `timeout`; SIGKILL after that. The exit code, or -1 after a signal.
int reap(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

QJsonObject failure(const char* name, const std::string& message) {
  return QJsonObject{
      {"ok", false},
      {"error",
       QJsonObject{{"name", name}, {"code", -1}, {"message", QString::fromStdString(message)}}}};
}

}  // namespace

std::filesystem::path cli_binary() { return EXILE_CLI_BINARY; }

CliRun run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env,
               std::chrono::milliseconds timeout) {
  CliRun run;
  std::vector<std::string> full{cli_binary().string()};
  full.insert(full.end(), args.begin(), args.end());
  ChildArgs child_args(std::move(full), env);
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return run;
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return run;
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = spawn(child_args, null_fd, out[1], err[1]);
  ::close(null_fd);
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    return run;
  }
  const auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&run.out, &run.err};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    const int n = ::poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  if (timed_out) ::kill(pid, SIGKILL);
  run.exit_code = reap(pid, std::chrono::milliseconds(timed_out ? 0 : 10000));
  if (timed_out) run.exit_code = -1;
  return run;
}

DaemonProcess::DaemonProcess(Options options) : options_(std::move(options)) {}

DaemonProcess::~DaemonProcess() { kill(); }

bool DaemonProcess::start() {
  if (running()) return false;
  ::signal(SIGPIPE, SIG_IGN);  // a daemon that died must not take the test with it
  {
    std::lock_guard lock(mutex_);
    answers_.clear();
    null_answers_.clear();
    events_.clear();
    output_closed_ = false;
  }
  ChildArgs child_args({cli_binary().string(), "--profile", options_.profile.string(), "daemon"},
                       [&] {
                         auto env = options_.env;
                         env.push_back("EXILE_PASSPHRASE=" + options_.passphrase);
                         return env;
                       }());
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return false;
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return false;
  }
  const int err_fd =
      ::open(options_.stderr_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const pid_t pid = spawn(child_args, in[0], out[1], err_fd < 0 ? STDERR_FILENO : err_fd);
  if (err_fd >= 0) ::close(err_fd);
  ::close(in[0]);
  ::close(out[1]);
  if (pid < 0) {
    ::close(in[1]);
    ::close(out[0]);
    return false;
  }
  pid_ = pid;
  stdin_fd_ = in[1];
  reader_ = std::thread([this, fd = out[0]] { read_loop(fd); });
  return true;
}

void DaemonProcess::read_loop(int fd) {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t start = 0;
    std::vector<QJsonObject> lines;
    std::vector<std::string> raw;
    for (auto nl = buffer.find('\n', start); nl != std::string::npos;
         nl = buffer.find('\n', start)) {
      std::string line = buffer.substr(start, nl - start);
      start = nl + 1;
      QJsonParseError error{};
      const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(line), &error);
      lines.push_back(doc.isObject()
                          ? doc.object()
                          : QJsonObject{{"test_unreadable_line", QString::fromStdString(line)}});
      raw.push_back(std::move(line));
    }
    buffer.erase(0, start);
    if (lines.empty()) continue;
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      auto& object = lines[i];
      recent_.push_back(std::move(raw[i]));
      if (recent_.size() > 200) recent_.pop_front();
      if (object.contains("event")) {
        events_.push_back(std::move(object));
      } else if (object.value("id").isDouble()) {
        answers_[object.value("id").toInteger()] = std::move(object);
      } else {
        null_answers_.push_back(std::move(object));
      }
    }
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  output_closed_ = true;
  changed_.notify_all();
}

void DaemonProcess::stop_reader() {
  if (stdin_fd_ >= 0) {
    ::close(stdin_fd_);
    stdin_fd_ = -1;
  }
  if (reader_.joinable()) reader_.join();
}

void DaemonProcess::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(pid_, std::chrono::milliseconds(10000));
    pid_ = -1;
  }
  stop_reader();
}

int DaemonProcess::quit(std::chrono::milliseconds timeout) {
  if (!running()) return -1;
  const auto id = send(QJsonObject{{"cmd", "quit"}});
  answer(id, timeout);
  // End of input too, which quits as well.
  if (stdin_fd_ >= 0) {
    ::close(stdin_fd_);
    stdin_fd_ = -1;
  }
  // While the daemon still writes to its stderr log (a sanitizer's report, which symbolizing makes
  // slow), it gets more time, up to two minutes past `timeout`: a report cut off by SIGKILL names
  // nothing.
  auto log_size = [this] {
    std::error_code ec;
    const auto n = std::filesystem::file_size(options_.stderr_log, ec);
    return ec ? std::uintmax_t{0} : n;
  };
  const auto last_chance = Clock::now() + timeout + std::chrono::minutes(2);
  auto deadline = Clock::now() + timeout;
  auto size = log_size();
  int status = -1;
  for (;;) {
    int raw = 0;
    const pid_t r = ::waitpid(pid_, &raw, WNOHANG);
    if (r == pid_) {
      status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
      break;
    }
    if (r < 0 && errno != EINTR) break;
    const auto now = Clock::now();
    if (now >= deadline) {
      if (const auto grown = log_size(); grown != size && now < last_chance) {
        size = grown;
        deadline = now + std::chrono::seconds(5);
        continue;
      }
      status = reap(pid_, std::chrono::milliseconds(0));  // SIGKILL
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  stop_reader();
  return status;
}

void DaemonProcess::write_line(std::string_view line) {
  if (stdin_fd_ < 0) return;
  std::string data(line);
  data.push_back('\n');
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(stdin_fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::int64_t DaemonProcess::send(QJsonObject command) {
  const std::int64_t id = next_id_++;
  command.insert("id", static_cast<qint64>(id));
  write_line(QJsonDocument(command).toJson(QJsonDocument::Compact).toStdString());
  return id;
}

QJsonObject DaemonProcess::answer(std::int64_t id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool got =
      changed_.wait_for(lock, timeout, [&] { return answers_.contains(id) || output_closed_; });
  if (auto it = answers_.find(id); it != answers_.end()) {
    QJsonObject object = std::move(it->second);
    answers_.erase(it);
    return object;
  }
  return got ? failure("TestDaemonGone", "the daemon's output ended before the answer")
             : failure("TestTimeout", "no answer in time");
}

QJsonObject DaemonProcess::request(QJsonObject command, std::chrono::milliseconds timeout) {
  return answer(send(std::move(command)), timeout);
}

std::optional<QJsonObject> DaemonProcess::null_id_answer(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return !null_answers_.empty() || output_closed_; });
  if (null_answers_.empty()) return std::nullopt;
  QJsonObject object = std::move(null_answers_.front());
  null_answers_.pop_front();
  return object;
}

std::optional<QJsonObject> DaemonProcess::wait_event(
    const std::function<bool(const QJsonObject&)>& match, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<QJsonObject> found;
  changed_.wait_for(lock, timeout, [&] {
    for (auto it = events_.begin(); it != events_.end(); ++it) {
      if (match(*it)) {
        found = std::move(*it);
        events_.erase(it);
        return true;
      }
    }
    return output_closed_;
  });
  return found;
}

std::size_t DaemonProcess::count_events(const std::function<bool(const QJsonObject&)>& match) {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& event : events_) {
    if (match(event)) ++n;
  }
  return n;
}

void DaemonProcess::clear_events() {
  std::lock_guard lock(mutex_);
  events_.clear();
}

std::string DaemonProcess::stderr_output() const {
  std::string content;
  std::FILE* f = std::fopen(options_.stderr_log.c_str(), "rb");
  if (f == nullptr) return content;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) content.append(buf, n);
  std::fclose(f);
  return content;
}

std::string DaemonProcess::recent_output(std::size_t lines) {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  const std::size_t from = recent_.size() > lines ? recent_.size() - lines : 0;
  for (std::size_t i = from; i < recent_.size(); ++i) out << recent_[i] << '\n';
  return out.str();
}

}  // namespace exile::test
