// MessageListModel: pages as a view scrolls, live messages in place, day labels.
#include "app/message_list_model.h"

#include <gtest/gtest.h>

#include <QDateTime>
#include <QSignalSpy>
#include <optional>
#include <vector>

namespace exile::app {
namespace {

using engine::MessageId;
using engine::MessageView;

MessageView message(MessageId id, QDateTime at, bool outgoing = false) {
  MessageView m;
  m.id = id;
  m.chat = 7;
  m.outgoing = outgoing;
  m.text = "m" + std::to_string(id);
  m.state = outgoing ? engine::MessageState::Sent : engine::MessageState::Received;
  m.sent_at = m.received_at = from_millis(at.toMSecsSinceEpoch());
  return m;
}

// The history the loader pages through: ids 1..n, one a minute, ending now.
struct History {
  std::vector<MessageView> all;
  std::vector<std::optional<MessageId>> asked;
  std::vector<std::size_t> limits;
  explicit History(int n) {
    const auto now = QDateTime::currentDateTime();
    for (int i = 1; i <= n; ++i) all.push_back(message(i, now.addSecs(60 * (i - n))));
  }
  std::vector<MessageView> page(std::optional<MessageId> before,
                                std::size_t limit = MessageListModel::kPageSize) const {
    std::vector<MessageView> out;
    for (auto it = all.rbegin(); it != all.rend() && out.size() < limit; ++it) {
      if (!before || it->id < *before) out.push_back(*it);
    }
    return out;
  }
};

qint64 id_at(const MessageListModel& model, int row) {
  return model.data(model.index(row), MessageListModel::MessageIdRole).toLongLong();
}

TEST(MessageListModel, PagesFromTheNewestTowardsTheOldestOnDemand) {
  History history(120);
  MessageListModel model;
  model.set_loader([&](engine::ChatId, std::optional<MessageId> before, std::size_t limit) {
    history.asked.push_back(before);
    history.limits.push_back(limit);
  });
  model.open(7);
  ASSERT_EQ(history.asked.size(), 1u);
  EXPECT_FALSE(history.asked[0].has_value());
  EXPECT_TRUE(model.loading());
  EXPECT_FALSE(model.canFetchMore({}));  // one read at a time
  model.page_loaded(7, std::nullopt, history.page(std::nullopt));
  EXPECT_EQ(model.rowCount(), 50);
  EXPECT_EQ(id_at(model, 0), 120);
  EXPECT_EQ(id_at(model, 49), 71);
  EXPECT_TRUE(model.canFetchMore({}));
  model.fetchMore({});
  ASSERT_EQ(history.asked.size(), 2u);
  EXPECT_EQ(history.asked[1], 71);
  model.page_loaded(7, 71, history.page(71));
  model.fetchMore({});
  EXPECT_EQ(history.limits.back(), 100u);  // as long as what is loaded
  model.page_loaded(7, 21, history.page(21, 100));
  EXPECT_EQ(model.rowCount(), 120);
  EXPECT_EQ(id_at(model, 119), 1);
  EXPECT_TRUE(model.complete());
  EXPECT_FALSE(model.canFetchMore({}));
}

TEST(MessageListModel, PagesGrowWithWhatIsLoadedUpToAThousand) {
  History history(5000);
  MessageListModel model;
  model.set_loader([&](engine::ChatId, std::optional<MessageId> before, std::size_t limit) {
    history.asked.push_back(before);
    history.limits.push_back(limit);
  });
  model.open(7);
  while (!model.complete()) {
    ASSERT_LT(history.limits.size(), 20u);
    model.page_loaded(7, history.asked.back(),
                      history.page(history.asked.back(), history.limits.back()));
    if (model.canFetchMore({})) model.fetchMore({});
  }
  EXPECT_EQ(model.rowCount(), 5000);
  EXPECT_EQ(id_at(model, 4999), 1);
  EXPECT_EQ(history.limits,
            (std::vector<std::size_t>{50, 50, 100, 200, 400, 800, 1000, 1000, 1000, 1000}));
}

TEST(MessageListModel, APageForAnotherChatOrAMovedEdgeIsNotAppended) {
  History history(60);
  MessageListModel model;
  model.set_loader([&](engine::ChatId, std::optional<MessageId> before, std::size_t limit) {
    history.asked.push_back(before);
    history.limits.push_back(limit);
  });
  model.open(7);
  model.open(8);  // the user switched chats before the page came
  model.page_loaded(7, std::nullopt, history.page(std::nullopt));
  EXPECT_EQ(model.rowCount(), 0);
  model.open(7);
  model.page_loaded(7, std::nullopt, history.page(std::nullopt));
  model.fetchMore({});
  EXPECT_EQ(history.asked.back(), 11);
  model.remove(11);  // the oldest row went (a timer) while the next page was read
  model.page_loaded(7, 11, history.page(11));  // ... answered for the old edge: asked again
  EXPECT_EQ(history.asked.back(), 12);
}

TEST(MessageListModel, LiveMessagesGoInPlaceAndChangesReplace) {
  History history(3);
  MessageListModel model;
  model.set_loader([](engine::ChatId, std::optional<MessageId>, std::size_t) {});
  model.open(7);
  model.page_loaded(7, std::nullopt, history.page(std::nullopt));
  ASSERT_EQ(model.rowCount(), 3);
  QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
  auto newer = message(10, QDateTime::currentDateTime(), true);
  model.upsert(newer);
  EXPECT_EQ(id_at(model, 0), 10);
  newer.state = engine::MessageState::Read;
  model.upsert(newer);
  EXPECT_EQ(model.rowCount(), 4);
  EXPECT_EQ(model.data(model.index(0), MessageListModel::StateRole).toString(), "read");
  EXPECT_GE(changed.count(), 1);
  auto other_chat = newer;
  other_chat.id = 11;
  other_chat.chat = 8;
  model.upsert(other_chat);
  EXPECT_EQ(model.rowCount(), 4);
  EXPECT_EQ(model.newest_incoming(), 3);
  model.remove(10);
  EXPECT_EQ(model.rowOf(10), -1);
  EXPECT_EQ(model.rowCount(), 3);
}

TEST(MessageListModel, TheOldestMessageOfEachDayCarriesItsLabel) {
  const auto today = QDateTime::currentDateTime();
  const auto yesterday = today.addDays(-1);
  const auto long_ago = QDateTime(QDate(2026, 3, 2), QTime(12, 0));
  std::vector<MessageView> page = {message(4, today), message(3, today), message(2, yesterday),
                                   message(1, long_ago)};
  MessageListModel model;
  model.set_loader([](engine::ChatId, std::optional<MessageId>, std::size_t) {});
  model.open(7);
  model.page_loaded(7, std::nullopt, page);
  const auto label = [&](int row) {
    return model.data(model.index(row), MessageListModel::DayLabelRole).toString();
  };
  EXPECT_EQ(label(0), "");
  EXPECT_EQ(label(1), "Today");
  EXPECT_EQ(label(2), "Yesterday");
  EXPECT_FALSE(label(3).isEmpty());  // complete: the oldest has its date
  EXPECT_TRUE(label(3).contains("2026"));
}

}  // namespace
}  // namespace exile::app
