// The end-to-end tests' world: two exile-relay processes (A and B) and people, each an
// exile-cli daemon on a profile of its own whose home relay is A or B, all under one TempDir:
//
//   ROOT/relay-a, ROOT/relay-b         the relays' data directories (their logs beside them)
//   ROOT/NAME/                          a person's profile
//   ROOT/logs/NAME.stderr              the person's daemon's stderr (every start)
//
// Helpers use GoogleTest assertions (ADD_FAILURE) and return empty values on failure.
#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "e2e/support/daemon_process.h"
#include "support/relay_process.h"
#include "support/temp_dir.h"

namespace exile::test {

inline constexpr char kPassphrase[] = "correct horse e2e";

// The integer an environment variable holds, or `fallback`.
int env_int(const char* name, int fallback);

struct Person {
  std::string name;
  std::filesystem::path profile;
  std::unique_ptr<DaemonProcess> daemon;

  DaemonProcess& d() { return *daemon; }
};

class World {
 public:
  World();
  ~World();  // keeps the files of a failed test (and says where)

  RelayProcess& relay_a() { return *relay_a_; }
  RelayProcess& relay_b() { return *relay_b_; }
  const TempDir& dir() const { return dir_; }
  [[nodiscard]] bool ok() const { return ok_; }

  // `exile-cli init` (one-shot) on ROOT/DIR_NAME (default: NAME) with `relay`'s URL and NAME as
  // the display name, then the daemon started.
  Person* add_person(const std::string& name, RelayProcess& relay,
                     const std::string& dir_name = {});

 private:
  TempDir dir_;
  std::unique_ptr<RelayProcess> relay_a_;
  std::unique_ptr<RelayProcess> relay_b_;
  std::vector<std::unique_ptr<Person>> people_;
  bool ok_ = false;
};

// "result" of a successful answer; ADD_FAILURE (with the answer and `what`) otherwise.
std::optional<QJsonValue> ok_result(const QJsonObject& answer, const std::string& what);
// request() then ok_result().
std::optional<QJsonValue> call(
    DaemonProcess& daemon, const QJsonObject& command,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));

// `sync` until it succeeds or `timeout` passes (a relay may be restarting).
bool sync_until_ok(DaemonProcess& daemon, std::chrono::milliseconds timeout);

// Every message of a chat, oldest first (history paged by 1000).
std::vector<QJsonObject> all_messages(DaemonProcess& daemon, std::int64_t chat);
// The texts of `messages` that are incoming (or outgoing) text messages, in order.
std::vector<std::string> texts(const std::vector<QJsonObject>& messages, bool outgoing);

// Polls `done` every `step` until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(200));

// The chat's summary from `chats`, if the daemon lists it.
std::optional<QJsonObject> chat_summary(DaemonProcess& daemon, std::int64_t chat);

struct ChatPair {
  std::int64_t inviter_chat = 0;
  std::int64_t accepter_chat = 0;
  std::string request_safety_number;  // what the inviter saw in the request
};

// inviter: invite; accepter: accept the link; inviter: the request arrives, accept-request;
// both chats active. Zero chats on failure.
ChatPair start_chat(Person& inviter, Person& accepter);

}  // namespace exile::test
