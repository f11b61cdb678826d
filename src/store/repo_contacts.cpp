#include "store/repo_contacts.h"

#include "sqlite/cached_statement.h"

namespace exile::store {
namespace {

constexpr std::string_view kColumns = "id, display_name, identity_key, verified, created_at";

Result<Contact> read_contact(const sqlite::Statement& row) {
  Contact contact{.id = row.column_text(0),
                  .display_name = row.column_text(1),
                  .identity = std::nullopt,
                  .verified = row.column_int64(3) != 0,
                  .created_at = from_millis(row.column_int64(4))};
  if (!row.column_is_null(2)) {
    auto key = crypto::IdentityPublicKey::from_bytes(row.column_blob(2));
    if (!key) return fail(ErrorCode::DatabaseCorrupt, "stored identity key is not valid");
    contact.identity = *key;
  }
  return contact;
}

}  // namespace

Result<void> ContactRepository::add(const crypto::ContactId& id, std::string_view display_name,
                                    UnixMillis now) {
  return sqlite::execute(db_,
                         "INSERT INTO contacts(id, display_name, created_at) VALUES (?1, ?2, ?3)",
                         std::string_view(id), display_name, to_millis(now));
}

Result<std::optional<Contact>> ContactRepository::find(const crypto::ContactId& id) {
  auto statement = db_.prepare("SELECT " + std::string(kColumns) + " FROM contacts WHERE id = ?1");
  if (!statement) return fail(std::move(statement).error());
  statement->bind(1, std::string_view(id));
  auto row = statement->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::optional<Contact>();
  auto contact = read_contact(*statement);
  if (!contact) return fail(std::move(contact).error());
  return std::optional<Contact>(std::move(*contact));
}

Result<std::vector<Contact>> ContactRepository::list() {
  auto statement =
      db_.prepare("SELECT " + std::string(kColumns) + " FROM contacts ORDER BY display_name, id");
  if (!statement) return fail(std::move(statement).error());
  std::vector<Contact> contacts;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return contacts;
    auto contact = read_contact(*statement);
    if (!contact) return fail(std::move(contact).error());
    contacts.push_back(std::move(*contact));
  }
}

Result<void> ContactRepository::rename(const crypto::ContactId& id, std::string_view display_name) {
  EXILE_TRY(sqlite::execute(db_, "UPDATE contacts SET display_name = ?2 WHERE id = ?1",
                            std::string_view(id), display_name));
  if (db_.changes() == 0) return fail(ErrorCode::NotFound, "no such contact");
  return {};
}

Result<void> ContactRepository::remove(const crypto::ContactId& id) {
  return sqlite::execute(db_, "DELETE FROM contacts WHERE id = ?1", std::string_view(id));
}

}  // namespace exile::store
