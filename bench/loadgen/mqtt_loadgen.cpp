// mqtt-loadgen: the same load as exile-loadgen, against an MQTT broker at QoS 1, so that
// scripts/bench relay can compare exile-relay with mosquitto on the same pairs and payload.
//
// For each pair a subscriber client subscribes to its own topic at QoS 1 and a publisher
// client publishes QoS 1 messages to it with at most W messages not yet acknowledged by the
// broker (PUBACK). The subscriber sends PUBACK for every message it gets. A message counts as
// delivered and acknowledged when the subscriber has it (its PUBACK is already queued at that
// point). End-to-end latency is receive time minus the send time written into the payload
// (same process, steady clock). M idle connections (CONNECT, then a PINGREQ every --idle-ping
// seconds) are opened before the pairs.
//
// Every connection speaks MQTT 3.1.1 through the minimal client below, the same for
// publishers, subscribers and idle connections: non-blocking sockets with TCP_NODELAY, one
// descriptor each, in one epoll loop on one thread. CONNECT (clean session), CONNACK; SUBSCRIBE at
// QoS 1, SUBACK; PUBLISH QoS 1 and PUBACK both ways; PINGREQ, PINGRESP. Each connection reads into
// a buffer and handles every complete packet; a partial one waits for the next read. Writes are
// coalesced as in exile-loadgen: packets are appended to the connection's output, and after
// each poll pass (all reads, callbacks and window refills of that pass) the output is written
// with one send() of up to --batch packets, several sends if more are queued. --batch 1 writes
// every packet with its own send(). What the socket does not take waits for EPOLLOUT.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen_common.h"

namespace exile::loadgen {
namespace {

constexpr std::string_view kTool = "mqtt-loadgen";

constexpr std::size_t kMaxRemainingLength = 268'435'455;  // four length bytes
constexpr int kMaxPacketIds = 65535;                      // 1..65535
constexpr std::uint16_t kSubscribeId = 1;
constexpr int kPairKeepaliveS = 60;

enum class Role { Publisher, Subscriber, Idle };

struct Client;

struct Bench {
  Options options;
  Stats stats;
  int epoll_fd = -1;
  std::string payload;
  std::vector<char> scratch = std::vector<char>(64 * 1024);  // recv buffer shared by all
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<Client*> publishers;
  std::vector<Client*> refill;  // publishers whose window has room again
  std::vector<Client*> dirty;   // connections with output to write at the end of the pass
  int idle_connected = 0;
  int subscribed = 0;
  int publishers_connected = 0;
  int pairs_lost = 0;    // publisher and subscriber connections lost
  bool running = false;  // publishers may publish
  bool stopping = false;
};

struct Client {
  Bench* bench = nullptr;
  Role role = Role::Idle;
  std::uint32_t pair = 0;
  int index = 0;  // in the client id; spreads the idle connections' pings
  int fd = -1;
  bool alive = false;
  bool connecting = false;  // TCP connect in progress
  bool connacked = false;
  bool want_out = false;  // EPOLLOUT registered
  bool queued_flush = false;
  bool queued_refill = false;
  std::string topic;
  // Input: the bytes of a packet not complete yet.
  std::string in;
  // Output: packets not written yet, from out_pos on; ends[i] is where packet i ends in out.
  std::string out;
  std::size_t out_pos = 0;
  std::vector<std::size_t> ends;
  std::size_t ends_pos = 0;
  // Publisher: messages in the window, the next sequence number, packet ids awaiting PUBACK.
  int inflight = 0;
  std::uint64_t seq = 0;
  std::vector<bool> id_used;
  int ids_used = 0;
  std::uint16_t last_id = 0;
  // Idle: the next PINGREQ.
  std::uint64_t next_ping_ns = 0;

