// RelayProcess: exile-relay as a child process (relay_process.h).
//
// The child is started with fork + execve. Everything it needs (argv, envp, the log file
// descriptor) is prepared before fork, so the child runs only async-signal-safe calls: the
// tests that use this class have threads of their own.
//
// The child gets PR_SET_PDEATHSIG = SIGKILL: if the test process dies (a crash, a failed
// assertion that aborts, ctest's timeout), no relay survives it. Note that Linux ties the
// death signal to the THREAD that forked, not to the process: call start() from a thread that
// lives as long as the relay should (the test's main thread).
//
// stdout and stderr go to one log file next to the data directory (or in /tmp), opened in
// append mode so that output() holds the output of every start of this object.
#include "support/relay_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

extern char** environ;

namespace exile::test {
namespace {

// What the relay prints once it listens, before the port.
std::string listening_prefix(const std::string& host) {
  return "exile-relay: listening on " + host_in_address(host) + ":";
}

std::filesystem::path choose_log_path(const std::filesystem::path& data_dir) {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  auto absolute = std::filesystem::absolute(data_dir, ec);
  if (!ec) {
    auto parent = absolute.parent_path();
    auto name = absolute.filename().string();
    if (name.empty()) name = absolute.parent_path().filename().string();
    if (!parent.empty() && !name.empty() && std::filesystem::is_directory(parent, ec)) {
      return parent / (name + ".relay.log");
    }
  }
  return std::filesystem::path("/tmp") /
         ("exile-relay-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".log");
}

std::string read_file_from(const std::filesystem::path& path, std::uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::uintmax_t file_size_or_zero(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// The port of the first complete "listening" line in `text`, 0 if there is none yet.
std::uint16_t find_listening_port(std::string_view text, std::string_view prefix) {
  auto pos = text.find(prefix);
  while (pos != std::string_view::npos) {
    auto rest = text.substr(pos + prefix.size());
    auto end = rest.find('\n');
    if (end == std::string_view::npos) return 0;  // the line is not complete yet
    auto digits = rest.substr(0, end);
    if (!digits.empty() && digits.back() == '\r') digits.remove_suffix(1);
    unsigned value = 0;
    auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (err == std::errc() && ptr == digits.data() + digits.size() && value > 0 && value <= 65535) {
      return static_cast<std::uint16_t>(value);
    }
    pos = text.find(prefix, pos + 1);
  }
  return 0;
}

}  // namespace

std::string host_in_address(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

namespace {

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped (status " + std::to_string(status) + ")";
}

// The exit status as stop() reports it: the exit code, or 128 + signal for a signal death.
int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

RelayProcess::RelayProcess(Options options) : options_(std::move(options)) {
  port_ = options_.port;
  log_path_ = choose_log_path(options_.data_dir);
  // Start from an empty log: output() is about this object's processes only.
  std::error_code ec;
  std::filesystem::remove(log_path_, ec);
}

RelayProcess::~RelayProcess() {
  if (running()) kill();
}

std::filesystem::path RelayProcess::binary() { return EXILE_RELAY_BINARY; }

std::string RelayProcess::url() const {
  const char* scheme = options_.tls_cert.empty() ? "ws://" : "wss://";
  return scheme + (host_in_address(options_.host) + ":" + std::to_string(port_) + "/");
}

std::string RelayProcess::output() const { return read_file_from(log_path_, 0); }

bool RelayProcess::start() {
  error_.clear();
  if (running()) {
    error_ = "already running";
    return false;
  }
  if (options_.data_dir.empty()) {
    error_ = "no data directory";
    return false;
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) {
    error_ = "cannot create " + options_.data_dir.string() + ": " + ec.message();
    return false;
  }

  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    error_ = "cannot open " + log_path_.string() + ": " + std::strerror(errno);
    return false;
  }
  const std::uintmax_t log_offset = file_size_or_zero(log_path_);

  // argv and envp, built before fork.
  const std::string program = binary().string();
  std::vector<std::string> args = {program, "--listen",
                                   host_in_address(options_.host) + ":" + std::to_string(port_),
                                   "--data", options_.data_dir.string()};
  if (!options_.tls_cert.empty()) {
    args.insert(args.end(), {"--tls-cert", options_.tls_cert.string()});
  }
  if (!options_.tls_key.empty()) args.insert(args.end(), {"--tls-key", options_.tls_key.string()});
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool overridden = false;
    for (const auto& extra : options_.env) {
      auto eq = extra.find('=');
      if (eq != std::string::npos && entry.size() > eq &&
          entry.substr(0, eq + 1) == std::string_view(extra).substr(0, eq + 1)) {
        overridden = true;
        break;
      }
    }
    if (!overridden) env_storage.emplace_back(entry);
  }
  env_storage.insert(env_storage.end(), options_.env.begin(), options_.env.end());
  std::vector<char*> envp;
  envp.reserve(env_storage.size() + 1);
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  rlimit open_files{0, 0};
  if (options_.max_open_files) {
    open_files.rlim_cur = open_files.rlim_max = static_cast<rlim_t>(*options_.max_open_files);
    if (options_.open_files_soft) {
      open_files.rlim_cur = static_cast<rlim_t>(*options_.open_files_soft);
    }
  }

  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) {
    error_ = std::string("fork failed: ") + std::strerror(errno);
    ::close(log_fd);
    return false;
  }
  if (child == 0) {
    // Child: async-signal-safe calls only.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    ::setpgid(0, 0);  // ctest's or a terminal's signals go to the test, not the relay
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close_range(3, ~0U, 0);  // sockets of the test's clients must not leak into the relay
    if (open_files.rlim_max != 0 && ::setrlimit(RLIMIT_NOFILE, &open_files) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    static constexpr char kExecFailed[] = "relay_process: execve failed\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, kExecFailed, sizeof kExecFailed - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = child;

  // Wait for the "listening" line, the child's exit, or the timeout.
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  for (;;) {
    const std::string text = read_file_from(log_path_, log_offset);
    if (const std::uint16_t port = find_listening_port(text, listening_prefix(options_.host));
        port != 0) {
      if (port_ != 0 && port != port_) {
        error_ = "relay listens on port " + std::to_string(port) + ", asked for " +
                 std::to_string(port_) + "; output:\n" + text;
        kill();
        return false;
      }
      port_ = port;
      return true;
    }
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_) {
      pid_ = -1;
      error_ = "relay " + describe_status(status) + " before listening; output:\n" +
               read_file_from(log_path_, log_offset);
      return false;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill();
      error_ = "relay did not print \"" + listening_prefix(options_.host) + "PORT\" within " +
               std::to_string(options_.timeout.count()) + " ms; output:\n" +
               read_file_from(log_path_, log_offset);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int RelayProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_) {
      pid_ = -1;
      return exit_code_of(status);
    }
    if (reaped < 0 && errno == ECHILD) {  // reaped elsewhere: the status is lost
      pid_ = -1;
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      error_ =
          "relay did not exit within " + std::to_string(grace.count()) + " ms of SIGTERM; killed";
      kill();
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void RelayProcess::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::uint64_t raise_open_file_limit(std::uint64_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_max < wanted) {
    rlimit higher{wanted, wanted};
    if (::setrlimit(RLIMIT_NOFILE, &higher) == 0) return wanted;  // allowed to raise the hard one
  }
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
    (void)::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

}  // namespace exile::test
