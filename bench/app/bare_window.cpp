// exile-bare-window: the floor of scripts/bench app (docs/performance.md, "Desktop app"). A bare
// Qt Quick window, 1280×800, with a ListView of 20 text rows, in a process that links Qt Quick
// and nothing of Exile; measured as exile-app-bench measures the app: from the process's start
// (startup_clock.h) to the first frame swapped with the list's rows in it. Prints one JSON line.
//
//   exile-bare-window
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <cstdio>

#include "startup_clock.h"

namespace {

constexpr char kQml[] = R"(
import QtQuick
Window {
    width: 1280
    height: 800
    visible: true
    title: "bare"
    ListView {
        objectName: "list"
        anchors.fill: parent
        model: 20
        delegate: Text {
            objectName: "row_" + index
            height: 40
            text: "Row " + index
            font.pixelSize: 16
        }
    }
}
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace exile::bench::app;
  const StartClock clock;
  const double main_ms = clock.ms();
  qputenv("QT_QUICK_BACKEND", "software");
  QGuiApplication app(argc, argv);
  const double app_ms = clock.ms();
  QQmlApplicationEngine qml;
  qml.loadData(kQml);
  const double loaded_ms = clock.ms();
  auto* window = qml.rootObjects().isEmpty()
                     ? nullptr
                     : qobject_cast<QQuickWindow*>(qml.rootObjects().first());
  if (window == nullptr) {
    std::fprintf(stderr, "exile-bare-window: the window did not load\n");
    return 1;
  }
  const double shown_ms = wait_frame(
      window, clock,
      [&] {
        auto* list = find_named(window, QStringLiteral("list"));
        return list != nullptr && list->property("count").toInt() > 0 &&
               shown(find_named(window, QStringLiteral("row_0")));
      },
      60'000);
  if (shown_ms < 0) {
    std::fprintf(stderr, "exile-bare-window: no frame with the rows\n");
    return 1;
  }
  const double proc_ms = shown_ms - clock.offset_ms();
  const Memory mem = memory();
  std::printf(
      "{\"kind\":\"bare\",\"start_source\":\"%s\",\"main_ms\":%.1f,\"qguiapplication_ms\":%.1f,"
      "\"qml_loaded_ms\":%.1f,\"shown_ms\":%.1f,\"shown_proc_ms\":%.1f,\"rss_mib\":%.1f,"
      "\"hwm_mib\":%.1f}\n",
      clock.source(), main_ms, app_ms, loaded_ms, shown_ms, proc_ms, mem.rss_mib, mem.hwm_mib);
  std::fflush(stdout);
  return 0;
}
