// What exile-loadgen and mqtt-loadgen share, so that both sides are measured the same way:
// the options, the payload header (send time and sequence, written by the sender and read by
// the receiver in the same process, steady clock), the measurement window, the latency
// percentiles, the CPU of the load generator itself and of the server (read from /proc), and
// the report: one JSON line on stdout (scripts/bench relay reads it) and human text on stderr.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace exile::loadgen {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string path = "/";
  int pairs = 50;
  int window = 32;
  std::size_t payload = 1024;
  double warmup_s = 2.0;
  double duration_s = 10.0;
  int idle = 0;                // idle connections opened before the pairs
  double idle_ping_s = 60.0;   // each idle connection pings this often
  int connect_parallel = 256;  // idle connections being set up at once
  int server_pid = 0;          // 0: do not sample the server
  // The window counts sends the server has not acknowledged yet (Ok / PUBACK: the default,
  // as the issue states it), or with --window-mode e2e sends the receiver has not got yet.
  bool e2e_window = false;
  // Commands (exile-loadgen) or packets (mqtt-loadgen) a connection may write in one go: all it
  // has ready when its previous write completes, up to this many. 1: one per write.
  int batch = 256;
  std::string label;  // free text copied into the report
};

inline constexpr std::size_t kHeaderBytes = 20;  // be64 send ns, be64 sequence, be32 pair

inline std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

inline void put_be(std::uint8_t* p, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * (bytes - 1 - i)));
}
inline std::uint64_t get_be(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// The payload: the header, then filler that does not compress (neither side compresses, but
// ciphertext does not either).
inline std::string make_payload(std::size_t size) {
  std::string body(std::max(size, kHeaderBytes), '\0');
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (std::size_t i = kHeaderBytes; i < body.size(); ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    body[i] = static_cast<char>(x & 0xff);
  }
  return body;
}

inline void stamp(char* body, std::uint64_t seq, std::uint32_t pair) {
  auto* p = reinterpret_cast<std::uint8_t*>(body);
  put_be(p, now_ns(), 8);
  put_be(p + 8, seq, 8);
  put_be(p + 16, pair, 4);
}

struct Stamp {
  std::uint64_t sent_ns = 0;
  std::uint64_t seq = 0;
  std::uint32_t pair = 0;
};

inline bool read_stamp(const void* body, std::size_t size, Stamp& out) {
  if (size < kHeaderBytes) return false;
  const auto* p = static_cast<const std::uint8_t*>(body);
  out.sent_ns = get_be(p, 8);
  out.seq = get_be(p + 8, 8);
  out.pair = static_cast<std::uint32_t>(get_be(p + 16, 4));
  return true;
}

[[noreturn]] inline void usage(std::string_view tool, int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: %.*s --url %s://HOST:PORT%s [options]\n"
               "  --pairs N          sender/receiver pairs (50)\n"
               "  --window W         unacknowledged sends per sender (32)\n"
               "  --window-mode server|e2e  the window ends at the server's acknowledgement\n"
               "                     (Ok, PUBACK; default) or at the receiver\n"
               "  --payload BYTES    message body size, >= 20 (1024)\n"
               "  --warmup S         seconds of load before measuring (2)\n"
               "  --duration S       seconds measured (10)\n"
               "  --idle M           idle connections opened first and held (0)\n"
               "  --idle-ping S      idle connections ping this often (60)\n"
               "  --connect-parallel K  idle connections set up at once (256)\n"
               "  --batch N          commands or packets written at once, at most (256;\n"
               "                     1: one per write)\n"
               "  --server-pid PID   sample this process's CPU and memory (/proc)\n"
               "  --label TEXT       copied into the JSON report\n",
               static_cast<int>(tool.size()), tool.data(), tool == "exile-loadgen" ? "ws" : "mqtt",
               tool == "exile-loadgen" ? "[/PATH]" : "");
  std::exit(code);
}

