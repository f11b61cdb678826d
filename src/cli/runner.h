// Runs a command on an open profile through the QtHost, and produces its JSON result
// (json_views.h; the shapes are in docs/cli.md). One-shot commands add the waits of docs/cli.md
// ("Waiting for the network"): reads sync first, changes sync afterwards. The daemon's commands
// do not wait: the daemon stays connected, and "sync" is a command of its own.
#pragma once

#include <QJsonValue>
#include <QObject>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "cli/command.h"
#include "common/result.h"
#include "engine/qt_host.h"

namespace exile::cli {

inline constexpr std::string_view kQueuedNote = "queued; will be sent next time";
inline constexpr std::string_view kStaleNote =
    "the relays could not be reached in time: this is what the profile holds";
inline constexpr std::string_view kAddressPendingNote =
    "the contact address is not published yet (the relay did not answer in time); it will be "
    "the next time exile-cli or the app opens the profile";

struct Outcome {
  Result<QJsonValue> result;
  std::optional<std::string> note;
};
using Finish = std::function<void(Outcome)>;

enum class Mode : std::uint8_t { OneShot, Daemon };

class Runner final : public QObject {
 public:
  Runner(engine::QtHost& host, Mode mode, std::chrono::milliseconds wait);

  // Runs `command` (any but Init, Daemon and Quit); `finish` is called once, on the host thread,
  // unless the runner is destroyed first.
  void run(const Command& command, Finish finish);

  // Done(true) once the contact address is published (at once if it already is), Done(false)
  // after `wait`.
  void wait_for_address(std::chrono::milliseconds wait, std::function<void(bool)> done);

 private:
  void sync_then(std::chrono::milliseconds timeout, std::function<void(bool synced)> next);
  void after_change(Result<QJsonValue> result, Finish finish);
  void before_read(std::function<Result<QJsonValue>()> read, Finish finish);

  engine::QtHost& host_;
  Mode mode_;
  std::chrono::milliseconds wait_;
};

}  // namespace exile::cli
