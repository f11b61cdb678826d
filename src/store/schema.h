// The database schema and its migration ladder (docs/storage.md §"Schema").
//
// The schema version is SQLite's `PRAGMA user_version`: 0 for an empty file, N after step N.
// Steps are applied in order, each in its own transaction together with the version bump, so
// a crash leaves the database at some step boundary and the next open resumes from there.
// A database written by a newer build (user_version > kLatestSchemaVersion) is refused with
// SchemaTooNew rather than guessed at. There are no downgrades.
//
// Adding a version: append a step to the ladder in schema.cpp (never edit a released step),
// add its seed data to tests/store/schema_test.cpp and document it in docs/storage.md.
#pragma once

#include <span>
#include <string_view>

#include "common/result.h"
#include "store/database.h"

namespace exile::store {

struct MigrationStep {
  int version;                   // user_version after this step
  std::string_view description;  // for docs and errors; never user data
  std::string_view sql;          // one or more statements, run in the step's transaction
};

// The ladder, ordered by version (1, 2, ...).
[[nodiscard]] std::span<const MigrationStep> migration_steps();

inline constexpr int kLatestSchemaVersion = 5;

[[nodiscard]] Result<int> schema_version(Database& db);

// Brings the database to the latest version. SchemaTooNew when it is already newer.
[[nodiscard]] Result<void> migrate(Database& db);

// Runs only the steps up to `target` (tests build older schemas with it). InvalidArgument
// when target is outside [current version, kLatestSchemaVersion].
[[nodiscard]] Result<void> migrate_to(Database& db, int target);

}  // namespace exile::store
