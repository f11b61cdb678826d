# Shared by scripts/*: paths, logging, and installing the Debian packages Exile needs.
# shellcheck shell=bash

EXILE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EXILE_JOBS="${EXILE_JOBS:-2}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Packages for building and testing (ARCHITECTURE.md, "Dependencies").
EXILE_BUILD_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libsodium-dev libprotobuf-dev protobuf-compiler libsqlite3-dev sqlite3
  python3  # scripts/lib/check_layers.py (the layer check)
  python3-nacl  # tests/crypto/vectors_from_doc.py: the §11.3 vectors from the document alone
  libgtest-dev libgmock-dev
  clang-format
  libboost-dev libssl-dev libjemalloc-dev
  qt6-base-dev qt6-websockets-dev
  libqrencode-dev  # the engine's terminal QR code of an invitation link
  zbar-tools  # tests/engine/qr_ascii_test.cpp decodes the QR code it drew (zbarimg)
  mosquitto  # the load generators' smoke test (tests/bench/loadgen_smoke.sh)
  qt6-declarative-dev  # the app: Qt Quick, QML and Quick Controls (cmake), qmlcachegen, Quick Test
  qt6-tools-dev  # Qt6LinguistTools (cmake) for ui/i18n: the .ts files become .qm resources
  qt6-l10n-tools  # lrelease and lupdate (ui/i18n, scripts/lib/update_translations.sh, app_translations_test)
  qml6-module-qtqml qml6-module-qtqml-workerscript  # QML modules the app loads at run time: QtQml,
  qml6-module-qtquick qml6-module-qtquick-window  #   QtQuick, QtQuick.Window,
  qml6-module-qtquick-controls qml6-module-qtquick-templates  #   QtQuick.Controls and its templates,
  qml6-module-qtquick-layouts  #   QtQuick.Layouts
  qml6-module-qttest  # the QML module QtTest, for Qt Quick Test in tests/gui
  libqt6svg6  # Qt's SVG image and icon plugins: the app's SVG icons (packaging/icons, ui/)
  qt6-wayland  # the app's platform plugin on a Wayland session (xcb comes with qt6-base-dev)
  fonts-noto-cjk  # Korean glyphs for the app (its Korean translation) and the screenshots
  xvfb xauth  # the GUI tests and screenshots under a virtual X server (xvfb-run)
  desktop-file-utils appstream  # packaging_validate_test: desktop-file-validate, appstreamcli
)
# Fuzzing (libFuzzer needs clang; clang 16 for libstdc++'s <expected>).
EXILE_FUZZ_PACKAGES=(clang-16 libclang-rt-16-dev)
# Benchmarks and their side-by-side peers.
EXILE_BENCH_PACKAGES=(libbenchmark-dev libolm-dev python3 mosquitto)

# ensure_packages PKG...: installs whichever of the packages is missing.
ensure_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  say "installing: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}) and not root"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

# configure DIR ARGS...: (re)configures a build tree with Ninja. RelWithDebInfo gets line tables
# only (-g1) instead of full debug info: stack traces (the sanitizers', gdb's bt) keep their
# functions, files and lines, and the compiler spends about a quarter less time (scripts/test's
# build stages; README). EXILE_DEBUG_INFO=-g gives full debug info back, for gdb.
configure() {
  local dir="$1"
  shift
  local debug=${EXILE_DEBUG_INFO:--g1}
  cmake -S "$EXILE_ROOT" -B "$dir" -G Ninja \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 $debug -DNDEBUG" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 $debug -DNDEBUG" "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; die "cmake configure failed for $dir"; }
}
