#!/usr/bin/env bash
# The README's main job: installs what is missing, builds dlaunch and dtrain (Release), then
# trains dtrain's CNN on Debian's Fashion-MNIST with 2 local CPU workers under dlaunch.
# Extra arguments go to dtrain (e.g. --num_epochs 1). Logs: ./logs, model: ./outputs.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

build=${DLAUNCH_BUILD_DIR:-build-release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDLAUNCH_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target dlaunch dtrain

epochs=5
exec "$build/launcher/dlaunch" --standalone --nproc_per_node 2 --no_python \
  "$build/trainer/dtrain" --num_epochs "$epochs" "$@"