inline bool parse_url(std::string_view url, std::string_view scheme, Options& o) {
  const std::string prefix = std::string(scheme) + "://";
  if (url.substr(0, prefix.size()) != prefix) return false;
  url.remove_prefix(prefix.size());
  const auto slash = url.find('/');
  if (slash != std::string_view::npos) {
    o.path = std::string(url.substr(slash));
    url = url.substr(0, slash);
  }
  const auto colon = url.rfind(':');
  if (colon == std::string_view::npos) return false;
  o.host = std::string(url.substr(0, colon));
  const long port = std::strtol(std::string(url.substr(colon + 1)).c_str(), nullptr, 10);
  if (port <= 0 || port > 65535) return false;
  o.port = static_cast<std::uint16_t>(port);
  return true;
}

inline Options parse_options(int argc, char** argv, std::string_view tool,
                             std::string_view scheme) {
  Options o;
  bool have_url = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") usage(tool, 0);
    if (i + 1 >= argc) usage(tool, 2);
    const std::string value = argv[++i];
    const double number = std::strtod(value.c_str(), nullptr);
    if (arg == "--url") {
      if (!parse_url(value, scheme, o)) usage(tool, 2);
      have_url = true;
    } else if (arg == "--pairs") {
      o.pairs = static_cast<int>(number);
    } else if (arg == "--window") {
      o.window = static_cast<int>(number);
    } else if (arg == "--payload") {
      o.payload = static_cast<std::size_t>(number);
    } else if (arg == "--warmup") {
      o.warmup_s = number;
    } else if (arg == "--duration") {
      o.duration_s = number;
    } else if (arg == "--idle") {
      o.idle = static_cast<int>(number);
    } else if (arg == "--idle-ping") {
      o.idle_ping_s = number;
    } else if (arg == "--connect-parallel") {
      o.connect_parallel = static_cast<int>(number);
    } else if (arg == "--window-mode") {
      if (value != "server" && value != "e2e") usage(tool, 2);
      o.e2e_window = value == "e2e";
    } else if (arg == "--batch") {
      o.batch = static_cast<int>(number);
    } else if (arg == "--server-pid") {
      o.server_pid = static_cast<int>(number);
    } else if (arg == "--label") {
      o.label = value;
    } else {
      usage(tool, 2);
    }
  }
  if (!have_url || o.pairs < 1 || o.window < 1 || o.payload < kHeaderBytes || o.duration_s <= 0 ||
      o.warmup_s < 0 || o.idle < 0 || o.idle_ping_s <= 0 || o.connect_parallel < 1 || o.batch < 1) {
    usage(tool, 2);
  }
  return o;
}

// Raises the soft limit on open files to what `needed` takes (up to the hard limit; root may
// raise the hard limit too).
inline void raise_nofile(std::size_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const auto want = static_cast<rlim_t>(needed + 256);
  if (limit.rlim_cur >= want) return;
  if (limit.rlim_max < want) {
    rlimit raised{want, want};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return;
  }
  limit.rlim_cur = std::min(want, limit.rlim_max);
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < want) {
    std::fprintf(stderr, "warning: RLIMIT_NOFILE is %llu, %zu connections need about %llu\n",
                 static_cast<unsigned long long>(limit.rlim_cur), needed,
                 static_cast<unsigned long long>(want));
  }
}

inline double self_cpu_s() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct ProcSample {
  bool ok = false;
  double cpu_s = 0;  // utime + stime, all threads
  long rss_kib = 0;
  long hwm_kib = 0;
};

inline ProcSample sample_process(int pid) {
  ProcSample s;
  if (pid <= 0) return s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  // Fields after the command name (which may hold spaces) start at field 3 (state).
  const auto close = line.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (index == 15) {
      stime = std::strtoull(field.c_str(), nullptr, 10);
      break;
    }
  }
  const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_s = static_cast<double>(utime + stime) / ticks;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) s.rss_kib = std::strtol(line.c_str() + 6, nullptr, 10);
    if (line.starts_with("VmHWM:")) s.hwm_kib = std::strtol(line.c_str() + 6, nullptr, 10);
  }
  s.ok = true;
  return s;
}

