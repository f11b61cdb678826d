#include "cli/runner.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTimer>
#include <algorithm>
#include <memory>
#include <type_traits>

#include "cli/arguments.h"
#include "cli/json_views.h"

namespace exile::cli {
namespace {

using engine::Engine;

QJsonValue json_id(std::int64_t id) { return QJsonValue(static_cast<qint64>(id)); }

QJsonObject object_with(const char* key, const QJsonValue& value) {
  QJsonObject o;
  o[QLatin1String(key)] = value;
  return o;
}

template <class T>
Result<QJsonValue> as_array(Result<std::vector<T>> values) {
  if (!values) return std::unexpected(std::move(values).error());
  QJsonArray array;
  for (const auto& v : *values) array.append(to_json(v));
  return QJsonValue(array);
}

Result<QJsonValue> done_or_null(Result<void> result) {
  if (!result) return std::unexpected(std::move(result).error());
  return QJsonValue(QJsonValue::Null);
}

}  // namespace

Runner::Runner(engine::QtHost& host, Mode mode, std::chrono::milliseconds wait)
    : host_(host), mode_(mode), wait_(wait) {}

void Runner::sync_then(std::chrono::milliseconds timeout, std::function<void(bool)> next) {
  host_.run<void>(
      this,
      [&](engine::Done<void> d) { host_.engine().sync(timeout, kDefaultQuiet, std::move(d)); },
      [next = std::move(next)](Result<void> synced) { next(synced.has_value()); });
}

void Runner::after_change(Result<QJsonValue> result, Finish finish) {
  if (!result || mode_ == Mode::Daemon) {
    finish(Outcome{std::move(result), std::nullopt});
    return;
  }
  // Committed locally already: waiting only tells whether the relays have it too.
  sync_then(wait_, [result = std::move(result), finish = std::move(finish)](bool synced) mutable {
    Outcome outcome{std::move(result), std::nullopt};
    if (!synced) outcome.note = std::string(kQueuedNote);
    finish(std::move(outcome));
  });
}

void Runner::before_read(std::function<Result<QJsonValue>()> read, Finish finish) {
  if (mode_ == Mode::Daemon) {
    finish(Outcome{read(), std::nullopt});
    return;
  }
  sync_then(wait_, [read = std::move(read), finish = std::move(finish)](bool synced) {
    Outcome outcome{read(), std::nullopt};
    if (!synced && outcome.result) outcome.note = std::string(kStaleNote);
    finish(std::move(outcome));
  });
}

void Runner::wait_for_address(std::chrono::milliseconds wait, std::function<void(bool)> done) {
  if (host_.engine().invitation()) {
    done(true);
    return;
  }
  // Whichever comes first answers; the other finds `state->done` empty.
  struct State {
    std::function<void(bool)> done;
    QMetaObject::Connection connection;
  };
  auto state = std::make_shared<State>();
  state->done = std::move(done);
  auto answer = [state](bool ready) {
    if (!state->done) return;
    QObject::disconnect(state->connection);
    std::exchange(state->done, {})(ready);
  };
  state->connection =
      connect(&host_, &engine::QtHost::engine_event, this, [answer](const engine::Event& event) {
        if (std::holds_alternative<engine::AddressReady>(event)) {
          answer(true);
        }
      });
  QTimer::singleShot(wait, this, [answer] { answer(false); });
  // The event may have come between the first look and the connection.
  if (host_.engine().invitation()) answer(true);
}

void Runner::run(const Command& command, Finish finish) {
  Engine& engine = host_.engine();
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, Invite>) {
          auto invitation = engine.invitation();
          if (invitation || invitation.error().code != ErrorCode::AddressPending ||
              mode_ == Mode::Daemon) {
            if (!invitation) return finish(Outcome{std::unexpected(invitation.error()), {}});
            return finish(Outcome{QJsonValue(to_json(*invitation)), {}});
          }
          wait_for_address(wait_, [this, finish = std::move(finish)](bool) {
            auto again = host_.engine().invitation();
            if (!again) return finish(Outcome{std::unexpected(again.error()), {}});
            finish(Outcome{QJsonValue(to_json(*again)), {}});
          });
        } else if constexpr (std::is_same_v<T, Accept>) {
          host_.run<engine::ChatId>(
              this, [&](auto d) { engine.accept_invitation(c.link, std::move(d)); },
              [this, finish = std::move(finish)](Result<engine::ChatId> chat) mutable {
                if (!chat) return finish(Outcome{std::unexpected(chat.error()), {}});
                after_change(QJsonValue(object_with("chat", json_id(*chat))), std::move(finish));
              });
        } else if constexpr (std::is_same_v<T, Requests>) {
          before_read([this] { return as_array(host_.engine().requests()); }, std::move(finish));
        } else if constexpr (std::is_same_v<T, AcceptRequest>) {
          host_.run<engine::ChatId>(
              this, [&](auto d) { engine.accept_request(c.request, std::move(d)); },
              [this, finish = std::move(finish)](Result<engine::ChatId> chat) mutable {
                if (!chat) return finish(Outcome{std::unexpected(chat.error()), {}});
                after_change(QJsonValue(object_with("chat", json_id(*chat))), std::move(finish));
              });
        } else if constexpr (std::is_same_v<T, DeclineRequest>) {
          after_change(done_or_null(engine.decline_request(c.request)), std::move(finish));
        } else if constexpr (std::is_same_v<T, Chats>) {
          before_read([this] { return as_array(host_.engine().chats()); }, std::move(finish));
        } else if constexpr (std::is_same_v<T, History>) {
          before_read(
              [this, c]() -> Result<QJsonValue> {
                auto messages = host_.engine().messages(c.chat, engine::Page{c.before, c.limit});
                if (!messages) return std::unexpected(messages.error());
                // Oldest first, as a chat reads, whatever order the page came in.
                std::ranges::sort(*messages, {}, &engine::MessageView::id);
                return as_array(std::move(messages));
              },
              std::move(finish));
        } else if constexpr (std::is_same_v<T, Search>) {
          before_read(
              [this, c] { return as_array(host_.engine().search(c.query, c.chat, c.limit)); },
              std::move(finish));
        } else if constexpr (std::is_same_v<T, Send>) {
          auto message = engine.send_text(c.chat, c.text);
          if (!message) return finish(Outcome{std::unexpected(message.error()), {}});
          after_change(QJsonValue(object_with("message", json_id(*message))), std::move(finish));
        } else if constexpr (std::is_same_v<T, Verify>) {
          if (c.mark_verified) {
            if (auto marked = engine.mark_verified(c.chat, *c.mark_verified); !marked) {
              return finish(Outcome{std::unexpected(marked.error()), {}});
            }
          }
          auto verification = engine.verification(c.chat);
          if (!verification) return finish(Outcome{std::unexpected(verification.error()), {}});
          finish(Outcome{QJsonValue(to_json(*verification)), {}});
        } else if constexpr (std::is_same_v<T, Timer>) {
          auto seconds = parse_timer(c.value);
          if (!seconds) return finish(Outcome{std::unexpected(seconds.error()), {}});
          auto set = engine.set_timer(c.chat, *seconds);
          if (!set) return finish(Outcome{std::unexpected(set.error()), {}});
          const QJsonValue value =
              *seconds ? QJsonValue(static_cast<qint64>(**seconds)) : QJsonValue(QJsonValue::Null);
          after_change(QJsonValue(object_with("timer_seconds", value)), std::move(finish));
        } else if constexpr (std::is_same_v<T, Delete>) {
          after_change(done_or_null(engine.delete_for_both(c.chat, c.message)), std::move(finish));
        } else if constexpr (std::is_same_v<T, Retry>) {
          auto message = engine.retry(c.chat, c.message);
          if (!message) return finish(Outcome{std::unexpected(message.error()), {}});
          after_change(QJsonValue(object_with("message", json_id(*message))), std::move(finish));
        } else if constexpr (std::is_same_v<T, Read>) {
          std::optional<engine::MessageId> up_to = c.up_to;
          if (!up_to) {
            auto newest = engine.messages(c.chat, engine::Page{std::nullopt, 1});
            if (!newest) return finish(Outcome{std::unexpected(newest.error()), {}});
            if (newest->empty()) {
              return finish(Outcome{QJsonValue(object_with("up_to", QJsonValue())), {}});
            }
            up_to = newest->front().id;
          }
          auto read = engine.mark_read(c.chat, *up_to);
          if (!read) return finish(Outcome{std::unexpected(read.error()), {}});
          after_change(QJsonValue(object_with("up_to", json_id(*up_to))), std::move(finish));
        } else if constexpr (std::is_same_v<T, Typing>) {
          after_change(done_or_null(engine.set_typing(c.chat, c.typing)), std::move(finish));
        } else if constexpr (std::is_same_v<T, Sync>) {
          host_.run<void>(
              this, [&](auto d) { engine.sync(c.timeout, c.quiet, std::move(d)); },
              [finish = std::move(finish)](Result<void> synced) {
                finish(Outcome{done_or_null(std::move(synced)), {}});
              });
        } else if constexpr (std::is_same_v<T, Lock>) {
          host_.lock();
          finish(Outcome{QJsonValue(QJsonValue::Null), {}});
        } else {
          finish(
              Outcome{fail(ErrorCode::InvalidArgument, "not a command for an open profile"), {}});
        }
      },
      command);
}

}  // namespace exile::cli
