// Test support for the schema and repository tests: a fresh database per test, migrated to
// the latest schema, on each storage backend (plain SQLite, and the encrypted VFS once
// src/store/vfs.cpp exists in the tree); and a few ready-made values.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "crypto/session.h"
#include "store/database.h"
#include "store/repo_messages.h"

namespace exile::store::test {

enum class Backend { Plain, Encrypted };

// Plain always; Encrypted when the encrypting VFS is part of this build.
[[nodiscard]] std::vector<Backend> backends();
[[nodiscard]] std::string backend_name(const ::testing::TestParamInfo<Backend>& info);

// A directory removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

[[nodiscard]] Result<Database> open_database(Backend backend, const std::filesystem::path& path);

// Opens (creating) `database.db` in a temp dir on GetParam()'s backend; SetUp migrates it.
class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  [[nodiscard]] Database& db() { return *db_; }
  [[nodiscard]] std::filesystem::path db_path() const { return dir_.path() / "database.db"; }
  // Closes and opens the file again (proves data reached the file).
  void reopen();
  // Opens without migrating (for schema tests).
  void open_unmigrated();
  // The contact "alice" and one chat with her (session "s1"): what most repository tests
  // start from. Fails the test (and returns 0) if either cannot be made.
  [[nodiscard]] ChatId add_alice_chat();

  TempDir dir_;
  std::optional<Database> db_;
};

inline constexpr std::int64_t kNowMillis = 1'700'000'000'000;
[[nodiscard]] inline UnixMillis at(std::int64_t offset_millis = 0) {
  return from_millis(kNowMillis + offset_millis);
}

[[nodiscard]] MessageUid make_uid(std::uint8_t n);
// An incoming message without timer, sent and received at at(offset_millis).
[[nodiscard]] NewMessage text_message(ChatId chat, std::uint8_t uid, std::string_view body,
                                      std::int64_t offset_millis = 0);

// A started session (initiator side) made deterministically from `seed`; `advance` extra
// encryptions give distinct states of one session.
[[nodiscard]] crypto::Session make_session(std::uint64_t seed, int advance = 0);
[[nodiscard]] Bytes state_of(const crypto::Session& session);

#define EXILE_ASSERT_OK(expr)                                                      \
  do {                                                                             \
    const auto& exile_assert_result_ = (expr);                                     \
    ASSERT_TRUE(exile_assert_result_.has_value()) << exile_assert_result_.error(); \
  } while (false)

}  // namespace exile::store::test

// Runs a parameterized store suite on every backend.
#define EXILE_STORE_TEST_SUITE(Suite)                                                              \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(::exile::store::test::backends()), \
                           ::exile::store::test::backend_name)
