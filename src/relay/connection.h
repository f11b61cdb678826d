// One client connection: a Beast WebSocket over TCP (loopback, plain) or over TLS, driving one
// Session (command_handler.h). Included only by server.cpp: tests and fuzzers use Session
// directly and never pay for Beast.
//
// STRAND. The socket is created on its own strand (server.cpp accepts with make_strand); every
// handler of the stream, and every task the Session posts, runs on it. Nothing here locks.
//
// STATES. start(): [TLS handshake] → WebSocket accept → Hello → read loop. A read error or a
// closed socket → teardown() (once: Session::close, counters, Server notified). close(code):
// stop reading new commands, let the queued frames go out (after a pending flush()), then the
// WebSocket close handshake.
//
// OUTGOING QUEUE. The Session hands over one serialized ServerFrame at a time; they wait in a
// queue. Every WebSocket message written is a ServerBatch (docs/relay-protocol.md §1): write()
// packs as many queued frames as fit in wire::kMaxServerMessageBytes, in order, by concatenation
// (relay/wire/batch.h), and writes it as one unfragmented WebSocket frame. Beast allows
// one write in flight; frames queued meanwhile go in the next batch. When no write is in flight,
// enqueue() does not write but posts flush() to the strand (once), so that the frames of the
// handlers already queued there (a group commit's completions) share one message and one system
// call. Pushes stop above kPushWatermark bytes queued (Session::can_push) and resume when the queue
// empties (Session::on_writable); a client that lets more than kMaxQueuedBytes pile up (it does not
// read) is disconnected. A frame counts as queued until the write of its batch completes.
//
// CLIENTS THAT DO NOT READ (docs/relay-protocol.md §6). Every connection adds its queued bytes to
// one ClientBuffers, shared by all, and so do its session's store reads for pushes while their
// results wait for the strand (SessionIo::reading). While the total is over the budget
// (--client-buffer-budget), a connection holding its share (budget / open connections) or more
// gets no more pushes until its queue empties, and one that holds more than its share and has
// had nothing taken from it for kStallTime is disconnected (at its next enqueue, or when the
// server's sweep calls enforce_budget()): its socket is reset, so the kernel drops its send queue
// at once. Its session ends like any other: its messages stay stored and are pushed again on the
// next SUB.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "relay/command_handler.h"

namespace exile::relay {

// The bytes queued to all clients together, against a budget. Thread-safe.
class ClientBuffers {
 public:
  // `connections` is the gauge of open connections (Metrics::connections_open); `queued` the
  // gauge this keeps (Metrics::client_bytes_queued).
  ClientBuffers(std::size_t budget, const std::atomic<std::uint64_t>& connections,
                std::atomic<std::uint64_t>& queued);

  void add(std::size_t bytes) { queued_.fetch_add(bytes, std::memory_order_relaxed); }
  void remove(std::size_t bytes) { queued_.fetch_sub(bytes, std::memory_order_relaxed); }
  [[nodiscard]] std::size_t queued() const { return queued_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t budget() const { return budget_; }
  [[nodiscard]] bool over_budget() const { return queued() > budget_; }
  // What one connection may hold while the budget is exceeded: budget / open connections.
  [[nodiscard]] std::size_t share() const;

 private:
  std::size_t budget_;
  const std::atomic<std::uint64_t>& connections_;
  std::atomic<std::uint64_t>& queued_;
};

struct ConnectionContext {
  RelayCore& core;
  ClientBuffers& buffers;
  std::chrono::milliseconds idle_timeout;
  std::function<void()> on_closed;  // called once per connection, on its strand
};

class Connection {
 public:
  static constexpr std::size_t kPushWatermark = 1u << 20;    // 1 MiB
  static constexpr std::size_t kMaxQueuedBytes = 16u << 20;  // 16 MiB
  // How long a client batch's frames are handled before the rest waits for the other
  // connections' turns (Session::handle_message_in_turns): 20 ms shared between the batches
  // being handled at once, each turn within 20 µs to 1 ms. A 20 µs turn for every batch cost a
  // quarter more CPU per message under the benchmark's load (more, smaller writes and commits;
  // docs/performance.md); the 20 µs floor is what 2,400 flooding connections get.
  static constexpr Turns kTurns{std::chrono::milliseconds(20), std::chrono::microseconds(20),
                                std::chrono::milliseconds(1)};
  // Nothing taken for this long, over its share of an exceeded budget: disconnected.
  static constexpr std::chrono::milliseconds kStallTime{1000};

  virtual ~Connection() = default;
  virtual void start() = 0;
  // Thread-safe: closes the connection (after its queued frames) with 1001 Going Away.
  virtual void shutdown() = 0;
  // Thread-safe: disconnects the connection if the client buffer budget is exceeded, it holds
  // more than its share, and nothing has been taken from it for kStallTime.
  virtual void enforce_budget() = 0;
};

// `socket` must have been accepted on a strand of its own.
[[nodiscard]] std::shared_ptr<Connection> make_plain_connection(boost::asio::ip::tcp::socket socket,
                                                                ConnectionContext context);
[[nodiscard]] std::shared_ptr<Connection> make_tls_connection(boost::asio::ip::tcp::socket socket,
                                                              boost::asio::ssl::context& tls,
                                                              ConnectionContext context);

}  // namespace exile::relay
