// exile_sqlite's statement cache (sqlite/database.h): a Statement that ends goes back to its
// connection reset and unbound, the next prepare() of the same SQL text reuses it, two uses of
// one text at once each get their own statement, and a cached statement holds no lock.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <optional>
#include <string>

#include "sqlite/database.h"
#include "support/temp_dir.h"

namespace exile::sqlite {
namespace {

int statements_on(const Database& db) {
  int count = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db.handle(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db.handle(), s)) {
    ++count;
  }
  return count;
}

class StatementCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::open(dir_.file("cache.db"), OpenMode::CreateIfMissing);
    ASSERT_TRUE(opened.has_value()) << opened.error();
    db_.emplace(std::move(*opened));
    ASSERT_TRUE(db_->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);"));
  }

  Database& db() { return *db_; }

  test::TempDir dir_{"exile-statement-cache"};
  std::optional<Database> db_;
};

TEST_F(StatementCacheTest, ASecondPrepareOfOneTextReusesTheStatementWithoutItsBindings) {
  constexpr std::string_view kSql = "SELECT ?1";
  {
    auto statement = db().prepare(kSql);
    ASSERT_TRUE(statement.has_value());
    statement->bind(1, std::int64_t{42});
    ASSERT_TRUE(*statement->step());
    EXPECT_EQ(statement->column_int64(0), 42);
  }
  EXPECT_EQ(statements_on(db()), 1);
  for (int i = 0; i < 5; ++i) {
    auto statement = db().prepare(kSql);
    ASSERT_TRUE(statement.has_value());
    ASSERT_TRUE(*statement->step());
    EXPECT_TRUE(statement->column_is_null(0)) << "a reused statement kept a bound value";
  }
  EXPECT_EQ(statements_on(db()), 1) << "the statement was compiled again";
}

TEST_F(StatementCacheTest, TwoUsesOfOneTextAtOnceAreIndependent) {
  constexpr std::string_view kSql = "SELECT x FROM t ORDER BY x";
  {
    auto first = db().prepare(kSql);
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(*first->step());
    EXPECT_EQ(first->column_int64(0), 1);
    {
      auto second = db().prepare(kSql);
      ASSERT_TRUE(second.has_value());
      ASSERT_TRUE(*second->step());
      EXPECT_EQ(second->column_int64(0), 1);
      ASSERT_TRUE(*second->step());
      EXPECT_EQ(second->column_int64(0), 2);
    }
    ASSERT_TRUE(*first->step());
    EXPECT_EQ(first->column_int64(0), 2) << "the first use was reset by the second";
    EXPECT_EQ(statements_on(db()), 2);
  }
  EXPECT_EQ(statements_on(db()), 1) << "both were kept, or neither";
}

TEST_F(StatementCacheTest, AStatementLeftMidRowsHoldsNoLockOnceItEnds) {
  {
    auto reader = db().prepare("SELECT x FROM t");
    ASSERT_TRUE(reader.has_value());
    ASSERT_TRUE(*reader->step());  // a read lock while it is here
  }
  auto other = Database::open(dir_.file("cache.db"), OpenMode::OpenExisting);
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(other->exec("PRAGMA busy_timeout=0"));
  auto writes = other->exec("BEGIN IMMEDIATE; INSERT INTO t VALUES (4); COMMIT;");
  EXPECT_TRUE(writes.has_value()) << "the cached statement still holds its read lock";
}

TEST_F(StatementCacheTest, ACachedStatementFollowsASchemaChange) {
  constexpr std::string_view kSql = "SELECT * FROM t";
  {
    auto statement = db().prepare(kSql);
    ASSERT_TRUE(statement.has_value());
    ASSERT_TRUE(*statement->step());
  }
  ASSERT_TRUE(db().exec("ALTER TABLE t ADD COLUMN y TEXT DEFAULT 'added'"));
  auto statement = db().prepare(kSql);
  ASSERT_TRUE(statement.has_value());
  ASSERT_TRUE(*statement->step());
  EXPECT_EQ(statement->column_text(1), "added");
}

TEST_F(StatementCacheTest, ManyTextsAreBoundedAndEveryOneWorks) {
  for (std::size_t i = 0; i < Database::kCachedStatements + 50; ++i) {
    auto statement = db().prepare("SELECT " + std::to_string(i));
    ASSERT_TRUE(statement.has_value());
    ASSERT_TRUE(*statement->step());
    EXPECT_EQ(statement->column_int64(0), static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(statements_on(db()), static_cast<int>(Database::kCachedStatements));
  auto bad = db().prepare("SELECT FROM nowhere");
  EXPECT_FALSE(bad.has_value());
  db().close();  // finalizes what it kept
  EXPECT_EQ(db().handle(), nullptr);
}

TEST_F(StatementCacheTest, AStatementThatOutlivesItsConnectionIsFinalizedWhenItEnds) {
  // A repository may keep a statement past its database's close (a test reopening the file):
  // the statement then finds its cache gone and is finalized (ASan checks that nothing freed
  // is touched).
  std::optional<Statement> kept;
  {
    auto statement = db().prepare("SELECT x FROM t");
    ASSERT_TRUE(statement.has_value());
    ASSERT_TRUE(*statement->step());
    kept.emplace(std::move(*statement));
  }
  auto idle = db().prepare("SELECT 2");  // and one more, idle in the cache at close
  ASSERT_TRUE(idle.has_value());
  idle = db().prepare("SELECT 3");
  db_.reset();  // closes: the idle one is finalized, the kept one is not the cache's any more
  kept.reset();
  auto reopened = Database::open(dir_.file("cache.db"), OpenMode::OpenExisting);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_TRUE(reopened->exec("INSERT INTO t VALUES (5)").has_value());
}

}  // namespace
}  // namespace exile::sqlite
