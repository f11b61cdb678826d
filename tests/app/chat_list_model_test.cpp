// ChatListModel: a refresh with the same chats in the same order changes rows in place (a view
// keeps its place and focus); a new order or a filter resets.
#include "app/chat_list_model.h"

#include <gtest/gtest.h>

#include <QSignalSpy>
#include <vector>

#include "app/model_text.h"

namespace exile::app {
namespace {

std::vector<engine::ChatSummary> summaries(std::vector<std::pair<engine::ChatId, std::string>> c) {
  std::vector<engine::ChatSummary> out;
  for (auto& [id, name] : c) {
    engine::ChatSummary s;
    s.id = id;
    s.contact_name = name;
    out.push_back(s);
  }
  return out;
}

TEST(ChatListModel, TheSameChatsInTheSameOrderChangeInPlace) {
  ChatListModel model;
  model.set_chats(summaries({{1, "Ana"}, {2, "Bo"}}));
  QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
  QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
  auto again = summaries({{1, "Ana"}, {2, "Bo"}});
  again[1].unread = 3;
  model.set_chats(again);
  EXPECT_EQ(reset.count(), 0);
  EXPECT_EQ(changed.count(), 1);
  EXPECT_EQ(model.data(model.index(1), ChatListModel::UnreadRole).toInt(), 3);

  model.set_chats(summaries({{2, "Bo"}, {1, "Ana"}}));  // Bo's new message moved him up
  EXPECT_EQ(reset.count(), 1);
  EXPECT_EQ(model.data(model.index(0), ChatListModel::ChatIdRole).toLongLong(), 2);
}

TEST(ChatListModel, AFilterShowsOnlyItsChatsAndNamesMatchIgnoringCase) {
  ChatListModel model;
  model.set_chats(summaries({{1, "Ana"}, {2, "Bo"}, {3, "Anouk"}}));
  EXPECT_EQ(model.named("an"), (std::vector<engine::ChatId>{1, 3}));
  model.set_filter(std::vector<engine::ChatId>{3});
  EXPECT_EQ(model.rowCount(), 1);
  EXPECT_EQ(model.rowOf(3), 0);
  EXPECT_EQ(model.rowOf(1), -1);
  model.set_filter(std::nullopt);
  EXPECT_EQ(model.rowCount(), 3);
}

TEST(ChatListModel, TheLastTextIsOneShortLine) {
  auto chats = summaries({{1, "Ana"}});
  engine::MessageView last;
  last.text = "  first line\n\n\tsecond   line \n";
  chats[0].last_message = last;
  ChatListModel model;
  model.set_chats(chats);
  EXPECT_EQ(model.data(model.index(0), ChatListModel::LastTextRole).toString(),
            QStringLiteral("first line second line"));

  // A long text is cut to the preview's length, and never between the halves of a surrogate
  // pair (U+1F600 is two UTF-16 units).
  chats[0].last_message->text = std::string(static_cast<std::size_t>(kPreviewLength) - 1, 'a') +
                                "\xF0\x9F\x98\x80" + std::string(500, 'b');
  model.set_chats(chats);
  const QString cut = model.data(model.index(0), ChatListModel::LastTextRole).toString();
  EXPECT_EQ(cut, QString(kPreviewLength - 1, QLatin1Char('a')));
  chats[0].last_message->text = std::string(static_cast<std::size_t>(kPreviewLength) - 2, 'a') +
                                "\xF0\x9F\x98\x80" + std::string(500, 'b');
  model.set_chats(chats);
  EXPECT_EQ(model.data(model.index(0), ChatListModel::LastTextRole).toString(),
            QString(kPreviewLength - 2, QLatin1Char('a')) + QString::fromUtf8("\xF0\x9F\x98\x80"));
  chats[0].last_message->text = std::string(1000, 'c');
  model.set_chats(chats);
  EXPECT_EQ(model.data(model.index(0), ChatListModel::LastTextRole).toString().size(),
            kPreviewLength);
}

}  // namespace
}  // namespace exile::app
