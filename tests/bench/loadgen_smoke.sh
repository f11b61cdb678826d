#!/usr/bin/env bash
# The load generators of scripts/bench relay (bench/loadgen/), each for a second against its
# real server on 127.0.0.1: exile-loadgen against exile-relay, mqtt-loadgen against mosquitto.
# Each run must deliver messages, report no error of any kind (lost, duplicated or reordered
# messages, refused commands, protocol errors), and keep its idle connections open; once with
# writes batched (the default) and once with one command or packet per write.
#
# Usage: loadgen_smoke.sh EXILE_RELAY EXILE_LOADGEN MQTT_LOADGEN
set -euo pipefail

relay=$1 exile_loadgen=$2 mqtt_loadgen=$3
command -v mosquitto >/dev/null || { echo "mosquitto is not installed (scripts/lib/common.sh)"; exit 1; }
dir=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT

# check LABEL LINE: the JSON line of one run.
check() {
  local label=$1 line=$2
  echo "$label: $line"
  [[ $line =~ \"msgs_per_s\":([0-9]+) ]] && ((BASH_REMATCH[1] > 0)) ||
    { echo "FAIL $label: nothing delivered"; exit 1; }
  [[ $line =~ \"errors\":0, ]] || { echo "FAIL $label: errors"; exit 1; }
  [[ $line =~ \"idle_open\":([0-9]+),\"idle_open_end\":([0-9]+) ]] &&
    ((BASH_REMATCH[1] == idle && BASH_REMATCH[2] == idle)) ||
    { echo "FAIL $label: idle connections lost"; exit 1; }
}

idle=3
load=(--pairs 4 --window 8 --payload 1024 --warmup 0.3 --duration 1 --idle "$idle")

# exile-relay on an ephemeral port: it prints the port once it listens. Four senders on a fast
# host send above the default 2,000 commands per second per connection, and a refused SEND
# counts as an error (and its sequence number as lost): the rate limit is not what this tests.
# The log exists before the relay starts: the background redirection may open it only after the
# first look below, which would end the script (set -e) on a missing file.
: >"$dir/relay.log"
"$relay" --listen 127.0.0.1:0 --data "$dir/relay" --rate 1000000 >"$dir/relay.log" 2>&1 &
pids+=($!)
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*exile-relay: listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$dir/relay.log")
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { cat "$dir/relay.log"; echo "FAIL: exile-relay did not start"; exit 1; }
for batch in 256 1; do
  line=$("$exile_loadgen" --url "ws://127.0.0.1:$port/" "${load[@]}" --batch "$batch" \
    --server-pid "${pids[0]}" | grep '^{') || { echo "FAIL exile-loadgen --batch $batch"; exit 1; }
  check "exile-loadgen --batch $batch" "$line"
done
line=$("$exile_loadgen" --url "ws://127.0.0.1:$port/" "${load[@]}" --window-mode e2e | grep '^{') ||
  { echo "FAIL exile-loadgen --window-mode e2e"; exit 1; }
check "exile-loadgen --window-mode e2e" "$line"

# mosquitto on a free port (tried until one is free), in memory.
started=0
for _ in 1 2 3 4 5; do
  mport=$((20000 + RANDOM % 40000))
  cat >"$dir/mosquitto.conf" <<CONF
listener $mport 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
CONF
  [[ $(id -u) -eq 0 ]] && echo "user root" >>"$dir/mosquitto.conf"
  mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 &
  mpid=$!
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null; then
      started=1
      break
    fi
    kill -0 "$mpid" 2>/dev/null || break
    sleep 0.1
  done
  if ((started)); then
    pids+=("$mpid")
    break
  fi
  kill -9 "$mpid" 2>/dev/null || true
done
((started)) || { cat "$dir/mosquitto.log"; echo "FAIL: mosquitto did not start"; exit 1; }
for batch in 256 1; do
  line=$("$mqtt_loadgen" --url "mqtt://127.0.0.1:$mport" "${load[@]}" --batch "$batch" \
    --server-pid "$mpid" | grep '^{') || { echo "FAIL mqtt-loadgen --batch $batch"; exit 1; }
  check "mqtt-loadgen --batch $batch" "$line"
done
echo "PASS"
