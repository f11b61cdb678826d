// ProfileStore: one profile directory, its encrypted database and the key file that unlocks
// it (docs/storage.md §"Key file").
//
// Files in the directory:
//   exile.key       the key file (key_file.h): one slot, or two while a rotation is under way
//   exile.db        the encrypted database
//   exile.db.new    only during a rotation: the copy under the new key
//   exile.key.tmp   only while the key file is being replaced
//   exile.lock      empty; flock'ed by whoever has the profile open (profile_lock.h)
//
// States of the directory, and which database key opens exile.db in each:
//   Settled:  exile.key has one slot K; exile.db is under K. A leftover exile.db.new is the
//             debris of a rotation that crashed before it was committed and is removed.
//   Rotating: exile.key has two slots (K_old, K_new). exile.db.new was complete and synced
//             before this key file was written. If exile.db.new exists, the swap has not
//             happened: exile.db is under K_old, exile.db.new under K_new. If it does not, the
//             swap (an atomic rename) has happened: exile.db is under K_new.
// rotate_database_key goes Settled(K_old) -> Rotating -> rename -> Settled(K_new), syncing the
// directory between steps; settle() (run by every operation after the passphrase has been
// checked) finishes an interrupted rotation, so a crash at any point leaves a profile that
// unlocks with the passphrase and holds all its data.
//
// One opener at a time: every operation below takes the profile lock (profile_lock.h) first
// and fails with ProfileInUse while another holds it; unlock() hands the lock to the Database
// it returns, so the profile stays locked until that Database is destroyed. So no second
// connection can be mid-transaction when rotate_database_key swaps the file (the engine closes
// its Database before rotating). Argon2id runs on the calling thread.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

#include "common/result.h"
#include "common/secure_buffer.h"
#include "store/database.h"
#include "store/key_file.h"
#include "store/profile_lock.h"

namespace exile::store {

class ProfileStore {
 public:
  static constexpr std::string_view kDatabaseFileName = "exile.db";
  static constexpr std::string_view kKeyFileName = "exile.key";
  static constexpr std::string_view kRotatingDatabaseFileName = "exile.db.new";

  // Called with the name of each durable step as it completes. Tests use it to kill the
  // process at every step; production passes nothing.
  using StepHook = std::function<void(std::string_view step)>;

  explicit ProfileStore(std::filesystem::path dir, StepHook hook = {});

  // Makes the directory (0700) if needed, a fresh random database key, an empty exile.db and
  // the key file, written last. InvalidArgument if the profile already has a key file; a
  // database without a key file can be opened by nobody (its key was never stored) and is
  // the debris of an interrupted create, so it is replaced.
  [[nodiscard]] Result<void> create(const SecureBytes& passphrase,
                                    const KdfParams& params = KdfParams::moderate());

  // Opens the database, which holds the profile lock until it is destroyed. NotFound without a
  // key file or database; KeyFileCorrupt for a damaged key file; WrongPassphrase when the key
  // file is intact but the passphrase does not open it; ProfileInUse while another Database of
  // this profile is open (in this process or another).
  [[nodiscard]] Result<Database> unlock(const SecureBytes& passphrase);

  // Re-wraps the database key under a new passphrase with a new salt (and new parameters if
  // given; otherwise the file's). The database file is not touched.
  [[nodiscard]] Result<void> change_passphrase(const SecureBytes& old_passphrase,
                                               const SecureBytes& new_passphrase,
                                               std::optional<KdfParams> params = std::nullopt);

  // Copies the database under a new random key (VACUUM INTO) and swaps it in, crash-safely.
  [[nodiscard]] Result<void> rotate_database_key(const SecureBytes& passphrase);

  [[nodiscard]] std::filesystem::path database_path() const;
  [[nodiscard]] std::filesystem::path key_file_path() const;

 private:
  struct Unlocked;
  [[nodiscard]] Result<Unlocked> open_key_file(const SecureBytes& passphrase) const;
  [[nodiscard]] Result<DatabaseKey> settle(Unlocked& unlocked) const;
  [[nodiscard]] Result<void> write_key_file(const Unlocked& unlocked,
                                            std::span<const DatabaseKey* const> keys,
                                            std::string_view step) const;
  [[nodiscard]] Result<ProfileLock> acquire_lock() const;
  void step(std::string_view name) const;

  std::filesystem::path dir_;
  StepHook hook_;
};

}  // namespace exile::store
