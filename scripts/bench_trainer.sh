#!/usr/bin/env bash
# Throughput of dtrain against the same network in Python torch DDP (scripts/ddp_reference.py),
# same batch size, data, optimizer and threads, both under Debian's torchrun (torch 1.13,
# gloo, CPU), plus dtrain and Python with 1 worker. Runs alternate (dtrain, Python, dtrain,
# ...) so machine load hits both alike; each figure is the median over REPEATS runs of the
# images/s of the last epoch (all workers together, training phase only).
#
#   scripts/bench_trainer.sh                      # cnn, batch 32, 2 epochs of 12,000 images
#   ARCH=resnet18 BATCH=64 SAMPLES=4000 scripts/bench_trainer.sh
# Env: DTRAIN (build/trainer/dtrain), ARCH, BATCH, SAMPLES, EPOCHS, REPEATS,
#      PY_MEMORY_FORMAT (contiguous: Python's default; channels_last: what dtrain picks for cnn),
#      CONFIGS (workers x threads each, default "1x1 1x<cores> 2x<cores/2>"), RUN_TIMEOUT (900 s).
set -euo pipefail
cd "$(dirname "$0")/.."

dtrain=${DTRAIN:-build/trainer/dtrain}
arch=${ARCH:-cnn}
batch=${BATCH:-32}
samples=${SAMPLES:-12000}
epochs=${EPOCHS:-2}
repeats=${REPEATS:-3}
py_format=${PY_MEMORY_FORMAT:-contiguous}
cores=$(nproc)
python=/usr/bin/python3
[ -x "$dtrain" ] || { echo "bench_trainer: $dtrain not built (cmake --build build --target dtrain)" >&2; exit 2; }
work=$(mktemp -d /tmp/bench-trainer.XXXXXX)
trap 'rm -rf "$work"' EXIT

common=(--arch "$arch" --batch_size "$batch" --num_epochs "$epochs" --max_train_samples "$samples"
        --max_val_samples 2000 --learning_rate 0.01)

# run NAME NPROC THREADS CMD...: one run; prints the last epoch's images/s.
run() {
  local name=$1 nproc=$2 threads=$3
  shift 3
  local log="$work/$name.log"
  OMP_NUM_THREADS=$threads timeout "${RUN_TIMEOUT:-900}" "$python" -m torch.distributed.run -r 1 -t 1 --nproc_per_node "$nproc" \
    --standalone "$@" >"$log" 2>&1 || { echo "bench_trainer: $name failed, log:" >&2; tail -20 "$log" >&2; exit 1; }
  grep -o '"images_per_sec": [0-9.e+]*' "$log" | tail -1 | awk '{print $2}'
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A results
read -r -a configs <<<"${CONFIGS:-1x1 1x$cores 2x$((cores / 2 > 0 ? cores / 2 : 1))}"
for config in "${configs[@]}"; do
  nproc=${config%x*} threads=${config#*x}
  key="${nproc}w x ${threads}t"
  d=() p=()
  for ((i = 0; i < repeats; i++)); do
    d+=("$(run "dtrain-$nproc-$threads-$i" "$nproc" "$threads" --no_python "$dtrain" "${common[@]}" \
          --threads "$threads" --output_dir "$work/out")")
    p+=("$(run "python-$nproc-$threads-$i" "$nproc" "$threads" scripts/ddp_reference.py "${common[@]}" \
          --threads "$threads" --memory_format "$py_format")")
  done
  results["$key,dtrain"]=$(printf '%s\n' "${d[@]}" | median)
  results["$key,python"]=$(printf '%s\n' "${p[@]}" | median)
  echo "$key: dtrain ${d[*]} | python ${p[*]}" >&2
done

echo
echo "arch $arch, batch $batch per worker, $samples training images, epoch $epochs of $epochs, median of $repeats"
echo "dtrain: default memory format; Python: $py_format"
echo "machine: $cores cores ($(uptime | sed 's/.*load average/load average/'))"
printf '%-12s %14s %14s %8s\n' workers dtrain_img_s python_img_s ratio
for config in "${configs[@]}"; do
  nproc=${config%x*} threads=${config#*x}
  key="${nproc}w x ${threads}t"
  dv=${results["$key,dtrain"]}
  pv=${results["$key,python"]}
  printf '%-12s %14.1f %14.1f %7.2fx\n' "$key" "$dv" "$pv" "$(awk -v a="$dv" -v b="$pv" 'BEGIN {print a / b}')"
done
