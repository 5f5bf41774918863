#!/usr/bin/env bash
# Throughput of dtrain against the same network in Python torch DDP (scripts/ddp_reference.py),
# same batch size, data, optimizer and threads, both under Debian's torchrun (torch 1.13,
# gloo, CPU), plus dtrain and Python with 1 worker. Runs alternate (dtrain, Python, dtrain,
# ...) so machine load hits both alike; each figure is the median over REPEATS runs of the last
# epoch's images/s (all workers together, training phase only) and images per CPU-second
# (the same images over the CPU time of all workers: robust when other jobs share the machine).
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

# run NAME NPROC THREADS CMD...: one run; prints the last epoch's images/s and images per
# CPU-second (the CPU time of all workers, which other load on the machine barely moves).
run() {
  local name=$1 nproc=$2 threads=$3
  shift 3
  local log="$work/$name.log"
  OMP_NUM_THREADS=$threads timeout "${RUN_TIMEOUT:-900}" "$python" -m torch.distributed.run -r 1 -t 1 --nproc_per_node "$nproc" \
    --standalone "$@" >"$log" 2>&1 || { echo "bench_trainer: $name failed, log:" >&2; tail -20 "$log" >&2; exit 1; }
  local wall cpu
  wall=$(grep -o '"images_per_sec": [0-9.e+]*' "$log" | tail -1 | awk '{print $2}')
  cpu=$(grep -o '"images_per_cpu_sec": [0-9.e+]*' "$log" | tail -1 | awk '{print $2}')
  echo "$wall $cpu"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

declare -A results
read -r -a configs <<<"${CONFIGS:-1x1 1x$cores 2x$((cores / 2 > 0 ? cores / 2 : 1))}"
for config in "${configs[@]}"; do
  nproc=${config%x*} threads=${config#*x}
  key="${nproc}w x ${threads}t"
  dw=() dc=() pw=() pc=()
  for ((i = 0; i < repeats; i++)); do
    read -r w c < <(run "dtrain-$nproc-$threads-$i" "$nproc" "$threads" --no_python "$dtrain" "${common[@]}" \
      --threads "$threads" --output_dir "$work/out")
    dw+=("$w") dc+=("$c")
    read -r w c < <(run "python-$nproc-$threads-$i" "$nproc" "$threads" scripts/ddp_reference.py "${common[@]}" \
      --threads "$threads" --memory_format "$py_format")
    pw+=("$w") pc+=("$c")
  done
  results["$key,dw"]=$(printf '%s\n' "${dw[@]}" | median)
  results["$key,dc"]=$(printf '%s\n' "${dc[@]}" | median)
  results["$key,pw"]=$(printf '%s\n' "${pw[@]}" | median)
  results["$key,pc"]=$(printf '%s\n' "${pc[@]}" | median)
  echo "$key: images/s dtrain ${dw[*]} | python ${pw[*]}; images/CPU-s dtrain ${dc[*]} | python ${pc[*]}" >&2
done

echo
echo "arch $arch, batch $batch per worker, $samples training images, epoch $epochs of $epochs, median of $repeats"
echo "dtrain: default memory format; Python: $py_format"
echo "machine: $cores cores ($(uptime | sed 's/.*load average/load average/'))"
printf '%-12s %12s %12s %7s   %14s %14s %7s\n' workers dtrain_img/s python_img/s ratio \
  dtrain_img/cpu-s python_img/cpu-s ratio
for config in "${configs[@]}"; do
  nproc=${config%x*} threads=${config#*x}
  key="${nproc}w x ${threads}t"
  printf '%-12s %12.1f %12.1f %6.2fx   %14.1f %14.1f %6.2fx\n' "$key" \
    "${results["$key,dw"]}" "${results["$key,pw"]}" "$(ratio "${results["$key,dw"]}" "${results["$key,pw"]}")" \
    "${results["$key,dc"]}" "${results["$key,pc"]}" "$(ratio "${results["$key,dc"]}" "${results["$key,pc"]}")"
done
