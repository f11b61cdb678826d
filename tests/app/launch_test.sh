#!/usr/bin/env bash
# app_launch_test: the `exile` binary itself (main.cpp; the GUI tests drive AppWindow in-process):
# --help answers; with an empty profile directory it opens its window (the QML loads: a failed
# load ends the process at once with status 1) and keeps running until it is told to stop; an
# unknown option is refused. Runs under xvfb-run (ctest gives it the display).
set -euo pipefail
exile="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export HOME="$dir/home" XDG_CONFIG_HOME="$dir/config" QT_QUICK_BACKEND=software
mkdir -p "$HOME"

"$exile" --help | grep -q -- "--profile" || { echo "--help does not list --profile"; exit 1; }
if "$exile" --no-such-option >/dev/null 2>&1; then echo "an unknown option was accepted"; exit 1; fi

"$exile" --profile "$dir/profile" --relay ws://127.0.0.1:9/ --language ko >"$dir/out" 2>&1 &
pid=$!
sleep 5
if ! kill -0 "$pid" 2>/dev/null; then
  echo "exile ended early:"; cat "$dir/out"; exit 1
fi
if grep -E "qrc:/Exile/.*(Error|error|is not a type|not installed)" "$dir/out"; then
  echo "the QML reported errors"; exit 1
fi
kill -TERM "$pid"
wait "$pid" || true
# Nothing of a profile is made before the user asks for one.
[[ ! -e "$dir/profile/exile.key" ]] || { echo "a profile was made without asking"; exit 1; }
echo "app_launch_test: passed"
