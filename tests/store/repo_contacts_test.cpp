#include "store/repo_contacts.h"

#include <gtest/gtest.h>

#include "common/rng.h"
#include "store/repo_chats.h"
#include "store/repo_identity.h"
#include "store/repo_messages.h"
#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

class ContactRepositoryTest : public test::StoreTest {};

TEST_P(ContactRepositoryTest, AddFindListRename) {
  ContactRepository contacts(db());
  EXILE_ASSERT_OK(contacts.add("c2", "Zoe", test::at(1)));
  EXILE_ASSERT_OK(contacts.add("c1", "Alice", test::at(2)));
  auto duplicate = contacts.add("c1", "Other", test::at(3));
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::Constraint);

  auto alice = contacts.find("c1");
  ASSERT_TRUE(alice.has_value() && alice->has_value());
  EXPECT_EQ((*alice)->display_name, "Alice");
  EXPECT_EQ((*alice)->created_at, test::at(2));
  EXPECT_FALSE((*alice)->identity.has_value());
  EXPECT_FALSE((*alice)->verified);

  EXILE_ASSERT_OK(contacts.rename("c2", "Bob"));
  auto missing = contacts.rename("nobody", "X");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  auto all = contacts.list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].display_name, "Alice");
  EXPECT_EQ((*all)[1].display_name, "Bob");
}

TEST_P(ContactRepositoryTest, ShowsPinAndVerificationFromTheIdentityStore) {
  ContactRepository contacts(db());
  SqliteIdentityStore identities(db());
  DeterministicRng rng(4);
  const auto key = crypto::IdentityKeyPair::generate(rng);
  EXILE_ASSERT_OK(contacts.add("c1", "Alice", test::at()));
  EXILE_ASSERT_OK(identities.pin_identity("c1", key.public_key()));
  EXILE_ASSERT_OK(identities.set_verified("c1", true));
  auto alice = contacts.find("c1");
  ASSERT_TRUE(alice.has_value() && alice->has_value());
  ASSERT_TRUE((*alice)->identity.has_value());
  EXPECT_EQ(*(*alice)->identity, key.public_key());
  EXPECT_TRUE((*alice)->verified);
  EXPECT_EQ((*alice)->display_name, "Alice");  // pinning kept the name
  // A key pinned before the contact was named creates the contact.
  EXILE_ASSERT_OK(identities.pin_identity("c9", key.public_key()));
  auto created = contacts.find("c9");
  ASSERT_TRUE(created.has_value() && created->has_value());
  EXPECT_EQ((*created)->display_name, "");
}

TEST_P(ContactRepositoryTest, VerifiedNeedsAPinEvenInRawSql) {
  auto bad = db().exec("INSERT INTO contacts(id, verified, created_at) VALUES ('x', 1, 0)");
  EXPECT_FALSE(bad.has_value());
}

TEST_P(ContactRepositoryTest, RemoveCascadesToChatsAndMessages) {
  ContactRepository contacts(db());
  ChatRepository chats(db());
  MessageRepository messages(db());
  EXILE_ASSERT_OK(contacts.add("c1", "Alice", test::at()));
  auto chat = chats.create("c1", "s1", test::at());
  ASSERT_TRUE(chat.has_value());
  auto message = messages.insert(test::text_message(*chat, 1, "cascade me"));
  ASSERT_TRUE(message.has_value());
  EXILE_ASSERT_OK(contacts.remove("c1"));
  EXPECT_FALSE(contacts.find("c1")->has_value());
  EXPECT_FALSE(chats.find(*chat)->has_value());
  EXPECT_FALSE(messages.find(*message)->has_value());
  EXPECT_TRUE(messages.search("cascade", std::nullopt, 10)->empty());
}

EXILE_STORE_TEST_SUITE(ContactRepositoryTest);

}  // namespace
}  // namespace exile::store