// Counters and samples of one run. Latencies are recorded only inside the measured window.
struct Stats {
  std::uint64_t delivered = 0;  // delivered and acknowledged, whole run
  std::uint64_t sent = 0;       // sends answered Ok / PUBACK, whole run
  std::vector<std::uint32_t> latency_us;
  bool measuring = false;
  std::map<std::string, std::uint64_t> errors;

  // Snapshots at the start and at the end of the measured window.
  std::uint64_t delivered_start = 0, delivered_end = 0;
  std::uint64_t sent_start = 0, sent_end = 0;
  std::uint64_t start_ns = 0, end_ns = 0;
  double cpu_start = 0, cpu_end = 0;
  ProcSample server_start, server_end;
  int idle_open = 0;      // idle connections open when the window started
  int idle_open_end = 0;  // and when it ended
  int idle_failed = 0;    // idle connections that failed to open or closed
  double setup_s = 0;     // time to open the idle connections and set up the pairs

  void record_latency(std::uint64_t sent_ns, std::uint64_t received_ns) {
    if (!measuring || received_ns < sent_ns) return;
    const std::uint64_t us = (received_ns - sent_ns) / 1000;
    latency_us.push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>(us, UINT32_MAX)));
  }

  void error(const std::string& what) { ++errors[what]; }

  // Sequence check per pair: a gap is a lost message, a step back a duplicate or a reorder.
  std::vector<std::uint64_t> next_seq;
  void check_sequence(std::uint32_t pair, std::uint64_t seq) {
    if (pair >= next_seq.size()) next_seq.resize(pair + 1, 0);
    auto& next = next_seq[pair];
    if (seq > next) error("sequence_gap");
    if (seq < next) error("sequence_duplicate_or_reorder");
    next = std::max(next, seq + 1);
  }

  void begin_window(int pid, int idle_now) {
    measuring = true;
    delivered_start = delivered;
    sent_start = sent;
    start_ns = now_ns();
    cpu_start = self_cpu_s();
    server_start = sample_process(pid);
    idle_open = idle_now;
  }
  void end_window(int pid, int idle_now) {
    measuring = false;
    delivered_end = delivered;
    sent_end = sent;
    end_ns = now_ns();
    cpu_end = self_cpu_s();
    server_end = sample_process(pid);
    idle_open_end = idle_now;
  }
};

inline double percentile_us(std::vector<std::uint32_t>& values, double p) {
  if (values.empty()) return 0;
  const auto n = values.size();
  auto index = static_cast<std::size_t>(p * static_cast<double>(n - 1) + 0.5);
  index = std::min(index, n - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return values[index];
}

inline std::string json_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out;
}

