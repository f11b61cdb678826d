#include "store/repo_settings.h"

#include <gtest/gtest.h>

#include "store/support/schema_fixture.h"

namespace exile::store {
namespace {

class SettingsRepositoryTest : public test::StoreTest {};

Bytes bytes_of(const SecureBytes& secure) { return Bytes(secure.begin(), secure.end()); }

TEST_P(SettingsRepositoryTest, SettingsSetGetReplaceAndRemove) {
  SettingsRepository settings(db());
  auto absent = settings.get("display_name");
  ASSERT_TRUE(absent.has_value()) << absent.error();
  EXPECT_FALSE(absent->has_value());

  const Bytes name = {'A', 'l', 'i', 'c', 'e'};
  const Bytes key(32, 0x7F);
  EXILE_ASSERT_OK(settings.set("display_name", name));
  EXILE_ASSERT_OK(settings.set("bundle_key", key));
  EXILE_ASSERT_OK(settings.set("empty", ByteView()));
  reopen();
  SettingsRepository reopened(db());
  auto got = reopened.get("display_name");
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ(bytes_of(**got), name);
  EXPECT_EQ(bytes_of(reopened.get("bundle_key")->value()), key);
  // An empty value is a value, not an absent key.
  auto empty = reopened.get("empty");
  ASSERT_TRUE(empty.has_value() && empty->has_value());
  EXPECT_EQ((*empty)->size(), 0u);
  // Keys are compared exactly.
  EXPECT_FALSE(reopened.get("Display_name")->has_value());

  const Bytes renamed = {'A', 'l'};
  EXILE_ASSERT_OK(reopened.set("display_name", renamed));
  EXPECT_EQ(bytes_of(reopened.get("display_name")->value()), renamed);
  EXILE_ASSERT_OK(reopened.remove("display_name"));
  EXPECT_FALSE(reopened.get("display_name")->has_value());
  EXILE_ASSERT_OK(reopened.remove("display_name"));  // not there: no error
  EXPECT_TRUE(reopened.get("bundle_key")->has_value());
}

EXILE_STORE_TEST_SUITE(SettingsRepositoryTest);

}  // namespace
}  // namespace exile::store
