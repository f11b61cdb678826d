// The store workload of exile_bench_store: the generated messages and the operations the cases
// time (store_bench.h), through the store's repositories: MessageRepository for messages,
// ContactRepository and ChatRepository for the chats they belong to, migrate() for the schema.
#include <array>
#include <chrono>
#include <cstdint>
#include <utility>

#include "store/repo_chats.h"
#include "store/repo_contacts.h"
#include "store/repo_messages.h"
#include "store/schema.h"
#include "store_bench.h"

namespace exile::bench::store {
namespace {

using ::exile::store::ChatRepository;
using ::exile::store::ContactRepository;
using ::exile::store::Direction;
using ::exile::store::MessageRepository;
using ::exile::store::NewMessage;

// Ordinary words; none of them contains kSearchWord.
constexpr std::array<std::string_view, 48> kWords = {
    "the",     "and",   "see",     "you",   "later",   "tomorrow", "maybe",   "call",
    "me",      "when",  "back",    "home",  "meeting", "moved",    "to",      "three",
    "sounds",  "good",  "thanks",  "lunch", "train",   "late",     "again",   "sorry",
    "photo",   "sent",  "where",   "are",   "we",      "going",    "tonight", "dinner",
    "weekend", "plans", "weather", "rain",  "coffee",  "office",   "ticket",  "booked",
    "great",   "news",  "check",   "this",  "out",     "link",     "okay",    "sure"};

constexpr std::int64_t kEpochMs = 1'780'000'000'000;  // a fixed start for sent_at

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class RepositoryWorkload final : public Workload {
 public:
  explicit RepositoryWorkload(Database& db) : db_(db), messages_(db) {}

  // The schema (migrate) and kChats chats, each with its contact. Chat ids are 1..kChats.
  Result<void> create_schema() override {
    EXILE_TRY(::exile::store::migrate(db_));
    ContactRepository contacts(db_);
    ChatRepository chats(db_);
    auto tx = db_.begin();
    if (!tx) return fail(std::move(tx).error());
    const auto created = from_millis(kEpochMs);
    for (std::size_t c = 1; c <= kChats; ++c) {
      const std::string contact = "contact-" + std::to_string(c);
      EXILE_TRY(contacts.add(contact, "Contact " + std::to_string(c), created));
      auto chat = chats.create(contact, "session-" + std::to_string(c), created);
      if (!chat) return fail(std::move(chat).error());
      if (*chat != static_cast<std::int64_t>(c)) {
        return fail(ErrorCode::Internal, "unexpected chat id");
      }
    }
    return tx->commit();
  }

  // What the engine does on every open: migrate() reads user_version and finds nothing to do.
  Result<void> check_schema() override { return ::exile::store::migrate(db_); }

  Result<void> insert_batch(std::size_t first, std::size_t count) override {
    auto tx = db_.begin();
    if (!tx) return fail(std::move(tx).error());
    for (std::size_t i = first; i < first + count; ++i) {
      const Message m = make_message(i);
      NewMessage message;
      message.chat = m.chat_id;
      message.uid = m.uid;
      message.direction = m.outgoing ? Direction::Outgoing : Direction::Incoming;
      message.body = m.body;
      message.sent_at = from_millis(m.sent_at_ms);
      message.received_at = from_millis(m.sent_at_ms + 200);
      auto id = messages_.insert(message);
      if (!id) return fail(std::move(id).error());
    }
    return tx->commit();
  }

  Result<std::size_t> latest(std::int64_t chat_id, std::size_t limit) override {
    auto rows = messages_.latest(chat_id, limit);
    if (!rows) return fail(std::move(rows).error());
    return rows->size();
  }

  Result<std::size_t> search(std::string_view query, std::size_t limit) override {
    auto rows = messages_.search(query, std::nullopt, limit);
    if (!rows) return fail(std::move(rows).error());
    return rows->size();
  }

 private:
  Database& db_;
  MessageRepository messages_;
};

}  // namespace

Message make_message(std::size_t i) {
  Message m;
  m.chat_id = static_cast<std::int64_t>(i % kChats) + 1;
  m.outgoing = (i / kChats) % 2 == 0;
  m.sent_at_ms = kEpochMs + static_cast<std::int64_t>(i) * 1500;
  std::uint64_t state = splitmix64(i);
  for (std::size_t b = 0; b < m.uid.size(); b += 8) {
    const std::uint64_t word = splitmix64(state ^ b);
    for (std::size_t k = 0; k < 8; ++k) m.uid[b + k] = static_cast<std::uint8_t>(word >> (8 * k));
  }
  const bool marked = i % kSearchEvery == kSearchEvery / 2;
  const std::size_t mark_at = marked ? static_cast<std::size_t>(state % 8) : SIZE_MAX;
  m.body.reserve(kBodyBytes + 16);
  for (std::size_t word = 0; m.body.size() < kBodyBytes; ++word) {
    if (!m.body.empty()) m.body += ' ';
    if (word == mark_at) {
      m.body += kSearchWord;
      continue;
    }
    state = splitmix64(state);
    m.body += kWords[state % kWords.size()];
  }
  return m;
}

Result<std::unique_ptr<Workload>> make_workload(Database& db) {
  return std::unique_ptr<Workload>(std::make_unique<RepositoryWorkload>(db));
}

std::string workload_path() {
  return "MessageRepository (store/repo_messages.h) on the schema of store/schema.h";
}

}  // namespace exile::bench::store