// Prints the report: human text on stderr, one JSON line on stdout.
inline void report(std::string_view tool, const Options& o, Stats& s) {
  const double seconds = static_cast<double>(s.end_ns - s.start_ns) / 1e9;
  const auto messages = s.delivered_end - s.delivered_start;
  const double rate = seconds > 0 ? static_cast<double>(messages) / seconds : 0;
  const double sent_rate =
      seconds > 0 ? static_cast<double>(s.sent_end - s.sent_start) / seconds : 0;
  const auto samples = s.latency_us.size();
  const double p50 = percentile_us(s.latency_us, 0.50);
  const double p99 = percentile_us(s.latency_us, 0.99);
  const double p999 = percentile_us(s.latency_us, 0.999);
  const double pmax = percentile_us(s.latency_us, 1.0);
  const double cpu = s.cpu_end - s.cpu_start;
  const double per_msg = messages ? cpu * 1e6 / static_cast<double>(messages) : 0;
  const bool server = s.server_start.ok && s.server_end.ok;
  const double server_cpu = server ? s.server_end.cpu_s - s.server_start.cpu_s : 0;
  const double server_per_msg = messages ? server_cpu * 1e6 / static_cast<double>(messages) : 0;
  std::uint64_t errors = 0;
  std::string error_json;
  for (const auto& [what, count] : s.errors) {
    errors += count;
    if (!error_json.empty()) error_json.push_back(',');
    error_json.push_back('"');
    error_json.append(json_escape(what));
    error_json.append("\":");
    error_json.append(std::to_string(count));
  }

  std::fprintf(
      stderr,
      "%.*s: %d pairs, window %d (%s), payload %zu B, batch %d, %d idle (%d open at start, "
      "%d at end, %d failed), setup %.1f s\n"
      "  delivered+acked %.0f msg/s over %.2f s (%llu messages; sends acked %.0f/s)\n"
      "  end-to-end latency p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us "
      "(%zu samples)\n"
      "  load generator CPU %.2f s = %.1f us/msg (%.0f%% of one core)\n",
      static_cast<int>(tool.size()), tool.data(), o.pairs, o.window,
      o.e2e_window ? "end to end" : "server acks", o.payload, o.batch, o.idle, s.idle_open,
      s.idle_open_end, s.idle_failed, s.setup_s, rate, seconds,
      static_cast<unsigned long long>(messages), sent_rate, p50, p99, p999, pmax, samples, cpu,
      per_msg, seconds > 0 ? 100 * cpu / seconds : 0);
  if (server) {
    std::fprintf(stderr,
                 "  server pid %d CPU %.2f s = %.1f us/msg (%.0f%% of one core), RSS %ld KiB, "
                 "peak RSS %ld KiB\n",
                 o.server_pid, server_cpu, server_per_msg,
                 seconds > 0 ? 100 * server_cpu / seconds : 0, s.server_end.rss_kib,
                 s.server_end.hwm_kib);
  }
  if (errors) std::fprintf(stderr, "  errors: {%s}\n", error_json.c_str());

  std::printf(
      "{\"tool\":\"%.*s\",\"label\":\"%s\",\"pairs\":%d,\"window\":%d,\"window_mode\":\"%s\","
      "\"payload\":%zu,\"batch\":%d,"
      "\"idle\":%d,\"idle_open\":%d,\"idle_open_end\":%d,\"idle_failed\":%d,\"setup_s\":%.3f,"
      "\"warmup_s\":%.3f,\"duration_s\":%.3f,\"messages\":%llu,\"msgs_per_s\":%.1f,"
      "\"sends_per_s\":%.1f,\"latency_samples\":%zu,\"p50_us\":%.0f,\"p99_us\":%.0f,"
      "\"p999_us\":%.0f,\"max_us\":%.0f,\"loadgen_cpu_s\":%.3f,\"loadgen_cpu_us_per_msg\":%.2f,"
      "\"server_pid\":%d,\"server_cpu_s\":%.3f,\"server_cpu_us_per_msg\":%.2f,"
      "\"server_rss_kib\":%ld,\"server_hwm_kib\":%ld,\"errors\":%llu,\"error_kinds\":{%s}}\n",
      static_cast<int>(tool.size()), tool.data(), json_escape(o.label).c_str(), o.pairs, o.window,
      o.e2e_window ? "e2e" : "server", o.payload, o.batch, o.idle, s.idle_open, s.idle_open_end,
      s.idle_failed, s.setup_s, o.warmup_s, seconds, static_cast<unsigned long long>(messages),
      rate, sent_rate, samples, p50, p99, p999, pmax, cpu, per_msg, server ? o.server_pid : 0,
      server_cpu, server_per_msg, server ? s.server_end.rss_kib : 0L,
      server ? s.server_end.hwm_kib : 0L, static_cast<unsigned long long>(errors),
      error_json.c_str());
  std::fflush(stdout);
}

}  // namespace exile::loadgen
