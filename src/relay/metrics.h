// The relay's counters (docs/relay-protocol.md §9): atomics updated from any thread, read by the
// admin listener (Prometheus text) and by SIGUSR1 (one log line). Counts only: no identifiers.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace exile::relay {

struct Metrics {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> queues{0};  // gauge, refreshed from the store
  std::atomic<std::uint64_t> messages_stored{0};
  std::atomic<std::uint64_t> messages_delivered{0};
  std::atomic<std::uint64_t> messages_expired{0};
  std::atomic<std::uint64_t> messages_pending{0};  // gauge, refreshed from the store
  std::atomic<std::uint64_t> acks_free{0};         // ACKs let past the command rate (§6)
  std::atomic<std::uint64_t> rejects_total{0};
  std::atomic<std::uint64_t> rejects_malformed{0};
  std::atomic<std::uint64_t> rejects_auth{0};
  std::atomic<std::uint64_t> rejects_rate{0};
  std::atomic<std::uint64_t> rejects_quota{0};
  std::atomic<std::uint64_t> rejects_too_large{0};
  std::atomic<std::uint64_t> sends_held{0};  // SENDs held behind a refused one (§5)
  // Descriptors and connections (§6).
  std::atomic<std::uint64_t> connections_refused_source{0};  // at --max-connections-per-source
  std::atomic<std::uint64_t> accept_failures{0};  // accept() failed (out of descriptors, ...)
  // Connections closed because their client did not read what was sent to it (§6, "Clients
  // that do not read").
  std::atomic<std::uint64_t> readers_dropped{0};
  // Gauge: bytes queued to clients now, with store reads waiting to be pushed (§6).
  std::atomic<std::uint64_t> client_bytes_queued{0};

  // Adds `delta` (possibly negative) to a gauge without wrapping below zero.
  static void adjust(std::atomic<std::uint64_t>& gauge, std::int64_t delta);

  // Prometheus text exposition format 0.0.4, names prefixed "exile_relay_".
  [[nodiscard]] std::string prometheus() const;
  // "connections_open=1 connections_total=3 …" for the SIGUSR1 log line.
  [[nodiscard]] std::string summary() const;
};

}  // namespace exile::relay
