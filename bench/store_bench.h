// exile_bench_store: the same store workload on plain SQLite and on the encrypted store, in
// one run (docs/performance.md §"Encrypted store").
//
// Files: store_workload.cpp holds the workload (the generated messages and the three
// operations the benchmark times: insert a batch, load the latest messages of a chat, search),
// store_bench.cpp the cases, the two ways of opening a Database (Plain/, Encrypted/) and
// main(). Every case runs the same code for both sides; only the open function differs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/database.h"

namespace exile::bench::store {

// The workload: kMessages messages of about kBodyBytes bytes of text across kChats chats,
// inserted in transactions of kBatch messages (as the engine batches incoming messages).
inline constexpr std::size_t kMessages = 100'000;
inline constexpr std::size_t kChats = 20;
inline constexpr std::size_t kBatch = 50;
inline constexpr std::size_t kBodyBytes = 100;
inline constexpr std::size_t kLatest = 50;
// The search word is in every kSearchEvery-th message (1%), and in no other.
inline constexpr std::size_t kSearchEvery = 100;
inline constexpr std::string_view kSearchWord = "quokka";
// LoadLatest50 reads this chat; Search asks for this many results (a screenful).
inline constexpr std::int64_t kLoadChat = 7;
inline constexpr std::size_t kSearchLimit = 50;

using ::exile::store::Database;
using ::exile::store::DatabaseKey;
using ::exile::store::OpenMode;

struct Message {
  std::int64_t chat_id = 0;
  std::array<std::uint8_t, 16> uid{};
  bool outgoing = false;
  std::int64_t sent_at_ms = 0;
  std::string body;
};

// Message number i (0-based) of the workload; the same bytes on every call and every run.
[[nodiscard]] Message make_message(std::size_t i);

// The store operations the cases time, on one connection. Holds its prepared statements
// (as a repository does), so it lives no longer than the Database it was made for.
class Workload {
 public:
  virtual ~Workload() = default;
  // Creates the tables (first open of a new file).
  [[nodiscard]] virtual Result<void> create_schema() = 0;
  // What an open does before the profile is usable: checks the schema is there and current.
  [[nodiscard]] virtual Result<void> check_schema() = 0;
  // Inserts messages[first, first + count) in one transaction.
  [[nodiscard]] virtual Result<void> insert_batch(std::size_t first, std::size_t count) = 0;
  // Loads the latest `limit` messages of a chat; returns how many it got.
  [[nodiscard]] virtual Result<std::size_t> latest(std::int64_t chat_id, std::size_t limit) = 0;
  // Full-text search over every chat, at most `limit` results; returns how many it got.
  [[nodiscard]] virtual Result<std::size_t> search(std::string_view query, std::size_t limit) = 0;
};

// The workload on db (which must outlive the result). Statements are prepared on first use.
[[nodiscard]] Result<std::unique_ptr<Workload>> make_workload(Database& db);
// Which code the workload goes through, for the report.
[[nodiscard]] std::string workload_path();

}  // namespace exile::bench::store
