#!/usr/bin/env bash
# packaging_install_test: `cmake --install` of a build puts the programs and the desktop
# integration where a desktop finds them (docs/app.md, "Installing"), and what it installed works:
#   - bin/exile, bin/exile-cli, bin/exile-relay; share/applications/org.exile.Exile.desktop,
#     share/metainfo/org.exile.Exile.metainfo.xml, the icon in share/icons/hicolor (scalable SVG
#     and 256x256 PNG), each the same bytes as in packaging/;
#   - the installed desktop entry passes desktop-file-validate, and its Exec names the installed
#     program; the installed exile and exile-cli answer --help, and the installed exile opens
#     its window (offscreen) and keeps running.
# Usage: install.sh BUILD_DIR REPOSITORY_ROOT
set -uo pipefail
build=${1:?usage: install.sh BUILD_DIR REPOSITORY_ROOT}
root=${2:?usage: install.sh BUILD_DIR REPOSITORY_ROOT}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

out=$(cmake --install "$build" --prefix "$prefix" 2>&1) || { echo "$out"; echo "FAIL: cmake --install"; exit 1; }

for program in exile exile-cli exile-relay; do
  [[ -x $prefix/bin/$program ]] || fail "bin/$program is not installed"
done
declare -A same=(
  [share/applications/org.exile.Exile.desktop]=packaging/org.exile.Exile.desktop
  [share/metainfo/org.exile.Exile.metainfo.xml]=packaging/org.exile.Exile.metainfo.xml
  [share/icons/hicolor/scalable/apps/org.exile.Exile.svg]=packaging/icons/org.exile.Exile.svg
  [share/icons/hicolor/256x256/apps/org.exile.Exile.png]=packaging/icons/org.exile.Exile.png
)
for installed in "${!same[@]}"; do
  if [[ ! -f $prefix/$installed ]]; then
    fail "$installed is not installed"
  elif ! cmp -s "$prefix/$installed" "$root/${same[$installed]}"; then
    fail "$installed differs from ${same[$installed]}"
  fi
done

desktop=$prefix/share/applications/org.exile.Exile.desktop
if [[ -f $desktop ]]; then
  out=$(desktop-file-validate "$desktop" 2>&1) || fail "desktop-file-validate: $out"
  exec_program=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
  [[ -x $prefix/bin/$exec_program ]] || fail "the desktop entry runs '$exec_program', not installed in bin/"
fi

export HOME="$prefix/home" XDG_CONFIG_HOME="$prefix/config" QT_QPA_PLATFORM=offscreen
mkdir -p "$HOME"
"$prefix/bin/exile" --help 2>&1 | grep -q -- "--profile" || fail "the installed exile does not answer --help"
"$prefix/bin/exile-cli" --help 2>&1 | grep -q -- "invite" || fail "the installed exile-cli does not answer --help"

# The installed app opens its window (offscreen) from the installed files alone: its QML and
# translations are inside it. A failed QML load ends it at once with status 1.
QT_QUICK_BACKEND=software "$prefix/bin/exile" --profile "$prefix/profile" \
  --relay ws://127.0.0.1:9/ >"$prefix/exile.out" 2>&1 &
pid=$!
sleep 4
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null
else
  fail "the installed exile ended early: $(cat "$prefix/exile.out")"
fi
if grep -E "qrc:/Exile/.*(Error|error|is not a type|not installed)" "$prefix/exile.out"; then
  fail "the installed exile's QML reported errors"
fi

((failed == 0)) && echo "packaging_install_test: passed"
exit "$failed"
