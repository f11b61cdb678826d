// Session::handle_message_in_turns (command_handler.h): a connection's long batch does not hold
// the io thread while another connection's command waits. Two sessions share one task queue
// (their strands on one io thread): the first's read of a 200-frame batch is queued ahead of the
// second's read of one PING, and the second's PONG must come out after at most a turn of the
// first's frames, not after all of them.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/rng.h"
#include "relay.pb.h"
#include "relay/command_handler.h"
#include "relay/sqlite_queue_store.h"
#include "relay/wire/batch.h"
#include "support/temp_dir.h"

namespace exile::relay {
namespace {

std::string ping_batch(std::uint64_t first_id, int frames) {
  std::string batch;
  for (int i = 0; i < frames; ++i) {
    pb::Command command;
    command.mutable_ping();
    pb::ClientFrame frame;
    frame.set_request_id(first_id + static_cast<std::uint64_t>(i));
    frame.set_command(command.SerializeAsString());
    wire::append_batch_record(batch, frame.SerializeAsString());
  }
  return batch;
}

TEST(SessionTurnsTest, AnotherConnectionsCommandIsHandledBetweenTurnsOfALongBatch) {
  test::TempDir dir("exile-relay-turns");
  auto store = SqliteQueueStore::open(dir.file("relay.db"));
  ASSERT_TRUE(store) << store.error();
  ManualClock clock;
  Metrics metrics;
  SystemRng rng;
  RelayCore core(
      **store, clock, metrics, RelayLimits{}, [](std::uint64_t, Task task) { task(); }, rng);

  std::deque<Task> io_thread;  // the one io thread: every strand's handlers, in order
  std::vector<std::pair<char, std::uint64_t>> answers;
  auto make = [&](char name) {
    SessionIo io;
    io.post = [&io_thread](Task task) { io_thread.push_back(std::move(task)); };
    io.send = [&answers, name](std::string bytes) {
      pb::ServerFrame frame;
      ASSERT_TRUE(frame.ParseFromString(bytes));
      if (frame.request_id() != 0) answers.emplace_back(name, frame.request_id());
    };
    io.close = [](CloseCode) {};
    auto session = Session::create(core, std::move(io));
    session->start();
    return session;
  };
  auto flooder = make('F');
  auto legit = make('L');
  const std::string flood = ping_batch(1, 200);
  const std::string one = ping_batch(1, 1);
  bool flood_done = false;
  bool legit_done = false;
  // Both reads completed; the flooder's first.
  io_thread.push_back([&] {
    flooder->handle_message_in_turns(as_bytes(flood), std::chrono::nanoseconds(0),
                                     [&] { flood_done = true; });
  });
  io_thread.push_back([&] {
    legit->handle_message_in_turns(as_bytes(one), std::chrono::nanoseconds(0),
                                   [&] { legit_done = true; });
  });
  while (!io_thread.empty()) {
    Task task = std::move(io_thread.front());
    io_thread.pop_front();
    task();
  }
  EXPECT_TRUE(flood_done);
  EXPECT_TRUE(legit_done);
  ASSERT_EQ(answers.size(), 201u);
  std::size_t at = 0;
  while (answers[at].first != 'L') ++at;
  // A turn of 0 handles one frame: the flooder's first, then the legitimate PING.
  EXPECT_EQ(at, 1u) << "the PING waited for " << at << " of the flooder's frames";
  // The flooder's own frames keep their order.
  std::uint64_t expected = 1;
  for (const auto& [name, id] : answers) {
    if (name == 'F') {
      EXPECT_EQ(id, expected++);
    }
  }
  flooder->close();
  legit->close();
}

}  // namespace
}  // namespace exile::relay
