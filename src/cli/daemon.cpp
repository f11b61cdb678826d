#include "cli/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <QJsonObject>
#include <cerrno>
#include <cstdio>

#include "cli/daemon_request.h"
#include "cli/json_views.h"

namespace exile::cli {
namespace {

int g_signal_pipe[2] = {-1, -1};

extern "C" void write_signal_byte(int) {
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

}  // namespace

DaemonLoop::DaemonLoop(engine::QtHost& host, std::function<void()> quit)
    : host_(host),
      quit_(std::move(quit)),
      runner_(host, Mode::Daemon, std::chrono::milliseconds(0)),
      input_(STDIN_FILENO, QSocketNotifier::Read) {
  connect(&host_, &engine::QtHost::engine_event, this,
          [this](const engine::Event& event) { write(to_json(event)); });
  connect(&input_, &QSocketNotifier::activated, this, [this] { read_input(); });
}

void DaemonLoop::read_input() {
  char chunk[65536];
  ssize_t n = 0;
  do {
    n = ::read(STDIN_FILENO, chunk, sizeof chunk);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {  // end of input (or an error reading it, which ends it too)
    if (!buffer_.isEmpty() && !discarding_) handle_line(buffer_);
    buffer_.clear();
    stop_reading();
    return;
  }
  buffer_.append(chunk, n);
  qsizetype start = 0;
  for (qsizetype newline = buffer_.indexOf('\n', start); newline >= 0 && !input_done_;
       newline = buffer_.indexOf('\n', start)) {
    const QByteArray line = buffer_.mid(start, newline - start);
    start = newline + 1;
    if (discarding_) {
      discarding_ = false;  // the end of the long line: it has been answered already
      continue;
    }
    handle_line(line);
  }
  buffer_.remove(0, start);
  if (input_done_) return;
  if (static_cast<std::size_t>(buffer_.size()) > kMaxRequestBytes) {
    if (!discarding_) {
      write(error_answer(QJsonValue(QJsonValue::Null),
                         Error(ErrorCode::InvalidArgument, "the request is longer than 1 MiB")));
    }
    discarding_ = true;
    buffer_.clear();
  }
}

void DaemonLoop::handle_line(const QByteArray& line) {
  if (line.trimmed().isEmpty()) return;
  DaemonRequest request = parse_daemon_request(line);
  if (!request.command) {
    write(error_answer(request.id, request.command.error()));
    return;
  }
  if (std::holds_alternative<Quit>(*request.command)) {
    write(ok_answer(request.id, QJsonValue(QJsonValue::Null)));
    stop_reading();
    return;
  }
  ++running_;
  runner_.run(*request.command, [this, id = request.id](Outcome outcome) {
    if (outcome.result) {
      write(ok_answer(id, *outcome.result, outcome.note));
    } else {
      write(error_answer(id, outcome.result.error()));
    }
    finish_one();
  });
}

void DaemonLoop::finish_one() {
  --running_;
  if (input_done_ && running_ == 0) quit_();
}

void DaemonLoop::stop_reading() {
  if (input_done_) return;
  input_done_ = true;
  input_.setEnabled(false);
  if (running_ == 0) quit_();
}

void DaemonLoop::write(const QJsonObject& object) {
  const std::string line = to_line(object);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

void on_quit_signals(QObject* context, std::function<void()> on_signal) {
  if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return;
  auto* notifier = new QSocketNotifier(g_signal_pipe[0], QSocketNotifier::Read, context);
  QObject::connect(notifier, &QSocketNotifier::activated, context,
                   [notifier, on_signal = std::move(on_signal)] {
                     char byte = 0;
                     while (::read(g_signal_pipe[0], &byte, 1) > 0) {
                     }
                     notifier->setEnabled(false);
                     on_signal();
                   });
  struct sigaction action {};
  action.sa_handler = write_signal_byte;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

}  // namespace exile::cli
