#include "store/database.h"

#include <utility>

#include "store/vfs.h"

namespace exile::store {
namespace {

// Exile's pragmas, applied to every connection (docs/storage.md §"Connection settings").
constexpr const char* kPragmas =
    "PRAGMA journal_mode=DELETE;"
    // EXTRA, not FULL: with journal_mode=DELETE a COMMIT ends by unlinking the journal, and
    // only EXTRA fsyncs the directory after that unlink. Under FULL a power loss right after
    // COMMIT can bring the journal back and roll the committed transaction back
    // (tests/store/power_loss_test.cpp; docs/storage.md §"Power loss").
    "PRAGMA synchronous=EXTRA;"
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA secure_delete=ON;"
    "PRAGMA mmap_size=0;"
    // 32 MiB of page cache: the search index and the recent messages of the open chats stay
    // decrypted in memory instead of being read and authenticated again on every query
    // (docs/performance.md, "Encrypted store").
    "PRAGMA cache_size=-32768;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA cell_size_check=ON;";

}  // namespace

Result<Database> open_with_vfs(const std::filesystem::path& path, const char* vfs, OpenMode mode,
                               const char* uri_params) {
  auto connection = sqlite::Database::open(path, mode, vfs, uri_params);
  if (!connection) return fail(std::move(connection).error());
  // A refusal by the exile VFS arrives as SQLITE_CANTOPEN: say what it really was.
  connection->set_error_filter(&refine_vfs_error);
  Database db(std::move(*connection));
  EXILE_TRY(db.exec(kPragmas));
  return db;
}

Result<Database> Database::open_unencrypted(const std::filesystem::path& path, OpenMode mode) {
  return open_with_vfs(path, nullptr, mode, nullptr);
}

// The connection closes before lock_ (a member, destroyed after this body) is released.
Database::~Database() { close(); }

}  // namespace exile::store
