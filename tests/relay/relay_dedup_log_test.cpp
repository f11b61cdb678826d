// What a copy of relay.db shows of the dedup log (relay-protocol.md §10, threat-model.md): a
// real exile-relay process numbers, holds, writes and forgets messages of a queue, and its
// relay.db (with its WAL) is copied while it runs and again after it stops. No row of the dedup
// log (`released`) may carry a msg_id, an exact time, an id of the queue or of a message, or a
// key that a stored message's client_msg_id finds: nothing that ties a row to its queue or chains
// it to the queue's next_msg_id. Deduplication itself must go on working, across a restart too.
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "relay/support/relay_client.h"
#include "sqlite/database.h"
#include "support/relay_process.h"
#include "support/temp_dir.h"

namespace exile::test {
namespace {

using Clock = std::chrono::system_clock;

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

std::optional<pb::Msg> next_msg(RelayClient& client, std::chrono::milliseconds timeout = 10s) {
  auto push = client.next_push(timeout);
  if (!push || !push->has_msg()) {
    ADD_FAILURE() << "no Msg pushed in time: " << (push ? describe(*push) : client.error());
    return std::nullopt;
  }
  return push->msg();
}

pb::Command send_command(const TestQueue& q, const std::string& client_msg_id,
                         const std::string& body) {
  pb::Command command;
  command.mutable_send()->set_send_id(q.send_id);
  command.mutable_send()->set_client_msg_id(client_msg_id);
  command.mutable_send()->set_body(body);
  return command;
}

// Copies relay.db and its WAL (if any) into `to`; returns the copied database.
std::filesystem::path copy_database(const std::filesystem::path& data_dir,
                                    const std::filesystem::path& to) {
  std::filesystem::create_directories(to);
  for (const char* name : {"relay.db", "relay.db-wal"}) {
    if (std::filesystem::exists(data_dir / name)) {
      std::filesystem::copy_file(data_dir / name, to / name,
                                 std::filesystem::copy_options::overwrite_existing);
    }
  }
  return to / "relay.db";
}

std::int64_t count(sqlite::Database& db, const std::string& sql,
                   const std::vector<std::int64_t>& binds = {}) {
  auto statement = db.prepare(sql);
  EXPECT_TRUE(statement) << sql;
  if (!statement) return -1;
  int index = 0;
  for (std::int64_t v : binds) statement->bind(++index, v);
  auto row = statement->step();
  EXPECT_TRUE(row && *row) << sql;
  return row && *row ? statement->column_int64(0) : -1;
}

std::vector<std::string> columns_of(sqlite::Database& db, const std::string& table) {
  std::vector<std::string> out;
  auto statement = db.prepare("SELECT name FROM pragma_table_info('" + table + "')");
  EXPECT_TRUE(statement);
  if (!statement) return out;
  for (;;) {
    auto row = statement->step();
    if (!row || !*row) break;
    out.push_back(statement->column_text(0));
  }
  return out;
}

// What the test sent: the queue, and the client_msg_ids it used.
struct Sent {
  TestQueue q;
  std::vector<std::string> client_msg_ids;
};

// Every property a copy of relay.db must have. `copy` is a copy of relay.db (and its WAL);
// `since_ms` is when the test began (times of its run are looked for in the log).
void check_the_copy_links_nothing(const std::filesystem::path& copy, const Sent& sent,
                                  std::int64_t since_ms, std::size_t min_rows) {
  SCOPED_TRACE(copy.string());
  auto db = sqlite::Database::open(copy, sqlite::OpenMode::OpenExisting);
  ASSERT_TRUE(db) << db.error().message;

  const std::int64_t rows = count(*db, "SELECT count(*) FROM released");
  EXPECT_GE(rows, static_cast<std::int64_t>(min_rows)) << "the dedup log has no rows to look at";
  const std::int64_t next_msg_id = count(*db, "SELECT max(next_msg_id) FROM queues");
  EXPECT_GT(next_msg_id, 1);

  // No column (but the rowid, the table's own order) holds a msg_id the queue handed out, nor
  // a time of this test's run in milliseconds or seconds.
  const std::int64_t until_ms = unix_ms_now() + 60'000;
  for (const std::string& column : columns_of(*db, "released")) {
    if (column == "seq") continue;
    SCOPED_TRACE("column " + column);
    const std::string c = "\"" + column + "\"";
    EXPECT_EQ(count(*db,
                    "SELECT count(*) FROM released WHERE typeof(" + c + ") = 'integer' AND " + c +
                        " BETWEEN 1 AND ?1",
                    {next_msg_id - 1}),
              0)
        << "a row carries a msg_id of the queue (1 .. next_msg_id - 1)";
    EXPECT_EQ(count(*db,
                    "SELECT count(*) FROM released WHERE typeof(" + c + ") = 'integer' AND (" + c +
                        " BETWEEN ?1 AND ?2 OR " + c + " BETWEEN ?3 AND ?4)",
                    {since_ms - 60'000, until_ms, (since_ms - 60'000) / 1000, until_ms / 1000}),
              0)
        << "a row carries an exact time (ms or s)";
    // A short blob that reads as a msg_id (big- or little-endian).
    {
      auto blobs = db->prepare("SELECT " + c + " FROM released WHERE typeof(" + c +
                               ") = 'blob' AND length(" + c + ") <= 8");
      ASSERT_TRUE(blobs);
      int as_msg_id = 0;
      for (;;) {
        auto row = blobs->step();
        ASSERT_TRUE(row);
        if (!*row) break;
        const Bytes b = blobs->column_blob(0);
        std::uint64_t big = 0;
        std::uint64_t little = 0;
        for (std::size_t i = 0; i < b.size(); ++i) {
          big = (big << 8) | b[i];
          little |= std::uint64_t{b[i]} << (8 * i);
        }
        const auto last = static_cast<std::uint64_t>(next_msg_id - 1);
        if ((big >= 1 && big <= last) || (little >= 1 && little <= last)) ++as_msg_id;
      }
      EXPECT_EQ(as_msg_id, 0) << "a row carries a msg_id of the queue as bytes";
    }
    // A blob that holds an id of the queue or of one of its messages.
    std::vector<std::string> ids = {sent.q.recv_id, sent.q.send_id};
    ids.insert(ids.end(), sent.client_msg_ids.begin(), sent.client_msg_ids.end());
    for (const std::string& id : ids) {
      auto statement = db->prepare("SELECT count(*) FROM released WHERE typeof(" + c +
                                   ") = 'blob' AND instr(" + c + ", ?1) > 0");
      ASSERT_TRUE(statement);
      statement->bind(1, ByteView(as_bytes(id)));
      auto row = statement->step();
      ASSERT_TRUE(row && *row);
      EXPECT_EQ(statement->column_int64(0), 0) << "a row holds an id of the queue or a message";
    }
  }

