#include "store/support/schema_fixture.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "common/rng.h"
#include "crypto/keys.h"
#include "crypto/prekeys.h"
#include "crypto/session_builder.h"
#include "crypto/x3dh.h"
#include "store/repo_chats.h"
#include "store/repo_contacts.h"
#include "store/schema.h"

// The encrypted backend is tested as soon as its implementation is in the tree (it is
// globbed into exile_store with every other src/store/*.cpp).
#if __has_include("store/vfs.cpp")
#define EXILE_STORE_TEST_HAS_VFS 1
#else
#define EXILE_STORE_TEST_HAS_VFS 0
#endif

namespace exile::store::test {
namespace {

template <class T>
T must(Result<T> result, const char* what) {
  if (!result) {
    std::fprintf(stderr, "store test fixture: %s failed: %s\n", what,
                 result.error().message.c_str());
    std::abort();
  }
  return std::move(*result);
}

}  // namespace

std::vector<Backend> backends() {
  if (EXILE_STORE_TEST_HAS_VFS) return {Backend::Plain, Backend::Encrypted};
  return {Backend::Plain};
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Plain ? "Plain" : "Encrypted";
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("exile-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Result<Database> open_database(Backend backend, const std::filesystem::path& path) {
  if (backend == Backend::Plain) return Database::open_unencrypted(path, OpenMode::CreateIfMissing);
  DatabaseKey key;
  for (std::size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<std::uint8_t>(i + 1);
  return Database::open(path, key, OpenMode::CreateIfMissing);
}

ChatId StoreTest::add_alice_chat() {
  ContactRepository contacts(db());
  auto added = contacts.add("alice", "Alice", at());
  EXPECT_TRUE(added.has_value()) << (added ? "" : added.error().message);
  ChatRepository chats(db());
  auto chat = chats.create("alice", "s1", at());
  EXPECT_TRUE(chat.has_value()) << (chat ? "" : chat.error().message);
  return chat.value_or(0);
}

void StoreTest::SetUp() {
  open_unmigrated();
  ASSERT_TRUE(db_.has_value());
  auto migrated = migrate(*db_);
  ASSERT_TRUE(migrated.has_value()) << migrated.error();
}

void StoreTest::open_unmigrated() {
  db_.reset();
  auto opened = open_database(GetParam(), db_path());
  ASSERT_TRUE(opened.has_value()) << opened.error();
  db_.emplace(std::move(*opened));
}

void StoreTest::reopen() { open_unmigrated(); }

MessageUid make_uid(std::uint8_t n) {
  MessageUid uid{};
  uid.fill(0xA5);
  uid[0] = n;
  return uid;
}

NewMessage text_message(ChatId chat, std::uint8_t uid, std::string_view body,
                        std::int64_t offset_millis) {
  NewMessage message;
  message.chat = chat;
  message.uid = make_uid(uid);
  message.direction = Direction::Incoming;
  message.body = body;
  message.sent_at = at(offset_millis);
  message.received_at = at(offset_millis);
  message.timer_seconds = std::nullopt;
  return message;
}

crypto::Session make_session(std::uint64_t seed, int advance) {
  DeterministicRng rng(seed);
  const UnixMillis now = at();
  const crypto::IdentityKeyPair alice = crypto::IdentityKeyPair::generate(rng);
  const crypto::IdentityKeyPair bob = crypto::IdentityKeyPair::generate(rng);
  const crypto::SignedPreKey spk = crypto::generate_signed_prekey(bob, 1, now, rng);
  const crypto::PreKeyBundle bundle = crypto::PreKeyBundle::make(bob, spk, nullptr);
  crypto::Session session = must(
      crypto::start_session(alice, bundle, crypto::IdentityFingerprint::of(bob.public_key()), rng),
      "start_session");
  for (int i = 0; i < advance; ++i) {
    (void)must(session.encrypt(as_bytes("advance"), rng), "encrypt");
  }
  return session;
}

Bytes state_of(const crypto::Session& session) {
  const SecureBytes state = session.serialize();
  return Bytes(state.begin(), state.end());
}

}  // namespace exile::store::test
