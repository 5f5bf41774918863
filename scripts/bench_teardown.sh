#!/usr/bin/env bash
# Cross-node teardown: the time from a worker's failure on node 1 until the last worker on
# node 0 is gone, for dlaunch on loopback and on two hosts in network namespaces (root), and
# for torchrun (Debian's torch 1.13) on loopback beside it. Two nodes x 2 workers; rank 3 (on
# node 1) records the time and exits 1 once every rank is up; every other rank records the
# time it got SIGTERM and exits. Same clock for all: it is one machine.
#
#   scripts/bench_teardown.sh [RUNS] [TORCHRUN_RUNS]   (defaults 20 and 3)
#
# torchrun has no cross-node failure signal: its node 0 keeps running until its own workers
# fail; each torchrun run is cut off after $TORCHRUN_BOUND seconds (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-20}
torchrun_runs=${2:-3}
bound=${TORCHRUN_BOUND:-15}
dlaunch=${DLAUNCH:-build/launcher/dlaunch}
python=/usr/bin/python3
[ -x "$dlaunch" ] || { echo "bench_teardown: build dlaunch first ($dlaunch)" >&2; exit 2; }

# Debian's torch 1.13 on Python 3.11 crashes in Std.from_str for redirects/tee 0 (IntFlag
# iteration skips 0: "'NoneType' object has no attribute 'get'", torchrun.md §7 #25); 1 works.
TORCHRUN_FIX=(--redirects 1 --tee 1)
work=$(mktemp -d)
ns=dlbt$$
cleanup() {
  jobs -p | xargs -r kill -9 2>/dev/null || true
  [ "$(id -u)" = 0 ] && scripts/netns.sh down "$ns" 2 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/worker.py" <<'EOF'
import glob, os, signal, sys, time
out, rank, world = os.environ["OUT"], int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
def gone(*_):
    with open(f"{out}/gone_{rank}", "w") as f:
        f.write(repr(time.time()))
    os._exit(0)
signal.signal(signal.SIGTERM, gone)
open(f"{out}/up_{rank}", "w").close()
if rank == world - 1:
    deadline = time.time() + 30
    while len(glob.glob(f"{out}/up_*")) < world and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    with open(f"{out}/fail_{rank}", "w") as f:
        f.write(repr(time.time()))
    os._exit(1)
while True:
    time.sleep(1)
EOF

# Prints "remote_ms local_ms" of one finished run in $1 ("none" for workers never stopped,
# "notstarted" when the workers did not all start).
measure() {
  "$python" - "$1" <<'EOF'
import os, sys
d = sys.argv[1]
read = lambda n: float(open(os.path.join(d, n)).read()) if os.path.exists(os.path.join(d, n)) else None
fail = read("fail_3")
remote = [read("gone_0"), read("gone_1")]
local = read("gone_2")
ms = lambda t: f"{(t - fail) * 1000:.2f}" if t is not None and fail is not None else "none"
if not all(os.path.exists(os.path.join(d, f"up_{r}")) for r in range(4)):
    print("notstarted none")
else:
    print(ms(None if None in remote else max(remote)), ms(local))
EOF
}

stats() {  # label, file of "remote local" lines
  "$python" - "$1" "$2" <<'EOF'
import statistics, sys
label, path = sys.argv[1], sys.argv[2]
rows = [l.split() for l in open(path) if l.strip()]
if any(r[0] == "notstarted" for r in rows):
    print(f"{label:<26} workers did not start in some runs: see the logs (KEEP=1)")
    sys.exit(0)
def q(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
def summary(xs):
    if not xs:
        return "never stopped (cut off)"
    return f"median {statistics.median(xs):7.1f} ms  p90 {q(xs, .9):7.1f} ms  max {max(xs):7.1f} ms"
remote = [float(r[0]) for r in rows if r[0] != "none"]
local = [float(r[1]) for r in rows if r[1] != "none"]
never = len(rows) - len(remote)
print(f"{label:<26} runs {len(rows):>3}  other node: {summary(remote)}"
      + (f" ({never} of {len(rows)} runs never stopped)" if remote and never else "")
      + f"   same node: {summary(local)}")
EOF
}

run_dlaunch_loopback() {
  local out=$1
  "$dlaunch" --nnodes 2 --node_rank 0 --rdzv_endpoint 127.0.0.1:0 --nproc_per_node 2 --use_env \
    --log_dir "$out/l0" "$work/worker.py" >"$out/n0.out" 2>"$out/n0.err" &
  local n0=$! port=""
  for _ in $(seq 500); do
    port=$(grep -o 'rendezvous on [^ ]*' "$out/n0.err" 2>/dev/null | sed 's/.*://') && [ -n "$port" ] && break
    sleep 0.01
  done
  "$dlaunch" --nnodes 2 --node_rank 1 --rdzv_endpoint "127.0.0.1:$port" --nproc_per_node 2 \
    --use_env --log_dir "$out/l1" "$work/worker.py" >"$out/n1.out" 2>"$out/n1.err" || true
  wait "$n0" || true
}

run_dlaunch_netns() {
  local out=$1
  for i in 1 2; do
    scripts/netns.sh exec "$ns" "$i" "$dlaunch" --nnodes 2 --node_rank $((i - 1)) \
      --master_addr 10.250.77.1 --master_port 29500 --nproc_per_node 2 --use_env \
      --log_dir "$out/l$i" "$work/worker.py" >"$out/n$i.out" 2>"$out/n$i.err" &
  done
  wait || true
}

run_torchrun() {
  local out=$1 port=$((20000 + RANDOM % 20000))
  for i in 0 1; do
    setsid "$python" -m torch.distributed.run --nnodes 2 --node_rank $i --master_addr 127.0.0.1 \
      --master_port "$port" --nproc_per_node 2 "${TORCHRUN_FIX[@]}" "$work/worker.py" >"$out/t$i.out" 2>"$out/t$i.err" &
  done
  local t0=$SECONDS
  while [ $((SECONDS - t0)) -lt "$bound" ]; do
    [ -f "$out/gone_0" ] && [ -f "$out/gone_1" ] && break
    sleep 0.1
  done
  # Cut off: node 0 never heard of node 1's failure. Kill both sessions.
  for pid in $(jobs -p); do kill -9 -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

bench() {  # label, runner, count
  local label=$1 runner=$2 count=$3 results="$work/$2.txt"
  : >"$results"
  for i in $(seq "$count"); do
    local out="$work/$runner-$i"
    mkdir -p "$out"
    OUT="$out"
    "$runner" "$out"
    measure "$out" >>"$results"
  done
  stats "$label" "$results"
}

export OUT
echo "cross-node teardown: worker rank 3 on node 1 fails -> last worker of node 0 gone (2 nodes x 2 workers)"
bench "dlaunch, loopback" run_dlaunch_loopback "$runs"
if [ "$(id -u)" = 0 ]; then
  scripts/netns.sh up "$ns" 2 10.250.77
  bench "dlaunch, 2 netns hosts" run_dlaunch_netns "$runs"
else
  echo "dlaunch, 2 netns hosts      skipped (needs root)"
fi
if [ "$torchrun_runs" -gt 0 ] && "$python" -c "import torch.distributed.run" 2>/dev/null; then
  bench "torchrun 1.13, loopback" run_torchrun "$torchrun_runs"
  echo "(torchrun runs cut off after ${bound} s each)"
fi
