// Profile directory: create, unlock, change passphrase, rotate the database key.
// The states and the crash-safety argument are in profile_store.h and docs/storage.md.
#include "store/profile_store.h"

#include <array>
#include <cerrno>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "common/rng.h"
#include "store/profile_fs.h"
#include "store/vfs.h"

namespace exile::store {
namespace {

namespace fs = std::filesystem;

// Every file-system change outside SQLite goes through profile_file_system() (profile_fs.h),
// so that the power-loss test sees it.
Result<void> sync_file(const fs::path& path) {
  if (profile_file_system().sync_file(path) != 0) {
    return fail(ErrorCode::StorageIo, "cannot sync a profile file");
  }
  return {};
}

Result<void> sync_directory(const fs::path& dir) {
  if (profile_file_system().sync_directory(dir) != 0) {
    return fail(ErrorCode::StorageIo, "cannot sync the profile directory");
  }
  return {};
}

Result<void> remove_if_present(const fs::path& path) {
  if (profile_file_system().remove_file(path) != 0) {
    return fail(ErrorCode::StorageIo, "cannot remove a leftover profile file");
  }
  return {};
}

Result<void> rename_file(const fs::path& from, const fs::path& to) {
  if (profile_file_system().rename_file(from, to) != 0) {
    return fail(ErrorCode::StorageIo, "cannot rename a profile file");
  }
  return {};
}

fs::path with_suffix(const fs::path& path, std::string_view suffix) {
  return fs::path(path.string() + std::string(suffix));
}

bool file_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// Opens the database and reads its schema page: the cheapest full check that `key` opens it.
Result<void> probe_database(const fs::path& path, const DatabaseKey& key) {
  auto db = Database::open(path, key, OpenMode::OpenExisting);
  if (!db) return fail(std::move(db).error());
  return db->exec("SELECT count(*) FROM sqlite_schema");
}

DatabaseKey random_database_key() {
  DatabaseKey key;
  SystemRng().fill(key.span());
  return key;
}

}  // namespace

struct ProfileStore::Unlocked {
  KeyFile file;
  KeyEncryptionKey kek;
  std::vector<DatabaseKey> keys;  // one per slot
};

ProfileStore::ProfileStore(fs::path dir, StepHook hook)
    : dir_(std::move(dir)), hook_(std::move(hook)) {}

fs::path ProfileStore::database_path() const { return dir_ / kDatabaseFileName; }
fs::path ProfileStore::key_file_path() const { return dir_ / kKeyFileName; }

// NotFound for a directory that is not there: a profile is made by create(), not by opening.
Result<ProfileLock> ProfileStore::acquire_lock() const {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return fail(ErrorCode::NotFound, "no profile directory");
  return ProfileLock::acquire(dir_);
}

void ProfileStore::step(std::string_view name) const {
  if (hook_) hook_(name);
}

Result<ProfileStore::Unlocked> ProfileStore::open_key_file(const SecureBytes& passphrase) const {
  auto bytes = read_key_file(key_file_path());
  if (!bytes) return fail(std::move(bytes).error());
  auto file = parse_key_file(*bytes);
  if (!file) return fail(std::move(file).error());
  auto kek = derive_key_encryption_key(passphrase, file->params, file->salt);
  if (!kek) return fail(std::move(kek).error());
  step("key derived");
  Unlocked unlocked{std::move(*file), std::move(*kek), {}};
  for (std::size_t i = 0; i < unlocked.file.slots.size(); ++i) {
    auto key = unwrap_slot(unlocked.file, i, unlocked.kek);
    if (!key) {
      // Slot 0 failing is a wrong passphrase. A later slot failing under a key that opened
      // slot 0 means the file was altered and its checksum recomputed.
      if (i == 0) return fail(std::move(key).error());
      return fail(ErrorCode::KeyFileCorrupt, "key file slot does not open");
    }
    unlocked.keys.push_back(std::move(*key));
  }
  return unlocked;
}

Result<void> ProfileStore::write_key_file(const Unlocked& unlocked,
                                          std::span<const DatabaseKey* const> keys,
                                          std::string_view step_name) const {
  SystemRng rng;
  auto file = wrap_keys(unlocked.file.params, unlocked.file.salt, unlocked.kek, keys, rng);
  if (!file) return fail(std::move(file).error());
  const Bytes bytes = serialize_key_file(*file);
  const fs::path target = key_file_path();
  const fs::path temp = with_suffix(target, ".tmp");
  if (const int err = profile_file_system().write_synced_file(temp, bytes); err != 0) {
    (void)remove_if_present(temp);
    return fail(err == ENOSPC ? ErrorCode::DiskFull : ErrorCode::StorageIo,
                "cannot write the new key file");
  }
  step(std::string(step_name) + ": temp synced");
  EXILE_TRY(rename_file(temp, target));
  step(std::string(step_name) + ": renamed");
  EXILE_TRY(sync_directory(dir_));
  step(std::string(step_name) + ": directory synced");
  return {};
}

Result<DatabaseKey> ProfileStore::settle(Unlocked& unlocked) const {
  const fs::path rotating = dir_ / kRotatingDatabaseFileName;
  if (unlocked.keys.size() == 1) {
    // Debris of a rotation that never committed: exile.db is still the database.
    EXILE_TRY(remove_if_present(with_suffix(rotating, "-journal")));
    EXILE_TRY(remove_if_present(rotating));
    return std::move(unlocked.keys[0]);
  }
  if (file_exists(rotating)) {
    // Committed but not swapped. The copy was complete and synced before the two-slot key file
    // existed; check that it opens anyway, and fall back to the old database if it does not.
    auto readable = probe_database(rotating, unlocked.keys[1]);
    if (!readable && readable.error().code != ErrorCode::DatabaseCorrupt) {
      return fail(std::move(readable).error());
    }
    if (!readable) {
      EXILE_TRY(remove_if_present(with_suffix(rotating, "-journal")));
      EXILE_TRY(remove_if_present(rotating));
      EXILE_TRY(sync_directory(dir_));
      const DatabaseKey* old_key[] = {&unlocked.keys[0]};
      EXILE_TRY(write_key_file(unlocked, old_key, "rollback key file"));
      return std::move(unlocked.keys[0]);
    }
    EXILE_TRY(rename_file(rotating, database_path()));
    EXILE_TRY(sync_directory(dir_));
  }
  const DatabaseKey* new_key[] = {&unlocked.keys[1]};
  EXILE_TRY(write_key_file(unlocked, new_key, "settled key file"));
  return std::move(unlocked.keys[1]);
}

Result<void> ProfileStore::create(const SecureBytes& passphrase, const KdfParams& params) {
  EXILE_TRY(check_writable_params(params));
  std::error_code ec;
  if (!fs::exists(dir_, ec)) {
    fs::create_directories(dir_, ec);
    if (ec) return fail(ErrorCode::StorageIo, "cannot create the profile directory");
  }
  auto lock = ProfileLock::acquire(dir_);  // also makes the directory 0700
  if (!lock) return fail(std::move(lock).error());
  if (file_exists(key_file_path())) {
    return fail(ErrorCode::InvalidArgument, "the profile already exists");
  }
  SystemRng rng;
  Unlocked unlocked{KeyFile{params, {}, {}}, KeyEncryptionKey(), {}};
  rng.fill(unlocked.file.salt);
  auto kek = derive_key_encryption_key(passphrase, params, unlocked.file.salt);
  if (!kek) return fail(std::move(kek).error());
  unlocked.kek = std::move(*kek);
  const DatabaseKey key = random_database_key();
  // A database without a key file is unreadable by anyone: the debris of a create that died.
  for (const char* suffix : {"", "-journal"}) {
    EXILE_TRY(remove_if_present(with_suffix(database_path(), suffix)));
  }
  EXILE_TRY(remove_if_present(dir_ / kRotatingDatabaseFileName));
  {
    auto db = Database::open(database_path(), key, OpenMode::CreateIfMissing);
    if (!db) return fail(std::move(db).error());
  }
  if (file_exists(database_path())) EXILE_TRY(sync_file(database_path()));
  EXILE_TRY(sync_directory(dir_));
  const DatabaseKey* keys[] = {&key};
  return write_key_file(unlocked, keys, "key file");
}

Result<Database> ProfileStore::unlock(const SecureBytes& passphrase) {
  auto lock = acquire_lock();
  if (!lock) return fail(std::move(lock).error());
  auto unlocked = open_key_file(passphrase);
  if (!unlocked) return fail(std::move(unlocked).error());
  auto key = settle(*unlocked);
  if (!key) return fail(std::move(key).error());
  auto db = Database::open(database_path(), *key, OpenMode::OpenExisting);
  if (!db) return fail(std::move(db).error());
  db->hold(std::move(*lock));
  return db;
}

Result<void> ProfileStore::change_passphrase(const SecureBytes& old_passphrase,
                                             const SecureBytes& new_passphrase,
                                             std::optional<KdfParams> params) {
  auto lock = acquire_lock();
  if (!lock) return fail(std::move(lock).error());
  auto unlocked = open_key_file(old_passphrase);
  if (!unlocked) return fail(std::move(unlocked).error());
  auto key = settle(*unlocked);
  if (!key) return fail(std::move(key).error());
  if (params) EXILE_TRY(check_writable_params(*params));
  Unlocked rewrapped{
      KeyFile{params.value_or(unlocked->file.params), {}, {}}, KeyEncryptionKey(), {}};
  SystemRng().fill(rewrapped.file.salt);
  auto kek = derive_key_encryption_key(new_passphrase, rewrapped.file.params, rewrapped.file.salt);
  if (!kek) return fail(std::move(kek).error());
  rewrapped.kek = std::move(*kek);
  const DatabaseKey* keys[] = {&*key};
  return write_key_file(rewrapped, keys, "rewrapped key file");
}

Result<void> ProfileStore::rotate_database_key(const SecureBytes& passphrase) {
  auto lock = acquire_lock();
  if (!lock) return fail(std::move(lock).error());
  auto unlocked = open_key_file(passphrase);
  if (!unlocked) return fail(std::move(unlocked).error());
  auto old_key = settle(*unlocked);
  if (!old_key) return fail(std::move(old_key).error());
  const fs::path rotating = dir_ / kRotatingDatabaseFileName;
  EXILE_TRY(remove_if_present(with_suffix(rotating, "-journal")));
  EXILE_TRY(remove_if_present(rotating));
  const DatabaseKey new_key = random_database_key();
  {
    auto db = Database::open(database_path(), *old_key, OpenMode::OpenExisting);
    if (!db) return fail(std::move(db).error());
    EXILE_TRY(vacuum_into(*db, rotating, new_key));
  }
  step("database copied");
  // The copy must be durable, name included, before a key file says it exists.
  EXILE_TRY(sync_file(rotating));
  EXILE_TRY(sync_directory(dir_));
  step("copy synced");
  const DatabaseKey* both[] = {&*old_key, &new_key};
  EXILE_TRY(write_key_file(*unlocked, both, "two-slot key file"));
  EXILE_TRY(rename_file(rotating, database_path()));
  step("database swapped");
  EXILE_TRY(sync_directory(dir_));
  step("swap synced");
  const DatabaseKey* only_new[] = {&new_key};
  return write_key_file(*unlocked, only_new, "one-slot key file");
}

}  // namespace exile::store
