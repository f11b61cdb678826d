// mqtt-loadgen: the same load as exile-loadgen, against an MQTT broker at QoS 1, so that
// scripts/bench relay can compare exile-relay with mosquitto on the same pairs and payload.
//
// For each pair a subscriber client subscribes to its own topic at QoS 1 and a publisher
// client publishes QoS 1 messages to it with at most W messages not yet acknowledged by the
// broker (PUBACK). The subscriber's library sends PUBACK for every message it gets. A message
// counts as delivered and acknowledged when the subscriber has it (its PUBACK is already
// queued at that point). End-to-end latency is receive time minus the send time written into
// the payload (same process, steady clock). M idle connections (CONNECT, then only the
// library's keepalive PINGREQ every --idle-ping seconds) are opened before the pairs.
//
// All clients run on one thread: libmosquitto's own sockets in one epoll loop
// (mosquitto_loop_read/write/misc), no library threads, TCP_NODELAY on every socket. The idle
// connections are raw MQTT 3.1.1 on a plain socket (CONNECT, CONNACK, then PINGREQ): a
// libmosquitto client holds three descriptors (its socket and a wake-up socketpair), and
// 10,000 of them would not fit under this machine's hard limit of open files.
#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "loadgen_common.h"

namespace exile::loadgen {
namespace {

constexpr std::string_view kTool = "mqtt-loadgen";

enum class Role { Publisher, Subscriber, Idle };

struct Client;

struct Bench {
  Options options;
  Stats stats;
  int epoll_fd = -1;
  std::string payload;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<Client*> publishers;
  std::vector<Client*> refill;  // publishers whose window has room again
  int idle_connected = 0;
  int subscribed = 0;
  int publishers_connected = 0;
  bool running = false;  // publishers may publish
  bool stopping = false;
};

struct Client {
  Bench* bench = nullptr;
  Role role = Role::Idle;
  std::uint32_t pair = 0;
  mosquitto* mosq = nullptr;
  int fd = -1;
  bool want_out = false;  // EPOLLOUT registered
  bool alive = false;
  bool queued_refill = false;
  int inflight = 0;
  std::uint64_t seq = 0;
  std::string topic;
  // Raw idle connections (mosq == nullptr): the socket, whether CONNACK came, next PINGREQ.
  bool connecting = false;
  bool connacked = false;
  std::uint64_t next_ping_ns = 0;

