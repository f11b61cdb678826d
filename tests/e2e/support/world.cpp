#include "e2e/support/world.h"

#include <gtest/gtest.h>

#include <QJsonDocument>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace exile::test {
namespace {

std::string dump(const QJsonValue& value) {
  if (value.isObject()) {
    return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact).toStdString();
  }
  if (value.isArray()) {
    return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact).toStdString();
  }
  return QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact).toStdString();
}

}  // namespace

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::atoi(value);
}

World::World() : dir_("exile-e2e") {
  std::filesystem::create_directories(dir_.path() / "logs");
  RelayProcess::Options a;
  a.data_dir = dir_.file("relay-a");
  RelayProcess::Options b;
  b.data_dir = dir_.file("relay-b");
  relay_a_ = std::make_unique<RelayProcess>(std::move(a));
  relay_b_ = std::make_unique<RelayProcess>(std::move(b));
  if (!relay_a_->start()) {
    ADD_FAILURE() << "relay A: " << relay_a_->error();
    return;
  }
  if (!relay_b_->start()) {
    ADD_FAILURE() << "relay B: " << relay_b_->error();
    return;
  }
  ok_ = true;
}

World::~World() {
  for (auto& person : people_) person->daemon->kill();
  if (::testing::Test::HasFailure()) {
    dir_.keep();
    std::cerr << "e2e: the failed test's files are kept in " << dir_.path() << '\n';
  }
}

Person* World::add_person(const std::string& name, RelayProcess& relay,
                          const std::string& dir_name) {
  const std::string dir = dir_name.empty() ? name : dir_name;
  auto person = std::make_unique<Person>();
  person->name = name;
  person->profile = dir_.path() / dir;
  const auto run = run_cli({"--profile", person->profile.string(), "--json", "--wait", "20000",
                            "init", "--name", name, "--relay", relay.url()},
                           {std::string("EXILE_PASSPHRASE=") + kPassphrase});
  if (run.exit_code != 0) {
    ADD_FAILURE() << "init " << name << " exited " << run.exit_code << "\nstdout: " << run.out
                  << "\nstderr: " << run.err;
    return nullptr;
  }
  const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(run.out));
  if (!doc.object().value("ok").toBool() ||
      !doc.object().value("result").toObject().value("address_ready").toBool()) {
    ADD_FAILURE() << "init " << name << ": " << run.out << run.err;
    return nullptr;
  }
  person->daemon = std::make_unique<DaemonProcess>(
      DaemonProcess::Options{.profile = person->profile,
                             .passphrase = kPassphrase,
                             .stderr_log = dir_.path() / "logs" / (dir + ".stderr"),
                             .env = {}});
  if (!person->daemon->start()) {
    ADD_FAILURE() << "daemon " << name << " did not start";
    return nullptr;
  }
  people_.push_back(std::move(person));
  return people_.back().get();
}

std::optional<QJsonValue> ok_result(const QJsonObject& answer, const std::string& what) {
  if (!answer.value("ok").toBool()) {
    ADD_FAILURE() << what << " failed: " << dump(answer);
    return std::nullopt;
  }
  return answer.value("result");
}

std::optional<QJsonValue> call(DaemonProcess& daemon, const QJsonObject& command,
                               std::chrono::milliseconds timeout) {
  return ok_result(daemon.request(command, timeout), dump(command));
}

bool sync_until_ok(DaemonProcess& daemon, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const auto answer = daemon.request(
        QJsonObject{{"cmd", "sync"}, {"timeout_ms", static_cast<qint64>(left.count())}},
        left + std::chrono::seconds(5));
    if (answer.value("ok").toBool()) return true;
    if (answer.value("error").toObject().value("name").toString().startsWith("Test")) {
      return false;  // the daemon is gone or stuck
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::vector<QJsonObject> all_messages(DaemonProcess& daemon, std::int64_t chat) {
  std::vector<QJsonObject> out;
  std::optional<qint64> before;
  for (;;) {
    QJsonObject command{{"cmd", "history"}, {"chat", static_cast<qint64>(chat)}, {"limit", 1000}};
    if (before) command.insert("before", *before);
    const auto result = call(daemon, command);
    if (!result) return {};
    const auto page = result->toArray();
    std::vector<QJsonObject> objects;
    for (const auto& m : page) objects.push_back(m.toObject());
    out.insert(out.begin(), objects.begin(), objects.end());
    if (page.size() < 1000) return out;
    before = objects.front().value("id").toInteger();
  }
}

std::vector<std::string> texts(const std::vector<QJsonObject>& messages, bool outgoing) {
  std::vector<std::string> out;
  for (const auto& m : messages) {
    if (m.value("kind").toString() == "text" && m.value("outgoing").toBool() == outgoing) {
      out.push_back(m.value("text").toString().toStdString());
    }
  }
  return out;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

std::optional<QJsonObject> chat_summary(DaemonProcess& daemon, std::int64_t chat) {
  const auto result = call(daemon, QJsonObject{{"cmd", "chats"}});
  if (!result) return std::nullopt;
  for (const auto& c : result->toArray()) {
    if (c.toObject().value("id").toInteger() == chat) return c.toObject();
  }
  return std::nullopt;
}

ChatPair start_chat(Person& inviter, Person& accepter) {
  ChatPair pair;
  const auto invite = call(inviter.d(), QJsonObject{{"cmd", "invite"}});
  if (!invite) return {};
  const auto link = invite->toObject().value("link").toString();
  if (!link.startsWith("exile://invite/v1/")) {
    ADD_FAILURE() << "invite gave no link";
    return {};
  }
  const auto accepted =
      call(accepter.d(), QJsonObject{{"cmd", "accept"}, {"link", link}}, std::chrono::seconds(60));
  if (!accepted) return {};
  const auto accepter_chat = accepted->toObject().value("chat").toInteger();

  // The request reaches the inviter's address.
  const auto event = inviter.d().wait_event(
      [](const QJsonObject& e) { return e.value("event") == "contact_request_received"; },
      std::chrono::seconds(30));
  if (!event) {
    ADD_FAILURE() << "no contact_request_received for " << inviter.name << "; recent output:\n"
                  << inviter.d().recent_output();
    return {};
  }
  const auto request_id = event->value("request").toInteger();
  const auto requests = call(inviter.d(), QJsonObject{{"cmd", "requests"}});
  if (!requests) return {};
  for (const auto& r : requests->toArray()) {
    if (r.toObject().value("id").toInteger() == request_id) {
      pair.request_safety_number = r.toObject().value("safety_number").toString().toStdString();
      if (r.toObject().value("display_name").toString().toStdString() != accepter.name) {
        ADD_FAILURE() << "the request carries another name";
      }
    }
  }
  const auto accepted_request =
      call(inviter.d(),
           QJsonObject{{"cmd", "accept-request"}, {"request", static_cast<qint64>(request_id)}},
           std::chrono::seconds(60));
  if (!accepted_request) return {};
  const auto inviter_chat = accepted_request->toObject().value("chat").toInteger();

  // The inviter's route reaches the accepter: the chat becomes active there.
  if (!wait_until(
          [&] {
            const auto chat = chat_summary(accepter.d(), accepter_chat);
            return chat && chat->value("state") == "active";
          },
          std::chrono::seconds(30))) {
    ADD_FAILURE() << accepter.name << "'s chat did not become active; recent output:\n"
                  << accepter.d().recent_output();
    return {};
  }
  pair.inviter_chat = inviter_chat;
  pair.accepter_chat = accepter_chat;
  return pair;
}

}  // namespace exile::test
