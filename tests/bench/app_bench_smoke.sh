#!/usr/bin/env bash
# scripts/bench app's two programs (bench/app/), briefly, under the X server xvfb-run gives the
# test: `exile-app-bench generate` makes a small profile (200 messages in 3 chats, one of 100)
# through real engines and a real exile-relay; then one run of exile-bare-window and one of
# `exile-app-bench app` on it (the relay restarted on its port), whose JSON lines must hold
# every field the report reads, with sane values: the app shows the 100 messages after the
# scroll, its chat list is shown after the unlock, and the bare window shows its rows.
#
# Usage: app_bench_smoke.sh EXILE_RELAY EXILE_APP_BENCH EXILE_BARE_WINDOW
set -euo pipefail

relay=$1 app_bench=$2 bare=$3
dir=$(mktemp -d)
relay_pid=""
cleanup() {
  if [[ -n $relay_pid ]]; then
    kill "$relay_pid" 2>/dev/null || true
    wait "$relay_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
export EXILE_BENCH_PASSPHRASE="smoke test passphrase" QT_QUICK_BACKEND=software
export XDG_CONFIG_HOME=$dir/config

meta=$("$app_bench" generate --relay-bin "$relay" --dir "$dir/gen" --messages 200 \
  --chat-messages 100 --chats 3 --turn 20 --fast-kdf) || { echo "FAIL: generate"; exit 1; }
echo "generate: $meta"
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' <<<"$meta")
chat=$(sed -n 's/.*"chat":\([0-9]*\).*/\1/p' <<<"$meta")
[[ $meta =~ \"messages\":200, ]] || { echo "FAIL: generate made the wrong number"; exit 1; }
[[ -n $port && -n $chat && -f $dir/gen/bench.json ]] || { echo "FAIL: generate's record"; exit 1; }

# fields LABEL LINE FIELD...: every FIELD is in LINE with a number.
fields() {
  local label=$1 line=$2 field
  shift 2
  for field in "$@"; do
    [[ $line =~ \"$field\":(-?[0-9.]+) ]] || { echo "FAIL $label: no $field"; exit 1; }
  done
}
# positive LABEL LINE FIELD...: every FIELD is above 0.
positive() {
  local label=$1 line=$2 field
  shift 2
  for field in "$@"; do
    [[ $line =~ \"$field\":([0-9.]+) ]] && [[ ${BASH_REMATCH[1]} != 0 && ${BASH_REMATCH[1]} != 0.0 ]] ||
      { echo "FAIL $label: $field not above 0"; exit 1; }
  done
}

line=$(EXILE_BENCH_T0_NS=$(date +%s%N) "$bare") || { echo "FAIL: exile-bare-window"; exit 1; }
echo "bare: $line"
fields bare "$line" main_ms qguiapplication_ms qml_loaded_ms shown_ms shown_proc_ms rss_mib hwm_mib
positive bare "$line" shown_ms rss_mib
[[ $line =~ \"start_source\":\"harness\" ]] || { echo "FAIL bare: start not from the harness"; exit 1; }

: >"$dir/relay.log"
"$relay" --listen "127.0.0.1:$port" --data "$dir/gen/relay/data" >"$dir/relay.log" 2>&1 &
relay_pid=$!
for _ in $(seq 150); do
  grep -q "listening on" "$dir/relay.log" && break
  sleep 0.1
done
grep -q "listening on" "$dir/relay.log" || { cat "$dir/relay.log"; echo "FAIL: relay"; exit 1; }
line=$(EXILE_BENCH_T0_NS=$(date +%s%N) "$app_bench" app --profile "$dir/gen/profile" \
  --chat "$chat" --expect-messages 100) || { echo "FAIL: exile-app-bench app"; exit 1; }
echo "app: $line"
fields app "$line" main_ms qguiapplication_ms qml_loaded_ms first_frame_ms unlock_ms chats_ms \
  chat_list_ms chat_list_proc_ms app_minus_unlock_ms chats chat_list_rss_mib open_ms \
  open_rss_mib scroll_ms scroll_steps scroll_frames rows rss_mib hwm_mib
positive app "$line" unlock_ms chat_list_ms open_ms scroll_ms rss_mib
[[ $line =~ \"rows\":100, ]] || { echo "FAIL app: not the 100 messages"; exit 1; }
[[ $line =~ \"chats\":3, ]] || { echo "FAIL app: not the 3 chats"; exit 1; }
echo "PASS"