  ~Client() {
    if (mosq) {
      mosquitto_destroy(mosq);
    } else if (fd >= 0) {
      close(fd);
    }
  }
};

std::string topic_of(std::uint32_t pair) { return "exile/bench/" + std::to_string(pair); }

void lost(Client& c, const char* why) {
  if (!c.alive) return;
  c.alive = false;
  if (c.fd >= 0) epoll_ctl(c.bench->epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
  if (!c.mosq && c.fd >= 0) close(c.fd);
  c.fd = -1;
  if (c.role == Role::Idle) {
    if (c.connacked) --c.bench->idle_connected;
    ++c.bench->stats.idle_failed;
  }
  if (!c.bench->stopping) c.bench->stats.error(why);
}

void on_connect(mosquitto* mosq, void* user, int rc) {
  auto& c = *static_cast<Client*>(user);
  if (rc != 0) {
    c.bench->stats.error("connack_refused");
    return;
  }
  switch (c.role) {
    case Role::Idle: ++c.bench->idle_connected; break;
    case Role::Publisher: ++c.bench->publishers_connected; break;
    case Role::Subscriber:
      if (mosquitto_subscribe(mosq, nullptr, c.topic.c_str(), 1) != MOSQ_ERR_SUCCESS) {
        c.bench->stats.error("subscribe");
      }
      break;
  }
}

void on_subscribe(mosquitto*, void* user, int, int count, const int* granted) {
  auto& c = *static_cast<Client*>(user);
  if (count != 1 || granted[0] != 1) c.bench->stats.error("suback_not_qos1");
  ++c.bench->subscribed;
}

void on_message(mosquitto*, void* user, const mosquitto_message* message) {
  auto& c = *static_cast<Client*>(user);
  const std::uint64_t now = now_ns();
  Stamp stamp;
  if (!read_stamp(message->payload, static_cast<std::size_t>(message->payloadlen), stamp)) {
    c.bench->stats.error("short_payload");
    return;
  }
  c.bench->stats.record_latency(stamp.sent_ns, now);
  c.bench->stats.check_sequence(stamp.pair, stamp.seq);
  ++c.bench->stats.delivered;
  if (c.bench->options.e2e_window && stamp.pair < c.bench->publishers.size()) {
    Client& pub = *c.bench->publishers[stamp.pair];
    --pub.inflight;
    if (!pub.queued_refill) {
      pub.queued_refill = true;
      c.bench->refill.push_back(&pub);
    }
  }
}

void on_publish(mosquitto*, void* user, int) {
  auto& c = *static_cast<Client*>(user);
  ++c.bench->stats.sent;
  if (c.bench->options.e2e_window) return;
  --c.inflight;
  if (!c.queued_refill) {
    c.queued_refill = true;
    c.bench->refill.push_back(&c);
  }
}

// Brings a client's registration in step with what the library wants to write.
void flush(Client& c) {
  if (!c.alive || !c.mosq) return;
  if (mosquitto_want_write(c.mosq)) {
    const int rc = mosquitto_loop_write(c.mosq, 64);
    if (rc != MOSQ_ERR_SUCCESS) return lost(c, "write");
  }
  const bool want = mosquitto_want_write(c.mosq);
  if (want != c.want_out) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.ptr = &c;
    epoll_ctl(c.bench->epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_out = want;
  }
}

void publish_window(Client& c) {
  Bench& b = *c.bench;
  while (b.running && c.alive && c.inflight < b.options.window) {
    stamp(b.payload.data(), c.seq++, c.pair);
    const int rc =
        mosquitto_publish(c.mosq, nullptr, c.topic.c_str(), static_cast<int>(b.payload.size()),
                          b.payload.data(), 1, false);
    if (rc != MOSQ_ERR_SUCCESS) {
      b.stats.error("publish");
      return;
    }
    ++c.inflight;
  }
  flush(c);
}

// --- Raw idle connections --------------------------------------------------------------

bool write_all(int fd, const std::uint8_t* data, std::size_t size) {
  // Tiny packets on an idle socket: the send buffer always has room.
  return send(fd, data, size, MSG_NOSIGNAL) == static_cast<ssize_t>(size);
}

void raw_send_connect(Client& c, int index) {
  const std::string id = "bench-" + std::to_string(getpid()) + "-idle-" + std::to_string(index);
  const auto keepalive =
      static_cast<std::uint16_t>(std::max(5, static_cast<int>(c.bench->options.idle_ping_s * 1.5)));
  std::vector<std::uint8_t> packet = {0x10,
                                      0,
                                      0,
                                      4,
                                      'M',
                                      'Q',
                                      'T',
                                      'T',
                                      4,
                                      0x02,
                                      static_cast<std::uint8_t>(keepalive >> 8),
                                      static_cast<std::uint8_t>(keepalive & 0xff),
                                      static_cast<std::uint8_t>(id.size() >> 8),
                                      static_cast<std::uint8_t>(id.size() & 0xff)};
  packet.insert(packet.end(), id.begin(), id.end());
  packet[1] = static_cast<std::uint8_t>(packet.size() - 2);  // < 128 bytes: one length byte
  if (!write_all(c.fd, packet.data(), packet.size())) lost(c, "idle_connect");
}

bool add_raw_idle(Bench& b, int index) {
  auto owned = std::make_unique<Client>();
  Client& c = *owned;
  c.bench = &b;
  c.role = Role::Idle;
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    b.stats.error("idle_socket");
    ++b.stats.idle_failed;
    return false;
  }
  const int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(b.options.port);
  inet_pton(AF_INET, b.options.host.c_str(), &address.sin_addr);
  c.alive = true;
  c.connecting = true;
  if (connect(c.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    lost(c, "idle_connect");
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = &c;
  epoll_ctl(b.epoll_fd, EPOLL_CTL_ADD, c.fd, &ev);
  c.seq = static_cast<std::uint64_t>(index);
  b.clients.push_back(std::move(owned));
  return true;
}

void raw_event(Client& c, std::uint32_t events) {
  Bench& b = *c.bench;
  if (c.connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return lost(c, "idle_connect");
    c.connecting = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    epoll_ctl(b.epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
    raw_send_connect(c, static_cast<int>(c.seq));
    return;
  }
  if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
  // CONNACK (20 02 00 00) first, then PINGRESPs (D0 00): read and check the first only.
  std::array<std::uint8_t, 256> buffer{};
  const ssize_t n = recv(c.fd, buffer.data(), buffer.size(), 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
    return lost(c, "idle_closed");
  }
  if (n > 0 && !c.connacked) {
    if (n < 4 || buffer[0] != 0x20 || buffer[3] != 0) return lost(c, "idle_connack_refused");
    c.connacked = true;
    ++b.idle_connected;
    // The first PINGREQ at a random point of the first period, so that pings are spread.
    c.next_ping_ns =
        now_ns() + static_cast<std::uint64_t>(b.options.idle_ping_s * 1e9 *
                                              static_cast<double>(c.seq % 1000) / 1000.0);
  }
}

void raw_ping_due(Client& c, std::uint64_t now) {
  if (!c.connacked || now < c.next_ping_ns) return;
  static constexpr std::uint8_t kPingReq[] = {0xc0, 0x00};
  if (!write_all(c.fd, kPingReq, sizeof kPingReq)) return lost(c, "idle_closed");
  c.next_ping_ns = now + static_cast<std::uint64_t>(c.bench->options.idle_ping_s * 1e9);
}

// --- libmosquitto clients --------------------------------------------------------------

Client* add_client(Bench& b, Role role, std::uint32_t pair, int index) {
  auto owned = std::make_unique<Client>();
  Client& c = *owned;
  c.bench = &b;
  c.role = role;
  c.pair = pair;
  c.topic = topic_of(pair);
  const char* kind = role == Role::Publisher ? "pub" : role == Role::Subscriber ? "sub" : "idle";
  const std::string id =
      "bench-" + std::to_string(getpid()) + "-" + kind + "-" + std::to_string(index);
  c.mosq = mosquitto_new(id.c_str(), true, &c);
  if (!c.mosq) {
    b.stats.error("mosquitto_new");
    return nullptr;
  }
  mosquitto_int_option(c.mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_int_option(c.mosq, MOSQ_OPT_TCP_NODELAY, 1);
  // The library's own limit on unacknowledged publishes (default 20) must not be the window.
  mosquitto_max_inflight_messages_set(c.mosq, static_cast<unsigned>(b.options.window) + 1);
  mosquitto_connect_callback_set(c.mosq, on_connect);
  mosquitto_subscribe_callback_set(c.mosq, on_subscribe);
  mosquitto_message_callback_set(c.mosq, on_message);
  mosquitto_publish_callback_set(c.mosq, on_publish);
  // libmosquitto takes a keepalive of 5 s or more.
  const int keepalive =
      role == Role::Idle ? std::max(5, static_cast<int>(b.options.idle_ping_s)) : 60;
  // Blocking TCP connect on loopback; CONNECT is written at once, CONNACK comes in the loop.
  if (const int rc = mosquitto_connect(c.mosq, b.options.host.c_str(), b.options.port, keepalive);
      rc != MOSQ_ERR_SUCCESS) {
    if (b.stats.errors.empty())
      std::fprintf(stderr, "mqtt-loadgen: connect: %s\n", mosquitto_strerror(rc));
    b.stats.error(role == Role::Idle ? "idle_connect" : "connect");
    if (role == Role::Idle) ++b.stats.idle_failed;
    return nullptr;
  }
  c.fd = mosquitto_socket(c.mosq);
  c.alive = true;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &c;
  epoll_ctl(b.epoll_fd, EPOLL_CTL_ADD, c.fd, &ev);
  flush(c);
  b.clients.push_back(std::move(owned));
  return &c;
}

// One pass of the event loop: waits up to timeout_ms, reads and writes what is ready, then
// refills the publishers whose window opened.
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
    if (!c.mosq) {
      raw_event(c, ev);
      continue;
    }
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      if (mosquitto_loop_read(c.mosq, 64) != MOSQ_ERR_SUCCESS) {
        lost(c, c.role == Role::Idle ? "idle_closed" : "connection_lost");
        continue;
      }
    }
    flush(c);  // PUBACKs and SUBSCRIBEs queued inside callbacks
  }
  auto pending = std::move(b.refill);
  b.refill.clear();
  for (Client* c : pending) {
    c->queued_refill = false;
    publish_window(*c);
  }
}

// loop_misc: keepalive PINGREQs and timeouts, for every client.
void housekeeping(Bench& b) {
  const std::uint64_t now = now_ns();
  for (auto& c : b.clients) {
    if (!c->alive) continue;
    if (!c->mosq) {
      raw_ping_due(*c, now);
      continue;
    }
    if (mosquitto_loop_misc(c->mosq) != MOSQ_ERR_SUCCESS) {
      lost(*c, c->role == Role::Idle ? "idle_closed" : "connection_lost");
      continue;
    }
    flush(*c);
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
  // libmosquitto holds three descriptors per client (the socket and a wake-up socketpair); the
  // raw idle connections one.
  raise_nofile(static_cast<std::size_t>(o.idle + 6 * o.pairs));
  mosquitto_lib_init();
  b.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  b.payload = make_payload(o.payload);
  const std::uint64_t setup_start = now_ns();

  // Idle connections first, in batches so that the broker's accept backlog keeps up.
  for (int i = 0; i < o.idle; ++i) {
    add_raw_idle(b, i);
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

  for (int i = 0; i < o.pairs; ++i) {
    const auto pair = static_cast<std::uint32_t>(i);
    if (!add_client(b, Role::Subscriber, pair, i)) return 1;
    Client* pub = add_client(b, Role::Publisher, pair, i);
    if (!pub) return 1;
    b.publishers.push_back(pub);
  }
  if (!run_until(
          b, [&] { return b.subscribed >= o.pairs && b.publishers_connected >= o.pairs; }, 60)) {
    std::fprintf(stderr, "mqtt-loadgen: setup timed out (%d subscribed, %d publishers)\n",
                 b.subscribed, b.publishers_connected);
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
  b.clients.clear();  // mosquitto_destroy closes the sockets without DISCONNECT
  mosquitto_lib_cleanup();
  return 0;
}

}  // namespace
}  // namespace exile::loadgen

int main(int argc, char** argv) { return exile::loadgen::run(argc, argv); }
