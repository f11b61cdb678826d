// What exile-app-bench and exile-bare-window share (docs/performance.md, "Desktop app"): the time
// since the process started, and the wait for the first frame that shows what a predicate asks
// for. Both binaries are measured the same way by scripts/bench app.
//
// THE START. When the harness passes EXILE_BENCH_T0_NS (CLOCK_REALTIME in nanoseconds, read just
// before it starts the process: `date +%s%N`), times count from it; otherwise from the kernel's
// start time of this process (/proc/self/stat field 22, in clock ticks since boot, against
// CLOCK_BOOTTIME: a resolution of 1/sysconf(_SC_CLK_TCK) s, 10 ms here). Both are reported.
#pragma once

#include <time.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QEventLoop>
#include <QQuickItem>
#include <QQuickWindow>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

namespace exile::bench::app {

inline double clock_ms(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

class StartClock {
 public:
  StartClock() {
    // Field 22 of /proc/self/stat; field 2 (the name) is in parentheses and may hold spaces.
    std::ifstream in("/proc/self/stat");
    std::string stat;
    std::getline(in, stat);
    const auto close = stat.rfind(')');
    if (close != std::string::npos) {
      std::istringstream rest(stat.substr(close + 2));
      std::string field;
      // The rest starts at field 3; field 22 is the 20th from there.
      for (int i = 3; i <= 22 && rest >> field; ++i) {
        if (i == 22) {
          proc_start_boot_ms_ = std::stod(field) * 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
        }
      }
    }
    if (const char* t0 = std::getenv("EXILE_BENCH_T0_NS"); t0 != nullptr && t0[0] != 0) {
      harness_start_real_ms_ = std::stod(t0) / 1e6;
    }
  }

  // Milliseconds since the process started: from the harness's timestamp when there is one.
  [[nodiscard]] double ms() const {
    return harness_start_real_ms_ > 0 ? clock_ms(CLOCK_REALTIME) - harness_start_real_ms_
                                      : proc_ms();
  }
  // The same from the kernel's start time alone.
  [[nodiscard]] double proc_ms() const { return clock_ms(CLOCK_BOOTTIME) - proc_start_boot_ms_; }
  // "harness" or "proc": where ms() counts from.
  [[nodiscard]] const char* source() const {
    return harness_start_real_ms_ > 0 ? "harness" : "proc";
  }
  // ms() - proc_ms() at the same moment: how far apart the two starts are.
  [[nodiscard]] double offset_ms() const { return ms() - proc_ms(); }

 private:
  double proc_start_boot_ms_ = 0;
  double harness_start_real_ms_ = 0;
};

// The first item under `root` named `name` (depth first, items only), or null.
inline QQuickItem* find_named(QQuickItem* root, const QString& name) {
  if (root == nullptr) return nullptr;
  if (root->objectName() == name) return root;
  const auto children = root->childItems();
  for (auto* child : children) {
    if (auto* found = find_named(child, name)) return found;
  }
  return nullptr;
}

inline QQuickItem* find_named(QQuickWindow* window, const QString& name) {
  return find_named(window->contentItem(), name);
}

// Visible, with every ancestor visible.
inline bool shown(const QQuickItem* item) {
  for (auto* i = item; i != nullptr; i = i->parentItem()) {
    if (!i->isVisible() || i->opacity() <= 0.0) return false;
  }
  return item != nullptr;
}

// Runs the event loop until a frame of `window` has been swapped while `ready()` held (checked
// again at each swap: the software render loop renders on this thread, so what holds at the
// swap is what the frame showed). Returns clock.ms() at that swap, or a negative number after
// `timeout_ms`. `step`, when given, runs once between event batches (a scroll, say).
inline double wait_frame(QQuickWindow* window, const StartClock& clock,
                         const std::function<bool()>& ready, double timeout_ms,
                         const std::function<void()>& step = {}) {
  double at = -1;
  const auto connection = QObject::connect(window, &QQuickWindow::frameSwapped, window, [&] {
    if (at < 0 && ready()) at = clock.ms();
  });
  const double end = clock_ms(CLOCK_MONOTONIC) + timeout_ms;
  while (at < 0 && clock_ms(CLOCK_MONOTONIC) < end) {
    if (ready()) window->update();  // a frame to show it, if none is coming
    if (step) step();
    QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    // What QCoreApplication::exec() would do: processEvents() called outside an event loop
    // leaves deleteLater()'s events alone (the delegates a view drops would pile up).
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
  }
  QObject::disconnect(connection);
  return at;
}

// VmRSS and VmHWM of this process, in MiB.
struct Memory {
  double rss_mib = 0;
  double hwm_mib = 0;
};
inline Memory memory() {
  Memory m;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    const auto kib = [&] { return std::stod(line.substr(line.find(':') + 1)) / 1024.0; };
    if (line.starts_with("VmRSS:")) m.rss_mib = kib();
    if (line.starts_with("VmHWM:")) m.hwm_mib = kib();
  }
  return m;
}

}  // namespace exile::bench::app
