#!/usr/bin/env bash
# Launch benchmarks of issue 2: dlaunch beside torchrun (Debian's python3-torch).
#   end to end with 8 trivial workers, and dlaunch's own overhead over starting them directly;
#   latency from a worker's exit(1) to the launcher's exit;
#   log throughput of 4 chatty workers against writing straight to files;
#   the launcher's peak RSS with 8 workers.
# Usage: scripts/bench_launch.sh [--sections startup,exit,logs,rss] [--rounds N]
#        [--torch-rounds N] [--log-mb N] [--log-rounds N]
# DLAUNCH=path picks the binary (default: build/launcher/dlaunch, built here in Release if
# missing). Needs about 1.1 GiB of free disk for the log runs; everything is deleted after.
set -euo pipefail
cd "$(dirname "$0")/.."

python=/usr/bin/python3  # Debian's, with torch: workers and torchrun run under it
dlaunch=${DLAUNCH:-build/launcher/dlaunch}
if [[ ! -x $dlaunch ]]; then
  echo "building $dlaunch (Release) ..." >&2
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDLAUNCH_BUILD_TRAINER=OFF >/dev/null
  ninja -C build -j2 dlaunch >/dev/null
fi
if ! "$python" -c 'import torch.distributed.run' 2>/dev/null; then
  echo "bench_launch: $python cannot import torch.distributed.run (scripts/setup.sh installs python3-torch)" >&2
  exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/dlaunch-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cc -O2 -o "$scratch/spawn_direct" scripts/bench/spawn_direct.c

echo "machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$python" scripts/bench/bench_launch.py --dlaunch "$(realpath "$dlaunch")" --python "$python" \
  --spawn-direct "$scratch/spawn_direct" --scratch "$scratch" "$@"
