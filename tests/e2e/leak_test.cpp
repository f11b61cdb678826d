// End to end, with real processes: after a run, nothing on disk and nothing in a log holds a
// message text, a display name or an identity public key (in any of the spellings it could be
// written in); the relays' and the daemons' logs hold no queue id and no invitation link either.
#include <gtest/gtest.h>

#include <QJsonArray>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/secure_buffer.h"
#include "e2e/support/world.h"
#include "store/profile_store.h"
#include "store/repo_identity.h"
#include "store/repo_queues.h"

namespace exile::test {
namespace {

using namespace std::chrono_literals;

qint64 q(std::int64_t v) { return static_cast<qint64>(v); }

// Every way a value could sit in a file: as it is, hex, base64 (both alphabets, with and
// without padding).
std::vector<std::string> spellings(ByteView value) {
  std::vector<std::string> out{std::string(value.begin(), value.end()), to_hex(value)};
  for (auto variant : {Base64Variant::Standard, Base64Variant::UrlNoPadding}) {
    auto text = to_base64(value, variant);
    out.push_back(text);
    while (!text.empty() && text.back() == '=') text.pop_back();
    out.push_back(text);
  }
  // Upper-case hex too.
  std::string upper = to_hex(value);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out.push_back(upper);
  return out;
}

std::string read_all(const std::filesystem::path& path) {
  std::string content;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return content;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) content.append(buf, n);
  std::fclose(f);
  return content;
}

struct ProfileSecrets {
  Bytes identity_key;
  std::vector<Bytes> queue_ids;  // every recv_id and send_id the profile knows
};

// Opens a locked profile with the store (the test looks inside; the engine never shows these).
ProfileSecrets secrets_of(const std::filesystem::path& dir,
                          const std::vector<std::int64_t>& chats) {
  ProfileSecrets out;
  store::ProfileStore profile(dir);
  const std::string_view pw = kPassphrase;
  auto db = profile.unlock(SecureBytes(pw.begin(), pw.end()));
  if (!db) {
    ADD_FAILURE() << "cannot open " << dir;
    return out;
  }
  auto identity = store::SqliteIdentityStore(*db).local_identity();
  if (!identity) {
    ADD_FAILURE() << "no identity in " << dir;
    return out;
  }
  const auto& key = identity->public_key().bytes();
  out.identity_key.assign(key.begin(), key.end());
  store::QueueRepository queues(*db);
  auto keep = [&](const store::RelayQueue& queue) {
    if (!queue.recv_id.empty()) out.queue_ids.push_back(queue.recv_id);
    if (!queue.send_id.empty()) out.queue_ids.push_back(queue.send_id);
  };
  if (auto relays = queues.relays()) {
    for (const auto& relay : *relays) {
      if (auto receiving = queues.receiving_on(relay)) {
        for (const auto& queue : *receiving) keep(queue);
      }
    }
  }
  for (const auto chat : chats) {
    if (auto rows = queues.for_chat(chat)) {
      for (const auto& queue : *rows) keep(queue);
    }
  }
  return out;
}

TEST(E2eLeaks, NothingLeaksIntoProfilesRelayDataOrLogs) {
  const std::string alice_name = "Zebulon Quistgaard";
  const std::string bob_name = "Philippa Vantablack";
  const std::string marker = "MARKER-7731-obsidian-heron";
  std::string link;
  std::int64_t a_chat = 0;
  std::int64_t b_chat = 0;
  World world;
  ASSERT_TRUE(world.ok());
  Person* alice = world.add_person(alice_name, world.relay_a(), "alice");
  ASSERT_NE(alice, nullptr);
  Person* bob = world.add_person(bob_name, world.relay_b(), "bob");
  ASSERT_NE(bob, nullptr);
  {
    const auto invite = call(alice->d(), QJsonObject{{"cmd", "invite"}});
    ASSERT_TRUE(invite);
    link = invite->toObject().value("link").toString().toStdString();
    const auto pair = start_chat(*alice, *bob);
    ASSERT_NE(pair.inviter_chat, 0);
    a_chat = pair.inviter_chat;
    b_chat = pair.accepter_chat;
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(call(alice->d(), QJsonObject{{"cmd", "send"},
                                               {"chat", q(a_chat)},
                                               {"text", QString::fromStdString(marker + " a>b")}}));
      ASSERT_TRUE(call(bob->d(), QJsonObject{{"cmd", "send"},
                                             {"chat", q(b_chat)},
                                             {"text", QString::fromStdString(marker + " b>a")}}));
    }
    ASSERT_TRUE(
        wait_until([&] { return texts(all_messages(bob->d(), b_chat), false).size() == 20; }, 60s));
    ASSERT_TRUE(wait_until(
        [&] { return texts(all_messages(alice->d(), a_chat), false).size() == 20; }, 60s));
    // Searching touches the index; deleting for both and a timer touch the rest.
    ASSERT_TRUE(
        call(bob->d(), QJsonObject{{"cmd", "search"}, {"query", QString::fromStdString(marker)}}));
    ASSERT_TRUE(call(bob->d(), QJsonObject{{"cmd", "read"}, {"chat", q(b_chat)}}));
    ASSERT_TRUE(
        call(alice->d(), QJsonObject{{"cmd", "timer"}, {"chat", q(a_chat)}, {"timer", "1h"}}));
    // Some stay on relay B, unread: they must not leak there either.
    ASSERT_EQ(bob->d().quit(), 0);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(
          call(alice->d(), QJsonObject{{"cmd", "send"},
                                       {"chat", q(a_chat)},
                                       {"text", QString::fromStdString(marker + " queued")}}));
    }
    ASSERT_TRUE(sync_until_ok(alice->d(), 30s));
    ASSERT_EQ(alice->d().quit(), 0);
  }
  // The relays stop (their files stay) so that their databases and logs are complete.
  world.relay_a().stop();
  world.relay_b().stop();

  std::vector<std::string> secrets{marker, alice_name, bob_name};
  std::vector<std::string> log_secrets;  // also queue ids and the link, in logs only
  for (const auto& [who, chat] : {std::pair{"alice", a_chat}, std::pair{"bob", b_chat}}) {
    const auto found = secrets_of(world.dir().path() / who, {chat});
    ASSERT_EQ(found.identity_key.size(), 32u);
    for (auto& s : spellings(found.identity_key)) secrets.push_back(s);
    EXPECT_GE(found.queue_ids.size(), 3u);  // address, receive queue, send queue
    for (const auto& id : found.queue_ids) {
      for (auto& s : spellings(id)) log_secrets.push_back(s);
    }
  }
  log_secrets.push_back(link);
  log_secrets.push_back(link.substr(std::string("exile://invite/v1/").size()));

  // Every regular file under the test's directory: both profiles (key file, database, WAL,
  // journal, lock), both relays' data directories and logs, the daemons' stderr logs.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(world.dir().path())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const auto content = read_all(entry.path());
    for (const auto& secret : secrets) {
      EXPECT_EQ(content.find(secret), std::string::npos)
          << entry.path() << " holds a secret of length " << secret.size();
    }
  }
  EXPECT_GE(files, 8u);
  std::vector<std::pair<std::string, std::string>> logs = {
      {"relay A", world.relay_a().output()},
      {"relay B", world.relay_b().output()},
      {"alice's daemon stderr", alice->d().stderr_output()},
      {"bob's daemon stderr", bob->d().stderr_output()}};
  for (const auto& [what, log] : logs) {
    for (const auto& secret : secrets) {
      EXPECT_EQ(log.find(secret), std::string::npos) << what << " holds a secret";
    }
    for (const auto& secret : log_secrets) {
      EXPECT_EQ(log.find(secret), std::string::npos) << what << " holds a queue id or the link";
    }
  }
}

}  // namespace
}  // namespace exile::test