  // A stored message's client_msg_id (in `messages`) finds no row of the log through the
  // keyed hash relay-protocol.md §10 states, under its queue's dedup_salt: the rows of messages
  // that are gone stay unlinked, as nothing in the copy opens them.
  const auto queue_columns = columns_of(*db, "queues");
  ASSERT_NE(std::find(queue_columns.begin(), queue_columns.end(), "dedup_salt"),
            queue_columns.end())
      << "the queue has no dedup salt: the log's keys are not keyed per queue";
  auto stored = db->prepare(
      "SELECT q.dedup_salt, m.client_msg_id FROM messages m JOIN queues q USING (recv_id)");
  ASSERT_TRUE(stored);
  int matched = 0;
  int looked_at = 0;
  for (;;) {
    auto row = stored->step();
    ASSERT_TRUE(row);
    if (!*row) break;
    const Bytes salt = stored->column_blob(0);
    const Bytes client_msg_id = stored->column_blob(1);
    ASSERT_EQ(salt.size(), 32U);
    const std::string label = "exile-relay-dedup-v4";
    Bytes in(label.begin(), label.end());
    in.insert(in.end(), client_msg_id.begin(), client_msg_id.end());
    std::array<std::uint8_t, 24> out{};
    crypto_generichash(out.data(), out.size(), in.data(), in.size(), salt.data(), salt.size());
    auto find = db->prepare("SELECT count(*) FROM released WHERE dedup_key = ?1");
    ASSERT_TRUE(find);
    find->bind(1, ByteView(out.data(), 16));
    auto found = find->step();
    ASSERT_TRUE(found && *found);
    matched += static_cast<int>(find->column_int64(0));
    ++looked_at;
  }
  EXPECT_GT(looked_at, 0) << "no stored message to look up";
  EXPECT_EQ(matched, 0) << "a stored message's client_msg_id finds its row of the dedup log";
}

class RelayDedupLogTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (relay_ && relay_->running()) relay_->kill();
    if (HasFailure()) {
      dir_.keep();
      std::cerr << "relay data, copies and log kept in " << dir_.path() << "\n";
    }
  }
  std::filesystem::path data_dir() const { return dir_.file("data"); }

  std::unique_ptr<RelayClient> connect() {
    auto client = std::make_unique<RelayClient>();
    if (!client->connect(relay_->port())) {
      ADD_FAILURE() << "connect failed: " << client->error();
      return nullptr;
    }
    return client;
  }

  TempDir dir_{"exile-relay-dedup"};
  std::unique_ptr<RelayProcess> relay_;
};

