#!/usr/bin/env bash
# Connection-storm benchmark of the store on loopback, side by side with torch 1.13's own
# TCPStore server under the same load and the same C++ client (store_storm):
# N clients each connect (v2: VALIDATE + PING), ADD a shared counter, the last one SETs a
# release key, all WAIT on it. Figures: time until all are released, p99 ADD latency.
#
#   scripts/bench_store.sh [BUILD_DIR]       CLIENTS="1024 4096" RUNS=3 to change the load
#
# Each run gets a fresh server; the table shows the median of RUNS runs (VERBOSE=1 prints each
# run), with the CPU time the server process spent on the storm, a figure that other load on the
# machine disturbs less than wall time. Bounded: every storm gives up after 60 s. Needs
# python3-torch (1.13) for the baseline.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
clients_list=${CLIENTS:-"1024 4096"}
runs=${RUNS:-3}
torch113=/usr/bin/python3

# Two sockets per client in one process plus the server's: lift the open-files limit.
ulimit -n "$(ulimit -Hn)"
if [ "$(cat /proc/sys/net/core/somaxconn)" -lt 4096 ]; then
  echo "bench_store: note: net.core.somaxconn is $(cat /proc/sys/net/core/somaxconn) (< 4096): expect connect retries" >&2
fi
cmake --build "$build" --target dlaunch-store store_storm >/dev/null
store="$build/rendezvous/dlaunch-store"
storm="$build/tests/rendezvous/store_storm"

tmp=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

start_server() {  # start_server dlaunch|torch113 -> sets $port and $server_pid
  rm -f "$tmp/port"
  if [ "$1" = dlaunch ]; then
    "$store" --port-file "$tmp/port" 127.0.0.1:0 >"$tmp/server.log" 2>&1 &
  else
    "$torch113" -c '
import sys, time, torch.distributed as dist
store = dist.TCPStore("127.0.0.1", 0, None, True, wait_for_workers=False)
open(sys.argv[1] + ".tmp", "w").write(str(store.port))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)' "$tmp/port" >"$tmp/server.log" 2>&1 &
  fi
  server_pid=$!
  for _ in $(seq 300); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  [ -s "$tmp/port" ] || { cat "$tmp/server.log" >&2; echo "bench_store: $1 server did not start" >&2; exit 1; }
  port=$(cat "$tmp/port")
}
stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

# CPU time (user + system) the server process has used so far, in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

echo "store connection storm on loopback, $(nproc) cores, median of $runs runs (load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf "%-8s %-26s %14s %12s %12s %9s\n" clients server "all released" "p99 ADD" "server CPU" speedup
for n in $clients_list; do
  declare -A total=() p99=() cpu=()
  for config in "torch113 v1" "dlaunch v1" "dlaunch v2"; do
    read -r server dialect <<<"$config"
    : >"$tmp/results"
    for _ in $(seq "$runs"); do
      start_server "$server"
      cpu_before=$(cpu_ms "$server_pid")
      "$storm" --port "$port" --clients "$n" --dialect "$dialect" --timeout 60 >"$tmp/run" || {
        echo "bench_store: storm failed against $server ($dialect):" >&2; cat "$tmp/run" >&2; }
      echo "$(cat "$tmp/run") server_cpu_ms=$(( $(cpu_ms "$server_pid") - cpu_before ))" >>"$tmp/results"
      stop_server
    done
    total[$config]=$(field total_ms <"$tmp/results" | median)
    p99[$config]=$(field add_p99_ms <"$tmp/results" | median)
    cpu[$config]=$(field server_cpu_ms <"$tmp/results" | median)
    [ -n "${VERBOSE:-}" ] && sed "s/^/  $server: /" "$tmp/results"
  done
  base=${total["torch113 v1"]}
  for config in "torch113 v1" "dlaunch v1" "dlaunch v2"; do
    read -r server dialect <<<"$config"
    label="$server ($dialect)"; [ "$server" = torch113 ] && label="torch 1.13 TCPStore (v1)"
    speedup=$(awk -v b="$base" -v t="${total[$config]}" 'BEGIN { if (t > 0) printf "%.1fx", b / t; else print "-" }')
    printf "%-8s %-26s %11s ms %9s ms %9s ms %9s\n" "$n" "$label" "${total[$config]}" \
      "${p99[$config]}" "${cpu[$config]}" "$speedup"
  done
  unset total p99 cpu
done