  ~Client() {
    if (fd >= 0) close(fd);
  }
};

std::string topic_of(std::uint32_t pair) { return "exile/bench/" + std::to_string(pair); }

void lost(Client& c, const char* why) {
  if (!c.alive) return;
  Bench& b = *c.bench;
  c.alive = false;
  if (c.fd >= 0) {
    epoll_ctl(b.epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
  }
  if (c.role == Role::Idle) {
    if (c.connacked) --b.idle_connected;
    ++b.stats.idle_failed;
  } else {
    ++b.pairs_lost;
  }
  if (!b.stopping) b.stats.error(why);
}

// --- Output ----------------------------------------------------------------------------

void set_want_out(Client& c, bool want) {
  if (want == c.want_out) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  ev.data.ptr = &c;
  epoll_ctl(c.bench->epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
  c.want_out = want;
}

void schedule_flush(Client& c) {
  if (c.queued_flush) return;
  c.queued_flush = true;
  c.bench->dirty.push_back(&c);
}

std::array<char, 2> be16(std::size_t value) {
  return {static_cast<char>((value >> 8) & 0xff), static_cast<char>(value & 0xff)};
}

std::string_view view(const std::array<char, 2>& bytes) { return {bytes.data(), bytes.size()}; }

// Appends one packet to the output: the fixed header (type and flags, remaining length), then
// the parts. It is written at the end of the poll pass, or when the socket takes it again.
void put_packet(Client& c, std::uint8_t type, std::initializer_list<std::string_view> parts) {
  std::size_t remaining = 0;
  for (const auto part : parts) remaining += part.size();
  c.out.push_back(static_cast<char>(type));
  do {
    const auto digit = static_cast<std::uint8_t>(remaining & 0x7f);
    remaining >>= 7;
    c.out.push_back(static_cast<char>(remaining ? digit | 0x80 : digit));
  } while (remaining);
  for (const auto part : parts) c.out.append(part);
  c.ends.push_back(c.out.size());
  // While EPOLLOUT is registered the socket is full: the EPOLLOUT event writes it.
  if (!c.want_out) schedule_flush(c);
}

// Writes the connection's output: one send() per --batch packets, until it is all written or
// the socket is full (then EPOLLOUT).
void flush(Client& c) {
  c.queued_flush = false;
  if (!c.alive || c.connecting) return;
  const auto batch = static_cast<std::size_t>(c.bench->options.batch);
  while (c.out_pos < c.out.size()) {
    const std::size_t end = c.ends[std::min(c.ends_pos + batch, c.ends.size()) - 1];
    const ssize_t n = send(c.fd, c.out.data() + c.out_pos, end - c.out_pos, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return lost(c, c.role == Role::Idle ? "idle_closed" : "write");
    }
    c.out_pos += static_cast<std::size_t>(n);
    while (c.ends_pos < c.ends.size() && c.ends[c.ends_pos] <= c.out_pos) ++c.ends_pos;
    if (c.out_pos < end) break;  // the socket took part of it: it is full
  }
  if (c.out_pos == c.out.size()) {
    c.out.clear();
    c.ends.clear();
    c.out_pos = 0;
    c.ends_pos = 0;
  } else if (c.out_pos > c.out.size() / 2) {
    c.out.erase(0, c.out_pos);
    c.ends.erase(c.ends.begin(), c.ends.begin() + static_cast<std::ptrdiff_t>(c.ends_pos));
    for (auto& end : c.ends) end -= c.out_pos;
    c.out_pos = 0;
    c.ends_pos = 0;
  }
  set_want_out(c, c.out_pos < c.out.size());
}

// --- Packets out -------------------------------------------------------------------------

void send_connect(Client& c) {
  const Bench& b = *c.bench;
  const char* kind = c.role == Role::Publisher    ? "pub"
                     : c.role == Role::Subscriber ? "sub"
                                                  : "idle";
  const std::string id =
      "bench-" + std::to_string(getpid()) + "-" + kind + "-" + std::to_string(c.index);
  // Idle connections ping every --idle-ping seconds: the broker waits 1.5 keepalives.
  const int keepalive = c.role == Role::Idle
                            ? std::max(5, static_cast<int>(b.options.idle_ping_s * 1.5))
                            : kPairKeepaliveS;
  // Protocol name "MQTT", level 4 (3.1.1), flags: clean session.
  static constexpr std::string_view kVariableHeader{"\x00\x04MQTT\x04\x02", 8};
  const auto keepalive_bytes = be16(static_cast<std::size_t>(std::min(keepalive, 65535)));
  const auto id_length = be16(id.size());
  put_packet(c, 0x10, {kVariableHeader, view(keepalive_bytes), view(id_length), id});
}

void send_subscribe(Client& c) {
  const auto id = be16(kSubscribeId);
  const auto topic_length = be16(c.topic.size());
  static constexpr std::string_view kQos1{"\x01", 1};
  put_packet(c, 0x82, {view(id), view(topic_length), c.topic, kQos1});
}

void send_puback(Client& c, std::uint16_t id) {
  const auto id_bytes = be16(id);
  put_packet(c, 0x40, {view(id_bytes)});
}

void send_pingreq(Client& c) { put_packet(c, 0xc0, {}); }

void queue_refill(Client& pub) {
  if (pub.queued_refill) return;
  pub.queued_refill = true;
  pub.bench->refill.push_back(&pub);
}

// Fills the publisher's window with QoS 1 PUBLISHes, each with a packet id not in flight.
void publish_window(Client& c) {
  Bench& b = *c.bench;
  while (b.running && c.alive && c.connacked && c.inflight < b.options.window &&
         c.ids_used < kMaxPacketIds) {
    do {
      c.last_id = c.last_id == kMaxPacketIds ? 1 : static_cast<std::uint16_t>(c.last_id + 1);
    } while (c.id_used[c.last_id]);
    c.id_used[c.last_id] = true;
    ++c.ids_used;
    stamp(b.payload.data(), c.seq++, c.pair);
    const auto topic_length = be16(c.topic.size());
    const auto id = be16(c.last_id);
    put_packet(c, 0x32, {view(topic_length), c.topic, view(id), b.payload});
    ++c.inflight;
  }
}

// --- Packets in --------------------------------------------------------------------------

std::uint16_t get16(std::string_view data, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<std::uint8_t>(data[at]) << 8 |
                                    static_cast<std::uint8_t>(data[at + 1]));
}

void on_connack(Client& c, std::string_view body) {
  Bench& b = *c.bench;
  if (c.connacked || body.size() != 2) return lost(c, "protocol_bad_connack");
  if (body[1] != 0)
    return lost(c, c.role == Role::Idle ? "idle_connack_refused" : "connack_refused");
  c.connacked = true;
  switch (c.role) {
    case Role::Idle:
      ++b.idle_connected;
      // The first PINGREQ at a random point of the first period, so that pings are spread.
      c.next_ping_ns =
          now_ns() + static_cast<std::uint64_t>(b.options.idle_ping_s * 1e9 *
                                                static_cast<double>(c.index % 1000) / 1000.0);
      break;
    case Role::Publisher: ++b.publishers_connected; break;
    case Role::Subscriber: send_subscribe(c); break;
  }
}

void on_suback(Client& c, std::string_view body) {
  Bench& b = *c.bench;
  if (c.role != Role::Subscriber || body.size() != 3 || get16(body, 0) != kSubscribeId) {
    return lost(c, "protocol_bad_suback");
  }
  if (body[2] != 1) b.stats.error("suback_not_qos1");
  ++b.subscribed;
}

void on_puback(Client& c, std::string_view body) {
  Bench& b = *c.bench;
  if (c.role != Role::Publisher || body.size() != 2) return lost(c, "protocol_bad_puback");
  const std::uint16_t id = get16(body, 0);
  if (id == 0 || !c.id_used[id]) return lost(c, "protocol_puback_unknown_id");
  const bool ids_were_full = c.ids_used == kMaxPacketIds;
  c.id_used[id] = false;
  --c.ids_used;
  ++b.stats.sent;
  if (b.options.e2e_window) {
    if (ids_were_full) queue_refill(c);
    return;
  }
  --c.inflight;
  queue_refill(c);
}

void on_publish(Client& c, std::uint8_t flags, std::string_view body) {
  Bench& b = *c.bench;
  // QoS 1 only (bits 1-2); DUP (bit 3) and RETAIN (bit 0) may be set.
  if (c.role != Role::Subscriber || ((flags >> 1) & 0x03) != 1) {
    return lost(c, "protocol_publish_not_qos1");
  }
  if (body.size() < 2) return lost(c, "protocol_bad_publish");
  const std::size_t topic_length = get16(body, 0);
  if (body.size() < 2 + topic_length + 2) return lost(c, "protocol_bad_publish");
  if (body.substr(2, topic_length) != c.topic) return lost(c, "protocol_publish_wrong_topic");
  const std::uint16_t id = get16(body, 2 + topic_length);
  if (id == 0) return lost(c, "protocol_bad_publish");
  send_puback(c, id);
  const std::string_view message = body.substr(2 + topic_length + 2);

  const std::uint64_t now = now_ns();
  Stamp stamp;
  if (!read_stamp(message.data(), message.size(), stamp)) {
    b.stats.error("short_payload");
    return;
  }
  b.stats.record_latency(stamp.sent_ns, now);
  b.stats.check_sequence(stamp.pair, stamp.seq);
  ++b.stats.delivered;
  if (b.options.e2e_window && stamp.pair < b.publishers.size()) {
    Client& pub = *b.publishers[stamp.pair];
    --pub.inflight;
    queue_refill(pub);
  }
}

void on_packet(Client& c, std::uint8_t header, std::string_view body) {
  const auto flags = static_cast<std::uint8_t>(header & 0x0f);
  switch (header >> 4) {
    case 2: return on_connack(c, body);
    case 3: return c.connacked ? on_publish(c, flags, body) : lost(c, "protocol_early_publish");
    case 4: return on_puback(c, body);
    case 9: return on_suback(c, body);
    case 13:
      if (!body.empty()) lost(c, "protocol_bad_pingresp");
      return;
    default: return lost(c, "protocol_unexpected_packet");
  }
}

// Handles the complete packets at the start of data; returns the bytes they took.
std::size_t parse(Client& c, std::string_view data) {
  std::size_t pos = 0;
  while (c.alive && data.size() - pos >= 2) {
    // Remaining length: up to four bytes, seven bits each, least significant first.
    std::size_t remaining = 0;
    std::size_t at = pos + 1;
    for (int shift = 0;; shift += 7) {
      if (shift == 28) {
        lost(c, "protocol_bad_length");
        return data.size();
      }
      if (at == data.size()) return pos;
      const auto digit = static_cast<std::uint8_t>(data[at++]);
      remaining |= static_cast<std::size_t>(digit & 0x7f) << shift;
      if (!(digit & 0x80)) break;
    }
    if (data.size() - at < remaining) break;
    on_packet(c, static_cast<std::uint8_t>(data[pos]), data.substr(at, remaining));
    pos = at + remaining;
  }
  return pos;
}

// Reads what the socket has (64 KiB at a time) and handles every complete packet.
void on_readable(Client& c) {
  Bench& b = *c.bench;
  for (;;) {
    const ssize_t n = recv(c.fd, b.scratch.data(), b.scratch.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) return lost(c, c.role == Role::Idle ? "idle_closed" : "connection_lost");
    const auto got = static_cast<std::size_t>(n);
    if (c.in.empty()) {
      // Parsed where it was read; only a partial packet at the end is kept.
      const std::string_view data{b.scratch.data(), got};
      const std::size_t used = parse(c, data);
      if (!c.alive) return;
      c.in.assign(data.substr(used));
    } else {
      c.in.append(b.scratch.data(), got);
      const std::size_t used = parse(c, c.in);
      if (!c.alive) return;
      c.in.erase(0, used);
    }
    if (got < b.scratch.size()) return;  // the socket is drained
  }
}

// --- Connections -------------------------------------------------------------------------

// Opens a connection (non-blocking connect); CONNECT follows once it is established.
Client* add_client(Bench& b, Role role, std::uint32_t pair, int index) {
  auto owned = std::make_unique<Client>();
  Client& c = *owned;
  b.clients.push_back(std::move(owned));
  c.bench = &b;
  c.role = role;
  c.pair = pair;
  c.index = index;
  if (role != Role::Idle) c.topic = topic_of(pair);
  if (role == Role::Publisher) c.id_used.assign(kMaxPacketIds + 1, false);
  const char* connect_error = role == Role::Idle ? "idle_connect" : "connect";
  c.alive = true;
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    lost(c, role == Role::Idle ? "idle_socket" : "socket");
    return nullptr;
  }
  const int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(b.options.port);
  inet_pton(AF_INET, b.options.host.c_str(), &address.sin_addr);
  if (connect(c.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    if (role != Role::Idle && b.stats.errors.empty()) {
      std::fprintf(stderr, "mqtt-loadgen: connect: %s\n", std::strerror(errno));
    }
    lost(c, connect_error);
    return nullptr;
  }
  c.connecting = true;
  c.want_out = true;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = &c;
  epoll_ctl(b.epoll_fd, EPOLL_CTL_ADD, c.fd, &ev);
  return &c;
}

void on_connected(Client& c) {
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    if (c.role != Role::Idle && c.bench->stats.errors.empty()) {
      std::fprintf(stderr, "mqtt-loadgen: connect: %s\n", std::strerror(error));
    }
    return lost(c, c.role == Role::Idle ? "idle_connect" : "connect");
  }
  c.connecting = false;
  send_connect(c);
  schedule_flush(c);  // EPOLLOUT is still registered: put_packet left it to the flush
}

// One pass of the event loop: waits up to timeout_ms, reads what is ready and handles it,
// refills the publishers whose window opened, then writes every connection's output.
void poll_once(Bench& b, int timeout_ms) {
  std::array<epoll_event, 256> events{};
  const int n = epoll_wait(b.epoll_fd, events.data(), static_cast<int>(events.size()), timeout_ms);
  if (n < 0 && errno != EINTR) {
    std::perror("epoll_wait");
    std::exit(1);
  }
  for (int i = 0; i < n; ++i) {
    auto& c = *static_cast<Client*>(events[static_cast<std::size_t>(i)].data.ptr);
    if (!c.alive) continue;
    const auto ev = events[static_cast<std::size_t>(i)].events;
    if (c.connecting) {
      if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(c);
      continue;
    }
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
    if (c.alive && (ev & EPOLLOUT)) schedule_flush(c);
  }
  auto pending = std::move(b.refill);
  b.refill.clear();
  for (Client* c : pending) {
    c->queued_refill = false;
    publish_window(*c);
  }
  auto dirty = std::move(b.dirty);
  b.dirty.clear();
  for (Client* c : dirty) flush(*c);
  // Keep the vectors' capacity for the next pass.
  pending.clear();
  b.refill.swap(pending);
  dirty.clear();
  b.dirty.swap(dirty);
}

// The idle connections' PINGREQs, written by the next poll pass. The pairs' connections
// write all the time and need none (keepalive 60 s).
void housekeeping(Bench& b) {
  const std::uint64_t now = now_ns();
  for (auto& c : b.clients) {
    if (!c->alive || c->role != Role::Idle || !c->connacked || now < c->next_ping_ns) continue;
    send_pingreq(*c);
    c->next_ping_ns = now + static_cast<std::uint64_t>(b.options.idle_ping_s * 1e9);
  }
}

template <class Done>
bool run_until(Bench& b, Done done, double timeout_s) {
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout_s * 1e9);
  std::uint64_t next_misc = now_ns() + 1'000'000'000ULL;
  while (!done()) {
    const std::uint64_t now = now_ns();
    if (now >= deadline) return false;
    if (now >= next_misc) {
      housekeeping(b);
      next_misc = now + 1'000'000'000ULL;
    }
    poll_once(b, 10);
  }
  return true;
}

int run(int argc, char** argv) {
  Bench b;
  b.options = parse_options(argc, argv, kTool, "mqtt");
  const Options& o = b.options;
  if (o.payload > kMaxRemainingLength - 1024) {
    std::fprintf(stderr, "mqtt-loadgen: --payload is above MQTT's packet size limit\n");
    return 2;
  }
  raise_nofile(static_cast<std::size_t>(o.idle + 2 * o.pairs));
  b.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  b.payload = make_payload(o.payload);
  const std::uint64_t setup_start = now_ns();

  // Idle connections first, in batches so that the broker's accept backlog keeps up.
  for (int i = 0; i < o.idle; ++i) {
    add_client(b, Role::Idle, 0, i);
    if ((i + 1) % o.connect_parallel == 0) {
      run_until(
          b, [&] { return b.idle_connected + b.stats.idle_failed >= i + 1; }, 30);
    }
  }
  if (!run_until(
          b, [&] { return b.idle_connected + b.stats.idle_failed >= o.idle; }, 120)) {
    std::fprintf(stderr, "mqtt-loadgen: only %d of %d idle connections opened\n", b.idle_connected,
                 o.idle);
  }

  // Then the pairs, also in batches. A pair connection that fails ends the run.
  const auto pairs_ready = [&](int pairs) {
    return b.pairs_lost > 0 || (b.subscribed >= pairs && b.publishers_connected >= pairs);
  };
  const int pairs_parallel = std::max(1, o.connect_parallel / 2);
  for (int i = 0; i < o.pairs && b.pairs_lost == 0; ++i) {
    const auto pair = static_cast<std::uint32_t>(i);
    add_client(b, Role::Subscriber, pair, i);
    b.publishers.push_back(add_client(b, Role::Publisher, pair, i));
    if ((i + 1) % pairs_parallel == 0) {
      run_until(
          b, [&] { return pairs_ready(i + 1); }, 30);
    }
  }
  if (!run_until(
          b, [&] { return pairs_ready(o.pairs); }, 60) ||
      b.pairs_lost > 0) {
    std::string errors;
    for (const auto& [what, count] : b.stats.errors) {
      errors += " " + what + "=" + std::to_string(count);
    }
    std::fprintf(stderr, "mqtt-loadgen: setup failed (%d subscribed, %d publishers, %d lost)%s\n",
                 b.subscribed, b.publishers_connected, b.pairs_lost, errors.c_str());
    return 1;
  }
  b.stats.setup_s = static_cast<double>(now_ns() - setup_start) / 1e9;

  b.running = true;
  for (Client* pub : b.publishers) publish_window(*pub);
  const std::uint64_t start = now_ns();
  const auto warm = start + static_cast<std::uint64_t>(o.warmup_s * 1e9);
  const auto end = warm + static_cast<std::uint64_t>(o.duration_s * 1e9);
  run_until(
      b, [&] { return now_ns() >= warm; }, o.warmup_s + 1);
  b.stats.latency_us.reserve(1u << 20);
  b.stats.begin_window(o.server_pid, b.idle_connected);
  run_until(
      b, [&] { return now_ns() >= end; }, o.duration_s + 1);
  b.stats.end_window(o.server_pid, b.idle_connected);
  b.running = false;
  b.stopping = true;

  report(kTool, o, b.stats);
  b.clients.clear();  // closes the sockets without DISCONNECT
  return 0;
}

}  // namespace
}  // namespace exile::loadgen

int main(int argc, char** argv) { return exile::loadgen::run(argc, argv); }
