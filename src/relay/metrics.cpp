#include "relay/metrics.h"

#include <array>
#include <utility>

namespace exile::relay {
namespace {

struct Entry {
  const char* name;
  const char* type;
  const char* help;
  const std::atomic<std::uint64_t> Metrics::*field;
};

constexpr std::array kEntries{
    Entry{"connections_open", "gauge", "Open client connections.", &Metrics::connections_open},
    Entry{"connections_total", "counter", "Client connections accepted.",
          &Metrics::connections_total},
    Entry{"connections_refused", "counter", "Connections refused at --max-connections.",
          &Metrics::connections_refused},
    Entry{"queues", "gauge", "Queues stored.", &Metrics::queues},
    Entry{"messages_stored", "counter", "SENDs committed.", &Metrics::messages_stored},
    Entry{"messages_delivered", "counter", "Messages acked.", &Metrics::messages_delivered},
    Entry{"messages_expired", "counter", "Messages deleted unread at their TTL.",
          &Metrics::messages_expired},
    Entry{"messages_pending", "gauge", "Messages stored now.", &Metrics::messages_pending},
    Entry{"acks_free", "counter", "ACKs of pushed messages taken without a command token.",
          &Metrics::acks_free},
    Entry{"rejects_total", "counter", "Commands answered with an error.", &Metrics::rejects_total},
    Entry{"rejects_malformed", "counter", "MALFORMED answers.", &Metrics::rejects_malformed},
    Entry{"rejects_auth", "counter", "AUTH answers.", &Metrics::rejects_auth},
    Entry{"rejects_rate", "counter", "RATE_LIMITED answers.", &Metrics::rejects_rate},
    Entry{"rejects_quota", "counter", "QUOTA answers.", &Metrics::rejects_quota},
    Entry{"rejects_too_large", "counter", "TOO_LARGE answers.", &Metrics::rejects_too_large},
    Entry{"sends_held", "counter",
          "SENDs refused because an earlier SEND to their queue on the connection was.",
          &Metrics::sends_held},
    // Descriptors and connections (relay-protocol.md §6).
    Entry{"connections_refused_source", "counter",
          "Connections refused at --max-connections-per-source.",
          &Metrics::connections_refused_source},
    Entry{"accept_failures", "counter",
          "accept() failures (out of file descriptors or memory); each pauses accepting.",
          &Metrics::accept_failures},
    Entry{"readers_dropped", "counter",
          "Connections closed because their client did not read what was sent to it.",
          &Metrics::readers_dropped},
    Entry{"client_bytes_queued", "gauge",
          "Bytes queued to clients now, with store reads waiting to be pushed.",
          &Metrics::client_bytes_queued},
};

}  // namespace

void Metrics::adjust(std::atomic<std::uint64_t>& gauge, std::int64_t delta) {
  std::uint64_t old = gauge.load(std::memory_order_relaxed);
  std::uint64_t next = 0;
  do {
    if (delta >= 0) {
      next = old + static_cast<std::uint64_t>(delta);
    } else {
      const auto down = static_cast<std::uint64_t>(-delta);
      next = old > down ? old - down : 0;
    }
  } while (!gauge.compare_exchange_weak(old, next, std::memory_order_relaxed));
}

std::string Metrics::prometheus() const {
  std::string out;
  for (const Entry& e : kEntries) {
    const std::string name = std::string("exile_relay_") + e.name;
    out += "# HELP " + name + " " + e.help + "\n";
    out += "# TYPE " + name + " " + e.type + "\n";
    out += name + " " + std::to_string((this->*e.field).load(std::memory_order_relaxed)) + "\n";
  }
  return out;
}

std::string Metrics::summary() const {
  std::string out;
  for (const Entry& e : kEntries) {
    if (!out.empty()) out += ' ';
    out += e.name;
    out += '=';
    out += std::to_string((this->*e.field).load(std::memory_order_relaxed));
  }
  return out;
}

}  // namespace exile::relay
