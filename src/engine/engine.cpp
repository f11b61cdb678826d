#include "engine/engine.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QThread>
#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>

#include "common/sodium.h"
#include "engine/detail/content.h"
#include "engine/detail/core.h"
#include "engine/detail/relay_url.h"
#include "relay/client/relay_connection.h"
#include "store/key_file.h"
#include "store/profile_store.h"
#include "store/schema.h"

namespace exile::engine {
namespace {

// Checks what create() is given before anything is written.
Result<void> check_spec(const ProfileSpec& spec) {
  EXILE_TRY(detail::check_display_name(spec.display_name));
  if (auto problem = detail::relay_url_problem(spec.home_relay)) {
    return fail(ErrorCode::InvalidArgument, "home relay URL: " + std::string(*problem));
  }
  if (auto refused =
          relay::client::RelayConnection::checkUrl(QUrl(QString::fromStdString(spec.home_relay)))) {
    return fail(*refused);
  }
  return {};
}

store::KdfParams kdf_params(const Options& options) {
  return options.fast_kdf ? store::KdfParams::interactive() : store::KdfParams::moderate();
}

}  // namespace

std::filesystem::path default_profile_dir() {
  if (const char* data = std::getenv("XDG_DATA_HOME"); data != nullptr && data[0] == '/') {
    return std::filesystem::path(data) / "exile" / "profile";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".local" / "share" / "exile" /
         "profile";
}

bool profile_exists(const std::filesystem::path& profile_dir) {
  std::error_code ec;
  const auto dir = profile_dir.empty() ? default_profile_dir() : profile_dir;
  return std::filesystem::is_regular_file(dir / store::ProfileStore::kKeyFileName, ec);
}

struct Engine::Impl {
  // Alive while the engine can take calls; Subscriptions hold it weakly.
  struct Gate {
    std::shared_mutex mutex;  // calls hold it shared; lock() exclusively
    bool locked = false;
    detail::Core* core = nullptr;
    QThread* thread = nullptr;
  };

  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::unique_ptr<QThread> thread;
  std::unique_ptr<SystemClock> system_clock;
  std::unique_ptr<SystemRng> system_rng;

  // Runs `f(core)` on the engine thread and returns its answer.
  template <class F>
  auto call(F&& f) -> decltype(f(std::declval<detail::Core&>())) {
    using R = decltype(f(std::declval<detail::Core&>()));
    std::shared_lock hold(gate->mutex);
    if (gate->locked) return fail(ErrorCode::ProfileLocked);
    if (QThread::currentThread() == gate->thread) return f(*gate->core);
    std::optional<R> answer;
    QMetaObject::invokeMethod(
        gate->core, [&] { answer.emplace(f(*gate->core)); }, Qt::BlockingQueuedConnection);
    return std::move(*answer);
  }

  // Posts `f(core)` to the engine thread; `locked()` is called instead when the engine is locked.
  template <class F, class L>
  void post(F&& f, L&& locked) {
    std::shared_lock hold(gate->mutex);
    if (gate->locked) return locked();
    QMetaObject::invokeMethod(
        gate->core, [core = gate->core, f = std::forward<F>(f)]() mutable { f(*core); },
        Qt::QueuedConnection);
  }

  void lock() {
    {
      // From here no call enters; the calls already in have returned (they held it shared).
      std::unique_lock hold(gate->mutex);
      if (gate->locked) return;
      gate->locked = true;
    }
    auto* core = gate->core;
    if (QThread::currentThread() == gate->thread) {
      // From an event or completion on the engine thread: finish there, the thread stops after.
      core->shut_down();
      core->deleteLater();
      thread->quit();
      return;
    }
    QMetaObject::invokeMethod(
        core,
        [core] {
          core->shut_down();
          delete core;  // closes the database: keys wiped, profile lock released
          QThread::currentThread()->quit();
        },
        Qt::BlockingQueuedConnection);
    thread->wait();
  }

  ~Impl() {
    lock();
    if (thread && QThread::currentThread() != thread.get()) thread->wait();
    if (thread && QThread::currentThread() == thread.get()) {
      (void)thread.release();  // a thread cannot wait for itself; it ends after this turn
    }
  }
};

namespace {

Result<std::unique_ptr<Engine::Impl>> start_engine(const Options& options, Environment environment,
                                                   store::Database db,
                                                   crypto::IdentityKeyPair identity) {
  auto impl = std::make_unique<Engine::Impl>();
  if (environment.clock == nullptr) {
    impl->system_clock = std::make_unique<SystemClock>();
    environment.clock = impl->system_clock.get();
  }
  if (environment.rng == nullptr) {
    impl->system_rng = std::make_unique<SystemRng>();
    environment.rng = impl->system_rng.get();
  }
  impl->thread = std::make_unique<QThread>();
  impl->thread->setObjectName("exile-engine");
  auto* core =
      new detail::Core(options, std::move(environment), std::move(db), std::move(identity));
  core->moveToThread(impl->thread.get());
  impl->gate->core = core;
  impl->gate->thread = impl->thread.get();
  impl->thread->start();
  QMetaObject::invokeMethod(
      core, [core] { core->start(); }, Qt::QueuedConnection);
  return impl;
}

Result<store::Database> open_database(const Options& options, const SecureBytes& passphrase) {
  // Beside the Argon2id below: the relays' sockets are made as soon as the engine starts.
  relay::client::RelayConnection::preloadTls();
  store::ProfileStore profile(options.profile_dir.empty() ? default_profile_dir()
                                                          : options.profile_dir);
  auto db = profile.unlock(passphrase);
  if (!db) return fail(std::move(db).error());
  EXILE_TRY(store::migrate(*db));
  return db;
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(const Options& options, Environment environment,
                                               const ProfileSpec& spec,
                                               const SecureBytes& passphrase) {
  ensure_sodium();
  ProfileSpec canonical = spec;
  // "ws://host:port/" and "ws://host:port" name one relay; links carry the second (§2.5).
  if (auto& url = canonical.home_relay;
      url.ends_with('/') && std::count(url.begin(), url.end(), '/') == 3) {
    url.pop_back();
  }
  EXILE_TRY(check_spec(canonical));
  if (passphrase.empty()) return fail(ErrorCode::InvalidArgument, "the passphrase is empty");
  const auto dir = options.profile_dir.empty() ? default_profile_dir() : options.profile_dir;
  store::ProfileStore profile(dir);
  EXILE_TRY(profile.create(passphrase, kdf_params(options)));
  auto db = open_database(options, passphrase);
  if (!db) return fail(std::move(db).error());
  SystemRng system_rng;
  SystemClock system_clock;
  Rng& rng = environment.rng != nullptr ? *environment.rng : system_rng;
  const Clock& clock = environment.clock != nullptr ? *environment.clock : system_clock;
  auto identity = detail::Core::initialise_profile(*db, canonical, rng, clock.now());
  if (!identity) return fail(std::move(identity).error());
  auto impl = start_engine(options, std::move(environment), std::move(*db), std::move(*identity));
  if (!impl) return fail(std::move(impl).error());
  return std::unique_ptr<Engine>(new Engine(std::move(*impl)));
}

Result<std::unique_ptr<Engine>> Engine::unlock(const Options& options, Environment environment,
                                               const SecureBytes& passphrase) {
  ensure_sodium();
  auto db = open_database(options, passphrase);
  if (!db) return fail(std::move(db).error());
  auto identity = detail::Core::load_identity(*db);
  if (!identity) {
    return fail(identity.error().code == ErrorCode::NotFound
                    ? Error(ErrorCode::NotFound, "the profile was never finished: create it again")
                    : identity.error());
  }
  auto impl = start_engine(options, std::move(environment), std::move(*db), std::move(*identity));
  if (!impl) return fail(std::move(impl).error());
  return std::unique_ptr<Engine>(new Engine(std::move(*impl)));
}

void Engine::lock() { impl_->lock(); }

Result<std::string> Engine::display_name() {
  return impl_->call([](detail::Core& core) { return core.display_name(); });
}

Result<InvitationView> Engine::invitation() {
  return impl_->call([](detail::Core& core) { return core.invitation(); });
}

void Engine::accept_invitation(std::string_view link, Done<ChatId> done) {
  impl_->post([link = std::string(link),
               done](detail::Core& core) mutable { core.accept_invitation(std::move(link), done); },
              [done] {
                if (done) done(fail(ErrorCode::ProfileLocked));
              });
}

Result<std::vector<ContactRequest>> Engine::requests() {
  return impl_->call([](detail::Core& core) { return core.requests(); });
}

void Engine::accept_request(RequestId request, Done<ChatId> done) {
  impl_->post([request, done](detail::Core& core) { core.accept_request(request, done); },
              [done] {
                if (done) done(fail(ErrorCode::ProfileLocked));
              });
}

Result<void> Engine::decline_request(RequestId request) {
  return impl_->call([request](detail::Core& core) { return core.decline_request(request); });
}

Result<std::vector<ChatSummary>> Engine::chats() {
  return impl_->call([](detail::Core& core) { return core.chats(); });
}

Result<std::vector<MessageView>> Engine::messages(ChatId chat, Page page) {
  return impl_->call([chat, page](detail::Core& core) { return core.messages(chat, page); });
}

Result<std::vector<MessageView>> Engine::search(std::string_view query, std::optional<ChatId> chat,
                                                std::size_t limit) {
  return impl_->call(
      [query, chat, limit](detail::Core& core) { return core.search(query, chat, limit); });
}

Result<MessageId> Engine::send_text(ChatId chat, std::string_view text) {
  return impl_->call([chat, text](detail::Core& core) { return core.send_text(chat, text); });
}

void Engine::send_text(ChatId chat, std::string_view text, Done<MessageId> done) {
  impl_->post(
      [chat, text = std::string(text), done](detail::Core& core) mutable {
        core.send_text(chat, std::move(text), std::move(done));
      },
      [done] {
        if (done) done(fail(ErrorCode::ProfileLocked));
      });
}

Result<MessageId> Engine::retry(ChatId chat, MessageId failed) {
  return impl_->call([chat, failed](detail::Core& core) { return core.retry(chat, failed); });
}

void Engine::retry(ChatId chat, MessageId failed, Done<MessageId> done) {
  impl_->post([chat, failed, done](detail::Core& core) mutable { core.retry(chat, failed, done); },
              [done] {
                if (done) done(fail(ErrorCode::ProfileLocked));
              });
}

Result<void> Engine::mark_read(ChatId chat, MessageId up_to) {
  return impl_->call([chat, up_to](detail::Core& core) { return core.mark_read(chat, up_to); });
}

Result<void> Engine::set_typing(ChatId chat, bool typing) {
  return impl_->call([chat, typing](detail::Core& core) { return core.set_typing(chat, typing); });
}

Result<void> Engine::set_timer(ChatId chat, std::optional<std::uint32_t> seconds) {
  return impl_->call([chat, seconds](detail::Core& core) { return core.set_timer(chat, seconds); });
}

Result<void> Engine::delete_for_both(ChatId chat, MessageId message) {
  return impl_->call(
      [chat, message](detail::Core& core) { return core.delete_for_both(chat, message); });
}

Result<Verification> Engine::verification(ChatId chat) {
  return impl_->call([chat](detail::Core& core) { return core.verification(chat); });
}

Result<void> Engine::mark_verified(ChatId chat, bool verified) {
  return impl_->call(
      [chat, verified](detail::Core& core) { return core.mark_verified(chat, verified); });
}

Result<std::size_t> Engine::run_timers() {
  return impl_->call([](detail::Core& core) { return core.run_timers(); });
}

void Engine::sync(std::chrono::milliseconds timeout, std::chrono::milliseconds quiet,
                  Done<void> done) {
  impl_->post([timeout, quiet, done](detail::Core& core) { core.sync(timeout, quiet, done); },
              [done] {
                if (done) done(fail(ErrorCode::ProfileLocked));
              });
}

Subscription Engine::subscribe(std::function<void(const Event&)> on_event) {
  auto id = impl_->call([&on_event](detail::Core& core) -> Result<std::uint64_t> {
    return core.add_subscriber(std::move(on_event));
  });
  if (!id) return Subscription();
  std::weak_ptr<Impl::Gate> weak = impl_->gate;
  return Subscription([weak, id = *id] {
    auto gate = weak.lock();
    if (!gate) return;
    std::shared_lock hold(gate->mutex);
    if (gate->locked) return;
    if (QThread::currentThread() == gate->thread) return gate->core->remove_subscriber(id);
    QMetaObject::invokeMethod(
        gate->core, [core = gate->core, id] { core->remove_subscriber(id); },
        Qt::BlockingQueuedConnection);
  });
}

}  // namespace exile::engine