// Messages held for their ACK and acked in time, held and written when no ACK came (then acked,
// or left stored), and written while the recipient was away (then acked): every path that puts
// a row in the dedup log. The copies are made while the relay runs and after it stopped.
TEST_F(RelayDedupLogTest, ACopyOfTheDatabaseLinksNoDedupRowToItsQueue) {
  const std::int64_t since_ms = unix_ms_now();
  RelayProcess::Options options;
  options.data_dir = data_dir();
  options.extra_args = {"--ack-hold", "200ms"};
  relay_ = std::make_unique<RelayProcess>(options);
  ASSERT_TRUE(relay_->start()) << relay_->error();
  auto recipient = connect();
  auto sender = connect();
  ASSERT_TRUE(recipient && sender);
  Sent sent;
  ASSERT_TRUE(recipient->create_queue(sent.q, true)) << recipient->error();
  const TestQueue& q = sent.q;
  ASSERT_TRUE(recipient->sub(q.recv_id, q.recipient).has_ok());

  // Held, and acked within the hold time: only its number is written.
  std::vector<std::string> acked_in_time;
  for (int i = 0; i < 6; ++i) {
    const std::string id = random_id();
    sent.client_msg_ids.push_back(id);
    acked_in_time.push_back(id);
    const auto request = sender->send_command(send_command(q, id, "held-acked"), {&q.sender});
    ASSERT_NE(request, 0U);
    auto m = next_msg(*recipient);
    ASSERT_TRUE(m);
    ASSERT_TRUE(recipient->ack(q.recv_id, m->msg_id(), q.recipient).has_ok());
    auto ok = sender->wait_response(request);
    ASSERT_TRUE(ok.has_ok()) << describe(ok);
    EXPECT_FALSE(ok.ok().duplicate());
  }
  // Held, no ACK within the hold time: written, then answered. Three are acked later, two stay.
  std::vector<std::uint64_t> written;
  for (int i = 0; i < 5; ++i) {
    const std::string id = random_id();
    sent.client_msg_ids.push_back(id);
    auto ok = sender->send_to(q, id, "held-written");
    ASSERT_TRUE(ok.has_ok()) << describe(ok);
    auto m = next_msg(*recipient);
    ASSERT_TRUE(m);
    written.push_back(m->msg_id());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        recipient->ack(q.recv_id, written[static_cast<std::size_t>(i)], q.recipient).has_ok());
  }
  // Written while the recipient is away, then acked.
  ASSERT_TRUE(recipient->unsub(q.recv_id, q.recipient).has_ok());
  std::vector<std::string> offline;
  for (int i = 0; i < 3; ++i) {
    const std::string id = random_id();
    sent.client_msg_ids.push_back(id);
    offline.push_back(id);
    ASSERT_TRUE(sender->send_to(q, id, "offline").has_ok());
  }
  ASSERT_TRUE(recipient->sub(q.recv_id, q.recipient).has_ok());
  for (int i = 0; i < 5; ++i) {  // the two written and unacked, then the three offline ones
    auto m = next_msg(*recipient);
    ASSERT_TRUE(m);
    if (i >= 2) {
      ASSERT_TRUE(recipient->ack(q.recv_id, m->msg_id(), q.recipient).has_ok());
    }
  }

  // Deduplication goes on: every acked id is a duplicate, and a stored one too.
  auto expect_duplicates = [&](RelayClient& client) {
    for (const auto& ids : {acked_in_time, offline}) {
      for (const std::string& id : ids) {
        auto r = client.send_to(q, id, "again");
        ASSERT_TRUE(r.has_ok()) << describe(r);
        EXPECT_TRUE(r.ok().duplicate());
      }
    }
    for (std::size_t i : {0U, 4U}) {  // one acked after it was written, one still stored
      auto r = client.send_to(q, sent.client_msg_ids[acked_in_time.size() + i], "again");
      ASSERT_TRUE(r.has_ok()) << describe(r);
      EXPECT_TRUE(r.ok().duplicate());
    }
  };
  expect_duplicates(*sender);

  // 6 held and acked in time, 3 acked after they were written, 3 offline ones acked.
  check_the_copy_links_nothing(copy_database(data_dir(), dir_.file("copy-running")), sent, since_ms,
                               12);

  recipient.reset();
  sender.reset();
  EXPECT_EQ(relay_->stop(), 0);
  check_the_copy_links_nothing(copy_database(data_dir(), dir_.file("copy-stopped")), sent, since_ms,
                               12);

  // Read back from the log after a restart: still duplicates.
  ASSERT_TRUE(relay_->start()) << relay_->error();
  auto again = connect();
  ASSERT_TRUE(again);
  expect_duplicates(*again);
}

}  // namespace
}  // namespace exile::test
