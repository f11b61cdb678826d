// Descriptors and connections against a real exile-relay process (docs/relay-protocol.md §6,
// "Descriptors and connections"; docs/relay-protocol.md §10 for the file modes): what one
// hostile client can do to the others with descriptors and connections.
//
// - Out of file descriptors, the relay neither spins nor floods its log (its CPU time, read from
//   /proc/PID/stat, and its log stay small), and serves again once the connections close; an
//   explicit --max-connections its open-file limit cannot meet is refused at start, the
//   default is lowered.
// - One source address cannot take every connection slot; the admin port holds at most a few
//   connections and no request body.
// - The data directory, relay.db and its -wal and -shm files are 0700/0600 under umask 0000.
//
// The "bare" sockets here are TCP connections that never send a byte: the kernel completes
// their handshake into the listen backlog whether the relay accepts them or not, and the
// relay closes those it refuses at once (connection caps) or after its handshake timeout
// (15 s, longer than any test here waits).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "relay/support/relay_client.h"
#include "support/relay_process.h"
#include "support/temp_dir.h"

namespace exile::test {
namespace {

using Clock = std::chrono::steady_clock;

// User plus system CPU time of process `pid` so far, in seconds (/proc/PID/stat fields 14 and
// 15); -1 if unreadable.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::ostringstream read;
  read << in.rdbuf();
  const std::string text = read.str();
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(text.substr(paren + 1));
  std::string skip;
  for (int field = 3; field <= 13; ++field) fields >> skip;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  if (!(fields >> utime >> stime)) return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::size_t open_descriptors(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

// A TCP connection from `source` (any port) to 127.0.0.1:port that sends nothing; -1 on failure.
int bare_connect(std::uint16_t port, const char* source = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  remote.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True if the peer closed `fd` (EOF or reset) within `timeout`; data counts as not closed.
bool closed_by_peer(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// How many of `fds` the peer has closed, waiting up to `timeout` for at least `want`.
std::size_t count_closed(const std::vector<int>& fds, std::size_t want,
                         std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::size_t closed = 0;
    for (const int fd : fds) {
      if (closed_by_peer(fd, std::chrono::milliseconds(0))) ++closed;
    }
    if (closed >= want || Clock::now() >= deadline) return closed;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

class RelayLimitsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    close_sockets();
    if (relay_ && relay_->running()) relay_->kill();
    if (HasFailure()) {
      dir_.keep();
      std::cerr << "relay data and log kept in " << dir_.path() << "\n";
    }
  }

  // Starts the relay (data in dir_/data). False, with the reason in start_error_, if it did not.
  bool start(std::vector<std::string> args, std::optional<std::uint64_t> max_open_files = {},
             std::optional<std::uint64_t> open_files_soft = {}, std::vector<std::string> env = {}) {
    RelayProcess::Options options;
    options.data_dir = dir_.file("data");
    options.extra_args = std::move(args);
    options.env = std::move(env);
    options.max_open_files = max_open_files;
    options.open_files_soft = open_files_soft;
    relay_ = std::make_unique<RelayProcess>(std::move(options));
    if (relay_->start()) return true;
    start_error_ = relay_->error();
    return false;
  }

  // Opens `n` bare connections from `source`; false if one failed.
  bool open_bare(std::size_t n, std::uint16_t port, const char* source = "127.0.0.1") {
    for (std::size_t i = 0; i < n; ++i) {
      const int fd = bare_connect(port, source);
      if (fd < 0) return false;
      sockets_.push_back(fd);
    }
    return true;
  }

  void close_sockets() {
    for (const int fd : sockets_) ::close(fd);
    sockets_.clear();
  }

  // The relay's CPU seconds and log bytes over `window`.
  struct Load {
    double cpu = 0;
    std::size_t log_bytes = 0;
  };
  Load measure(std::chrono::milliseconds window) {
    const double cpu_before = cpu_seconds(relay_->pid());
    const std::size_t log_before = relay_->output().size();
    std::this_thread::sleep_for(window);
    const Load load{cpu_seconds(relay_->pid()) - cpu_before, relay_->output().size() - log_before};
    std::cout << "relay over " << window.count() << " ms: " << load.cpu << " CPU seconds, "
              << load.log_bytes << " log bytes\n";
    return load;
  }

  // A well-behaved client (from `source`, if set) connects and gets its PONG within `timeout`,
  // retrying while the relay cannot accept it yet.
  bool served(std::chrono::milliseconds timeout, const std::string& source = {}) {
    const auto deadline = Clock::now() + timeout;
    RelayClient client;
    if (!source.empty()) client.set_source_address(source);
    while (Clock::now() < deadline) {
      if (client.connect(relay_->port(), std::chrono::milliseconds(1000)) &&
          client.ping().has_pong()) {
        return true;
      }
      last_client_error_ = client.error();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // The admin port from the relay's log ("admin listener on port N"), 0 if not there.
  std::uint16_t admin_port() const {
    const std::string text = relay_->output();
    const std::string prefix = "admin listener on port ";
    const auto pos = text.find(prefix);
    if (pos == std::string::npos) return 0;
    unsigned port = 0;
    const char* begin = text.data() + pos + prefix.size();
    std::from_chars(begin, text.data() + text.size(), port);
    return static_cast<std::uint16_t>(port);
  }

  TempDir dir_{"exile-relay-limits"};
  std::unique_ptr<RelayProcess> relay_;
  std::vector<int> sockets_;
  std::string start_error_;
  std::string last_client_error_;
};

// The relay's CPU over a 3 s window under load: well under a tenth of a core. The log: a few
// lines at most (one per 10 s interval for failed accepts).
constexpr auto kWindow = std::chrono::milliseconds(3000);
constexpr double kMaxCpuSeconds = 0.3;
constexpr std::size_t kMaxLogBytes = 2048;

// The report of issue 14: `ulimit -n 128`, the default --max-connections (20,000), 160
// connections. The relay lowers its cap to what 128 descriptors allow and refuses the rest at
// accept, instead of running out of descriptors and spinning on EMFILE.
TEST_F(RelayLimitsTest, LowOpenFileLimitLowersTheDefaultCap) {
  ASSERT_TRUE(start({}, 128)) << start_error_;
  EXPECT_NE(relay_->output().find("lowered to 64 connections"), std::string::npos)
      << relay_->output();
  ASSERT_TRUE(open_bare(160, relay_->port()));
  EXPECT_GE(count_closed(sockets_, 96, std::chrono::seconds(5)), 96U)
      << "160 connections, 64 allowed: 96 closed at accept";
  const Load load = measure(kWindow);
  EXPECT_LT(load.cpu, kMaxCpuSeconds) << "CPU seconds in " << kWindow.count() << " ms";
  EXPECT_LT(load.log_bytes, kMaxLogBytes) << relay_->output().substr(0, 4096);
  close_sockets();
  EXPECT_TRUE(served(std::chrono::seconds(5))) << last_client_error_;
}

TEST_F(RelayLimitsTest, ExplicitCapBeyondTheOpenFileLimitIsRefused) {
  EXPECT_FALSE(start({"--max-connections", "100"}, 128))
      << "started with 100 connections on 128 descriptors";
  EXPECT_NE(start_error_.find("--max-connections 100 needs 164 open files"), std::string::npos)
      << start_error_;
  EXPECT_NE(start_error_.find("at most 64"), std::string::npos) << start_error_;
  // One that fits starts.
  relay_.reset();
  EXPECT_TRUE(start({"--max-connections", "64"}, 128)) << start_error_;
}

// A shell's soft limit is often far below its hard one: the relay raises the soft limit to the
// hard one, so a cap that fits the hard limit is met.
TEST_F(RelayLimitsTest, SoftOpenFileLimitIsRaisedToTheHardOne) {
  ASSERT_TRUE(start({"--max-connections", "1000"}, 4096, 128)) << start_error_;
  std::ifstream in("/proc/" + std::to_string(relay_->pid()) + "/limits");
  std::string line;
  std::string open_files;
  while (std::getline(in, line)) {
    if (line.starts_with("Max open files")) open_files = line;
  }
  std::istringstream fields(open_files.substr(std::string("Max open files").size()));
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
  fields >> soft >> hard;
  EXPECT_EQ(soft, 4096U) << open_files;
  EXPECT_EQ(hard, 4096U) << open_files;
  ASSERT_TRUE(open_bare(200, relay_->port()));
  EXPECT_EQ(count_closed(sockets_, 1, std::chrono::milliseconds(500)), 0U)
      << "200 connections under a soft limit of 128 raised to 4096";
  EXPECT_TRUE(served(std::chrono::seconds(5), "127.0.0.2")) << last_client_error_;
  EXPECT_EQ(relay_->output().find("accept failed"), std::string::npos) << relay_->output();
}

// Out of descriptors for another reason (here: the limit lowered under the running relay with
// prlimit), accept() fails with EMFILE: the relay pauses accepting, logs once per interval, and
// accepts again once descriptors are free.
TEST_F(RelayLimitsTest, FailedAcceptsPauseAndRecover) {
#ifdef EXILE_UNDER_SANITIZERS
  // Out of descriptors, UBSan's vptr check cannot test an object's memory (it opens a pipe for
  // that) and reports a valid object as invalid, once per place (error_code.hpp's category
  // call). A suppression cannot help: UBSan reads its suppressions file at its first report,
  // with no descriptor left. So this relay goes on after a vptr report (the one check built
  // recoverable: cmake/ExileSanitize.cmake); ASan and every other check still end it, and the
  // test fails on any report but the vptr check's.
  const std::vector<std::string> env{"UBSAN_OPTIONS=print_stacktrace=0:halt_on_error=0"};
#else
  const std::vector<std::string> env;
#endif
  ASSERT_TRUE(start({}, {}, {}, env));
  const pid_t pid = relay_->pid();
  const std::size_t in_use = open_descriptors(pid);
  ASSERT_GT(in_use, 0U);
  const rlimit low{in_use + 16, in_use + 16};
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &low, nullptr), 0) << std::strerror(errno);
  ASSERT_TRUE(open_bare(100, relay_->port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const Load load = measure(kWindow);
  EXPECT_LT(load.cpu, kMaxCpuSeconds) << "CPU seconds in " << kWindow.count() << " ms";
  EXPECT_LT(load.log_bytes, kMaxLogBytes) << relay_->output().substr(0, 4096);
  const std::string output = relay_->output();
  EXPECT_GE(count_of(output, "accept failed"), 1U) << "the failure is reported";
  EXPECT_LE(count_of(output, "accept failed"), 1U) << "once per 10 s:\n" << output.substr(0, 4096);
  close_sockets();
  EXPECT_TRUE(served(std::chrono::seconds(5))) << last_client_error_;
#ifdef EXILE_UNDER_SANITIZERS
  // The vptr check's false report is the only one allowed.
  std::istringstream lines(relay_->output());
  for (std::string line; std::getline(lines, line);) {
    if (line.find("runtime error:") == std::string::npos) continue;
    EXPECT_NE(line.find("which does not point to an object of type"), std::string::npos) << line;
  }
#endif
}

// With the default cap of 256 per source, 300 connections from 127.0.0.1 take 256 of 300
// slots: a client from another address (127.0.0.2) is still served, one more from 127.0.0.1
// is not.
TEST_F(RelayLimitsTest, OneSourceCannotTakeEverySlot) {
  ASSERT_TRUE(start({"--max-connections", "300"}));
  ASSERT_TRUE(open_bare(300, relay_->port()));
  EXPECT_EQ(count_closed(sockets_, 44, std::chrono::seconds(5)), 44U)
      << "300 from one source, 256 allowed";
  EXPECT_TRUE(served(std::chrono::seconds(5), "127.0.0.2")) << last_client_error_;
  RelayClient same;
  same.set_source_address("127.0.0.1");
  EXPECT_FALSE(same.connect(relay_->port(), std::chrono::seconds(2)))
      << "a 257th connection from 127.0.0.1";
  EXPECT_EQ(count_closed(sockets_, 45, std::chrono::milliseconds(200)), 44U);
}

TEST_F(RelayLimitsTest, PerSourceCapIsConfigurable) {
  ASSERT_TRUE(start({"--max-connections", "60", "--max-connections-per-source", "5"}));
  ASSERT_TRUE(open_bare(60, relay_->port()));
  EXPECT_EQ(count_closed(sockets_, 55, std::chrono::seconds(5)), 55U);
  EXPECT_TRUE(served(std::chrono::seconds(5), "127.0.0.3")) << last_client_error_;
  // Closed connections give their source's slots back.
  close_sockets();
  EXPECT_TRUE(served(std::chrono::seconds(5), "127.0.0.1")) << last_client_error_;
  // 0: no per-source cap; --max-connections alone applies.
  relay_->stop();
  ASSERT_TRUE(start({"--max-connections", "60", "--max-connections-per-source", "0"}));
  ASSERT_TRUE(open_bare(60, relay_->port()));
  EXPECT_EQ(count_closed(sockets_, 1, std::chrono::seconds(1)), 0U);
}

// The admin port: a few connections at most. Three slow ones leave room for a GET /metrics;
// with four open, a fifth is closed at once, unanswered; a request with a body is closed
// without waiting for the body.
TEST_F(RelayLimitsTest, AdminConnectionsAreCapped) {
  ASSERT_TRUE(start({"--admin", "127.0.0.1:0"}));
  const std::uint16_t admin = admin_port();
  ASSERT_NE(admin, 0) << relay_->output();
  ASSERT_TRUE(open_bare(3, admin));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string metrics =
      http_exchange(admin, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_NE(metrics.find("200 OK"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("exile_relay_connections_refused_source"), std::string::npos);
  ASSERT_TRUE(open_bare(1, admin));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int fifth = bare_connect(admin);
  ASSERT_GE(fifth, 0);
  EXPECT_TRUE(closed_by_peer(fifth, std::chrono::milliseconds(1000))) << "a fifth admin connection";
  ::close(fifth);
  // A body is refused as soon as its header is read.
  close_sockets();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int body = bare_connect(admin);
  ASSERT_GE(body, 0);
  const std::string header =
      "POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1048576\r\n\r\nxxxx";
  ASSERT_EQ(::send(body, header.data(), header.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(header.size()));
  EXPECT_TRUE(closed_by_peer(body, std::chrono::milliseconds(1000))) << "a request with a body";
  ::close(body);
}

// Under umask 0000 the relay creates its data directory (and the missing parent) 0700, and
// relay.db, -wal and -shm 0600.
TEST_F(RelayLimitsTest, DataFilesArePrivateWhateverTheUmask) {
  const auto fresh = dir_.file("fresh");
  const auto data = fresh / "data";
  const mode_t old_umask = ::umask(0);
  // RelayProcess creates its own --data directory; the later --data wins, so the relay
  // creates this one itself.
  const bool started = start({"--data", data.string()});
  ::umask(old_umask);
  ASSERT_TRUE(started) << start_error_;
  {
    RelayClient client;
    ASSERT_TRUE(client.connect(relay_->port())) << client.error();
    TestQueue q;
    ASSERT_TRUE(client.create_queue(q)) << client.error();
    ASSERT_TRUE(client.send_to(q, random_id(), "body").has_ok());
  }
  for (const auto& name : {"relay.db", "relay.db-wal", "relay.db-shm"}) {
    EXPECT_TRUE(std::filesystem::exists(data / name)) << name;
  }
  auto mode_of = [](const std::filesystem::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 07777;
  };
  EXPECT_EQ(mode_of(fresh), 0700U) << "the parent the relay created";
  EXPECT_EQ(mode_of(data), 0700U) << "the data directory";
  for (const auto& entry : std::filesystem::directory_iterator(data)) {
    EXPECT_EQ(mode_of(entry.path()), entry.is_directory() ? 0700U : 0600U) << entry.path();
  }
  relay_->stop();
  for (const auto& entry : std::filesystem::directory_iterator(data)) {
    EXPECT_EQ(mode_of(entry.path()), entry.is_directory() ? 0700U : 0600U) << entry.path();
  }
}

}  // namespace
}  // namespace exile::test
