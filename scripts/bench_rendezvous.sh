#!/usr/bin/env bash
# Rendezvous of many agents on loopback: N dlaunch agents (c10d, dynamic node ranks, one
# trivial worker each) meet at one endpoint; measured from the first agent's start until every
# worker runs (each writes its start time), and until every agent has exited (the exit
# barrier included). torchrun (Debian's torch 1.13) beside it with fewer agents: each of its
# agents is a Python process that imports torch.
#
#   scripts/bench_rendezvous.sh [N] [TORCHRUN_N] [REPEAT]   (defaults 256, 16 and 3)
#
# Each run is bounded by $BOUND seconds (default 180).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-256}
torchrun_n=${2:-16}
repeat=${3:-3}
bound=${BOUND:-180}
dlaunch=${DLAUNCH:-build/launcher/dlaunch}
python=/usr/bin/python3
[ -x "$dlaunch" ] || { echo "bench_rendezvous: build dlaunch first ($dlaunch)" >&2; exit 2; }
# The host holds two connections per agent; every process here holds a few descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ulimit -u unlimited 2>/dev/null || true

# Debian's torch 1.13 on Python 3.11 crashes in Std.from_str for redirects/tee 0 (IntFlag
# iteration skips 0: "'NoneType' object has no attribute 'get'", torchrun.md §7 #25); 1 works.
TORCHRUN_FIX=(--redirects 1 --tee 1)
work=$(mktemp -d)
cleanup() {
  jobs -p | xargs -r kill -9 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }

# Waits for every background job, at most $bound seconds; returns 1 on timeout.
wait_all() {
  local t0=$SECONDS
  while [ -n "$(jobs -pr)" ]; do
    if [ $((SECONDS - t0)) -ge "$bound" ]; then
      jobs -pr | xargs -r kill -9 2>/dev/null || true
      return 1
    fi
    sleep 0.05
  done
  wait 2>/dev/null || true
}

report() {  # label, count, out dir, t0, t_launched, t_end, status
  "$python" - "$@" <<'EOF'
import glob, sys
label, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t0, t_launched, t_end, status = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
ups = [float(open(p).read()) for p in glob.glob(out + "/up_*")]
if len(ups) < count:
    print(f"{label:<26} {count:>4} agents: only {len(ups)} workers ran ({status})")
else:
    print(f"{label:<14} {count:>4} agents: all started after {(t_launched - t0):5.2f} s,"
          f" every worker running after {(max(ups) - t0):6.2f} s,"
          f" every agent exited after {(t_end - t0):6.2f} s ({status})")
EOF
}

dlaunch_run() {  # count, out dir
  local count=$1 out=$2
  mkdir -p "$out"
  local conf="join_timeout=$bound,last_call_timeout=$bound"
  local worker=(--no_python /bin/sh -c 'date +%s.%N > "$OUT/up_$RANK"')
  local t0
  t0=$(now)
  OUT=$out "$dlaunch" --nnodes "$count" --rdzv_backend c10d --rdzv_endpoint 127.0.0.1:0 \
    --rdzv_id bench --rdzv_conf "is_host=1,$conf" --log_dir "$out/logs/host" "${worker[@]}" \
    >"$out/host.out" 2>"$out/host.err" &
  local port=""
  for _ in $(seq 1000); do
    port=$(grep -o 'rendezvous on [^ ]*' "$out/host.err" 2>/dev/null | sed 's/.*://') && [ -n "$port" ] && break
    sleep 0.005
  done
  for i in $(seq 2 "$count"); do
    OUT=$out "$dlaunch" --nnodes "$count" --rdzv_backend c10d --rdzv_endpoint "127.0.0.1:$port" \
      --rdzv_id bench --rdzv_conf "$conf" --log_dir "$out/logs/$i" "${worker[@]}" \
      >"$out/$i.out" 2>"$out/$i.err" &
  done
  local t_launched status=ok
  t_launched=$(now)
  wait_all || status="cut off after $bound s"
  report "dlaunch" "$count" "$out" "$t0" "$t_launched" "$(now)" "$status"
}

torchrun_run() {  # count, out dir
  local count=$1 out=$2 port=$((20000 + RANDOM % 20000))
  mkdir -p "$out"
  local t0
  t0=$(now)
  for i in $(seq "$count"); do
    OUT=$out "$python" -m torch.distributed.run --nnodes "$count" --rdzv_backend c10d \
      --rdzv_endpoint "127.0.0.1:$port" --rdzv_id bench --nproc_per_node 1 "${TORCHRUN_FIX[@]}" --no_python \
      /bin/sh -c 'date +%s.%N > "$OUT/up_$RANK"' >"$out/$i.out" 2>"$out/$i.err" &
  done
  local t_launched status=ok
  t_launched=$(now)
  wait_all || status="cut off after $bound s"
  report "torchrun 1.13" "$count" "$out" "$t0" "$t_launched" "$(now)" "$status"
}

echo "rendezvous on loopback: agents started together, one trivial worker each (nproc $(nproc))"
for r in $(seq "$repeat"); do dlaunch_run "$n" "$work/d$n-$r"; done
if [ "$torchrun_n" -gt 0 ]; then
  for r in $(seq "$repeat"); do dlaunch_run "$torchrun_n" "$work/d$torchrun_n-$r"; done
  if "$python" -c "import torch.distributed.run" 2>/dev/null; then
    for r in $(seq "$repeat"); do torchrun_run "$torchrun_n" "$work/t$torchrun_n-$r"; done
  fi
fi
