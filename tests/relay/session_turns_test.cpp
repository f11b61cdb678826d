// Session::handle_message_in_turns (command_handler.h): a connection's long batch does not hold
// the io thread while another connection's command waits. Two sessions share one task queue
// (their strands on one io thread): the first's read of a 200-frame batch is queued ahead of the
// second's read of one PING, and the second's PONG must come out after at most a turn of the
// first's frames, not after all of them. The turn's length: a round shared between the batches
// being handled at once, within its bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
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

// The flooder's 200 PINGs and then the legitimate PING, read in that order by one io thread,
// with `turns`: who was answered, in order, and the most batches in turns at an answer.
struct TurnRun {
  std::vector<std::pair<char, std::uint64_t>> answers;
  std::uint32_t most_batches = 0;
  std::uint32_t batches_after = 0;
};

TurnRun run_flood_and_ping(const Turns& turns) {
  TurnRun run;
  test::TempDir dir("exile-relay-turns");
  auto store = SqliteQueueStore::open(dir.file("relay.db"));
  EXPECT_TRUE(store) << store.error();
  if (!store) return run;
  ManualClock clock;
  Metrics metrics;
  SystemRng rng;
  RelayCore core(
      **store, clock, metrics, RelayLimits{}, [](std::uint64_t, Task task) { task(); }, rng);

  std::deque<Task> io_thread;  // the one io thread: every strand's handlers, in order
  auto& answers = run.answers;
  auto make = [&](char name) {
    SessionIo io;
    io.post = [&io_thread](Task task) { io_thread.push_back(std::move(task)); };
    io.send = [&answers, &run, &core, name](std::string bytes) {
      run.most_batches = std::max(run.most_batches, core.batches_in_turns());
      pb::ServerFrame frame;
      EXPECT_TRUE(frame.ParseFromString(bytes));
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
    flooder->handle_message_in_turns(as_bytes(flood), turns, [&] { flood_done = true; });
  });
  io_thread.push_back(
      [&] { legit->handle_message_in_turns(as_bytes(one), turns, [&] { legit_done = true; }); });
  while (!io_thread.empty()) {
    Task task = std::move(io_thread.front());
    io_thread.pop_front();
    task();
  }
  EXPECT_TRUE(flood_done);
  EXPECT_TRUE(legit_done);
  run.batches_after = core.batches_in_turns();
  flooder->close();
  legit->close();
  return run;
}

TEST(SessionTurnsTest, AnotherConnectionsCommandIsHandledBetweenTurnsOfALongBatch) {
  const TurnRun run = run_flood_and_ping(Turns{});  // turns of 0: one frame each
  const auto& answers = run.answers;
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
  // Both batches were in turns at once, and neither is counted once it is done.
  EXPECT_EQ(run.most_batches, 2u);
  EXPECT_EQ(run.batches_after, 0u);
}

TEST(SessionTurnsTest, ABatchAloneIsHandledInOneTurn) {
  // The flooder's batch starts alone: the whole round is its turn, and the PING read after it
  // waits for all of it (the turn's bound, not the fairness, is what is tested here).
  const TurnRun run = run_flood_and_ping(
      Turns{std::chrono::hours(1), std::chrono::nanoseconds(0), std::chrono::hours(1)});
  ASSERT_EQ(run.answers.size(), 201u);
  EXPECT_EQ(run.answers.back().first, 'L');
  EXPECT_EQ(run.most_batches, 1u);
  EXPECT_EQ(run.batches_after, 0u);
}

TEST(SessionTurnsTest, TheTurnIsTheRoundSharedBetweenBatchesWithinItsBounds) {
  using std::chrono::microseconds;
  const Turns turns{std::chrono::milliseconds(20), microseconds(20), std::chrono::milliseconds(1)};
  EXPECT_EQ(Session::turn_length(turns, 0), std::chrono::milliseconds(1));
  EXPECT_EQ(Session::turn_length(turns, 1), std::chrono::milliseconds(1));
  EXPECT_EQ(Session::turn_length(turns, 20), std::chrono::milliseconds(1));
  EXPECT_EQ(Session::turn_length(turns, 100), microseconds(200));
  EXPECT_EQ(Session::turn_length(turns, 1000), microseconds(20));
  EXPECT_EQ(Session::turn_length(turns, 2400), microseconds(20));
  // The floor wins over the ceiling.
  EXPECT_EQ(Session::turn_length(Turns{microseconds(0), microseconds(50), microseconds(10)}, 1),
            microseconds(50));
}

}  // namespace
}  // namespace exile::relay
