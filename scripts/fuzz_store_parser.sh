#!/usr/bin/env bash
# Builds the store parser's libFuzzer target with clang, ASan and UBSan, and runs it for a
# bounded time (default 60 s) from the checked-in seeds. Exit status is non-zero on any crash,
# sanitizer report or fragmentation mismatch; the reproducer is left in the build folder.
#
#   scripts/fuzz_store_parser.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
build=${DLAUNCH_FUZZ_BUILD_DIR:-build-fuzz}
command -v clang++ >/dev/null || { echo "fuzz_store_parser: clang++ missing (run scripts/setup.sh)" >&2; exit 1; }

mkdir -p "$build"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DDLAUNCH_FUZZ=ON -DDLAUNCH_WERROR=ON \
  -DDLAUNCH_SANITIZE=address,undefined -DDLAUNCH_BUILD_TRAINER=OFF >"$build/configure.log" 2>&1 || {
  cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target request_parser_fuzz -j"$(nproc)" >"$build/build.log" 2>&1 || {
  tail -30 "$build/build.log" >&2; exit 1; }

corpus="$build/fuzz_corpus"
mkdir -p "$corpus"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
cd "$build"
./tests/rendezvous/request_parser_fuzz -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 fuzz_corpus ../tests/rendezvous/fuzz_seeds 2>fuzz.log || {
  tail -40 fuzz.log >&2
  echo "fuzz_store_parser: FAILED (reproducer and log in $build/)" >&2
  exit 1
}
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" fuzz.log || true
echo "fuzz_store_parser: no failure in $seconds s"
