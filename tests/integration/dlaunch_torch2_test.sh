#!/usr/bin/env bash
# torch 2.6 workers (trixie chroot) through dlaunch's own store, with a restart: attempt 0
# fails after a full gloo init, attempt 1 must start from a clean worker key space.
#   dlaunch_torch2_test.sh DLAUNCH
set -euo pipefail
dlaunch=$1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (chroot)"; exit 77; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set +e
GLOO_SOCKET_IFNAME=lo timeout 240 "$dlaunch" --standalone --nproc_per_node 2 --max_restarts 1 \
  --no_python --log_dir "$tmp/logs" \
  "$repo/scripts/trixie_run.sh" --bind "$here" -- python3 "$here/workers/torch2_restart.py" \
  >"$tmp/out" 2>"$tmp/err"
code=$?
set -e
cat "$tmp/out"
if [ $code -ne 0 ]; then
  echo "dlaunch exited $code" >&2; tail -40 "$tmp/err" >&2; exit 1
fi
for r in 0 1; do
  grep -q "\[$r\]: torch 2\.[0-9.a-z+]* attempt 0 rank $r sum 3.0" "$tmp/out" || { echo "attempt 0 rank $r missing" >&2; exit 1; }
  grep -q "\[$r\]: torch 2\.[0-9.a-z+]* attempt 1 rank $r sum 3.0" "$tmp/out" || { echo "attempt 1 rank $r missing" >&2; exit 1; }
done
grep -q '"restarts": 1' "$tmp/logs/dlaunch_summary.json"
echo "dlaunch_torch2_test: passed"
