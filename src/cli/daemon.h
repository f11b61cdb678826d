// exile-cli daemon: JSON commands on stdin, one object per line; one JSON line per answer and
// per engine event on stdout, flushed each line (docs/cli.md, "Daemon"). Commands run as they
// arrive: an answer carries its request's id, and answers to slow commands (accept, sync) may
// come after later ones. A malformed line gets an error answer; the daemon keeps running.
//
// It ends, with the profile locked, on "quit" or end of input (once the commands still running
// have answered), or at once on SIGTERM or SIGINT.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QSocketNotifier>
#include <functional>
#include <string>

#include "cli/runner.h"
#include "engine/qt_host.h"

namespace exile::cli {

class DaemonLoop final : public QObject {
 public:
  // `quit` is called once, on the host thread, when the daemon is done; the caller then locks.
  DaemonLoop(engine::QtHost& host, std::function<void()> quit);

 private:
  void read_input();
  void handle_line(const QByteArray& line);
  void write(const QJsonObject& object);
  void finish_one();
  void stop_reading();

  engine::QtHost& host_;
  std::function<void()> quit_;
  Runner runner_;
  QSocketNotifier input_;
  QByteArray buffer_;
  bool discarding_ = false;  // inside a line longer than kMaxRequestBytes
  bool input_done_ = false;  // end of input, or "quit"
  std::size_t running_ = 0;  // commands that have not answered yet
};

// SIGTERM and SIGINT call `on_signal` on the calling thread's event loop (through a pipe, since
// a signal handler may do almost nothing).
void on_quit_signals(QObject* context, std::function<void()> on_signal);

}  // namespace exile::cli
