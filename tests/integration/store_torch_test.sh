#!/usr/bin/env bash
# Real torch clients against dlaunch-store on loopback. One scenario per run:
#
#   store_torch_test.sh DLAUNCH_STORE SCENARIO [GLOO_WORKER]
#
#   torch113_env    3 torch 1.13 ranks, env:// with TORCHELASTIC_USE_AGENT_STORE=True
#   torch113_store  2 torch 1.13 ranks, client TCPStore passed as store=
#   torch26         2 torch 2.6 ranks (trixie chroot), client TCPStore(use_libuv=False)
#   torch26_restart torch 2.6 attempt 0, a new worker epoch (SIGUSR1), attempt 1 on a clean space
#   mixed           a 1.13 job and a 2.6 job on the same server at the same time
#   libtorch_gloo   2 LibTorch 1.13 ProcessGroupGloo ranks (GLOO_WORKER binary)
#
# Exits 0 when every rank succeeded; 77 (skip) when a torch 2.6 scenario cannot run (not root).
set -euo pipefail

store_bin=$1
scenario=$2
gloo_worker=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
worker="$here/store_worker.py"
torch113=/usr/bin/python3

tmp=$(mktemp -d)
server_pid=""
pids=()
cleanup() {
  for pid in "${pids[@]}" $server_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "store_torch_test[$scenario]: $*" >&2; exit 1; }

"$store_bin" --port-file "$tmp/port" 127.0.0.1:0 >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || { cat "$tmp/server.log" >&2; fail "dlaunch-store did not start"; }
port=$(cat "$tmp/port")

needs_trixie() {
  if [ "$(id -u)" -ne 0 ]; then echo "skip: torch 2.6 scenarios need root (chroot)"; exit 77; fi
  "$repo/scripts/make_trixie_chroot.sh" >/dev/null
}
torch26=("$repo/scripts/trixie_run.sh" --bind "$here" -- python3)

# launch NAME COMMAND...: starts one rank in the background, output to $tmp/NAME.log.
launch() {
  local name=$1; shift
  timeout 150 "$@" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
}
# await: waits for every launched rank; prints the logs of failed ones and fails.
await() {
  local failed=0 i
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      failed=1
      echo "--- ${names[$i]} failed:" >&2
      tail -20 "$tmp/${names[$i]}.log" >&2
    fi
  done
  pids=(); names=()
  if [ $failed -ne 0 ]; then echo "--- server:" >&2; tail -20 "$tmp/server.log" >&2; fail "a rank failed"; fi
}
names=()

case "$scenario" in
  torch113_env)
    for r in 0 1 2; do launch "r$r" "$torch113" "$worker" --mode env --rank $r --world 3 --port "$port"; done
    await ;;
  torch113_store)
    for r in 0 1; do launch "r$r" "$torch113" "$worker" --mode store --rank $r --world 2 --port "$port"; done
    await ;;
  torch26)
    needs_trixie
    for r in 0 1; do launch "r$r" "${torch26[@]}" "$worker" --mode store --rank $r --world 2 --port "$port"; done
    await ;;
  torch26_restart)
    needs_trixie
    for r in 0 1; do launch "a0r$r" "${torch26[@]}" "$worker" --mode store --rank $r --world 2 --port "$port"; done
    await
    before=$("${torch26[@]}" "$worker" --mode count --port "$port" 2>/dev/null | tail -1)
    [ "$before" -gt 0 ] || fail "attempt 0 left no keys ($before): the test proves nothing"
    kill -USR1 "$server_pid"
    for _ in $(seq 100); do grep -q "epoch 1 begins" "$tmp/server.log" && break; sleep 0.05; done
    after=$("${torch26[@]}" "$worker" --mode count --port "$port" 2>/dev/null | tail -1)
    [ "$after" -eq 0 ] || fail "attempt 1 sees $after keys of attempt 0 (had $before)"
    for r in 0 1; do launch "a1r$r" "${torch26[@]}" "$worker" --mode store --rank $r --world 2 --port "$port" --attempt 1; done
    await
    echo "attempt 0 left $before keys; the new epoch started from $after" ;;
  mixed)
    needs_trixie
    for r in 0 1; do
      launch "old$r" "$torch113" "$worker" --mode env --rank $r --world 2 --port "$port" --attempt 7
      launch "new$r" "${torch26[@]}" "$worker" --mode store --rank $r --world 2 --port "$port"
    done
    await ;;
  libtorch_gloo)
    [ -x "$gloo_worker" ] || fail "no gloo worker binary given"
    for r in 0 1; do launch "r$r" env GLOO_SOCKET_IFNAME=lo "$gloo_worker" 127.0.0.1 "$port" $r 2; done
    await ;;
  *) fail "unknown scenario" ;;
esac
grep -h " ok" "$tmp"/*.log || true
echo "store_torch_test[$scenario]: passed"
