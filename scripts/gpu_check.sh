#!/usr/bin/env bash
# GPU check for dtrain, for a machine with one NVIDIA GPU and pip torch 2.x but no Debian
# packages (no CUDA toolkit, zlib, stb or Gloo headers need be there). It
#   1. builds dtrain against pip torch's LibTorch (CMake with trainer/ as the top project;
#      if TorchConfig cannot find a CUDA toolkit, a direct g++ build with the same sources),
#      with the NCCL backend from the nvidia-nccl wheel's nccl.h;
#   2. trains resnet18 + bf16 autocast on Fashion-MNIST on one GPU with NCCL (dtrain);
#   3. trains the same model, batch and data in Python torch DDP (scripts/ddp_reference.py),
#      in the default memory format and channels-last (what dtrain uses on CUDA);
#   4. prints the images/s and the ratios.
# Fits in 8 minutes (each step has its own timeout).
#
#   scripts/gpu_check.sh FASHION_MNIST_DIR      # the folder with the four IDX .gz (or raw) files
# Env: PYTHON (python3), EPOCHS (2), BATCH (256), JOBS (nproc), BUILD (/tmp/dtrain-gpu-build).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

data_in=${1:?usage: scripts/gpu_check.sh FASHION_MNIST_DIR}
py=${PYTHON:-python3}
epochs=${EPOCHS:-2}
batch=${BATCH:-256}
jobs=${JOBS:-$(nproc)}
build=${BUILD:-/tmp/dtrain-gpu-build}
work=$(mktemp -d /tmp/gpu-check.XXXXXX)
start=$(date +%s)
say() { echo "gpu_check [$(($(date +%s) - start)) s]: $*"; }
die() { say "FAILED: $*"; exit 1; }

# --- what pip torch provides ---------------------------------------------------------------
eval "$("$py" - <<'PY'
import os, torch, sys
site = os.path.dirname(os.path.dirname(torch.__file__))
print(f"torch_dir={os.path.dirname(torch.__file__)!r}")
print(f"prefix={torch.utils.cmake_prefix_path!r}")
print(f"site={site!r}")
print(f"abi={int(torch._C._GLIBCXX_USE_CXX11_ABI)}")
print(f"torch_version={torch.__version__!r}")
print(f"cuda_ok={int(torch.cuda.is_available())}")
PY
)" || die "$py cannot import torch"
say "torch $torch_version at $torch_dir, CUDA available: $cuda_ok, C++11 ABI: $abi"
[ "$cuda_ok" = 1 ] || die "torch.cuda.is_available() is False"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu_check: GPU: /'

nccl_h=$(find "$site/nvidia" "$torch_dir/include" /usr/include /usr/local/cuda/include -name nccl.h 2>/dev/null | head -1)
nccl_so=$(find "$site/nvidia" "$torch_dir/lib" -name 'libnccl.so*' 2>/dev/null | head -1)
cuda_includes=()
while IFS= read -r dir; do cuda_includes+=("$dir"); done < <(
  { find "$site/nvidia" -maxdepth 4 -type d -name include 2>/dev/null
    find "$site/nvidia" -maxdepth 5 -type d -path '*/include/cccl' 2>/dev/null  # CUDA 13 wheels
    [ -d /usr/local/cuda/include ] && echo /usr/local/cuda/include; } | sort -u)
say "nccl.h: ${nccl_h:-none}; libnccl: ${nccl_so:-none}; ${#cuda_includes[@]} CUDA include folders"

# --- data: raw IDX files, so a dtrain built without zlib reads them too ---------------------
mkdir -p "$work/data"
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ -f "$data_in/$name.gz" ]; then
    gzip -dc "$data_in/$name.gz" >"$work/data/$name" || die "cannot gunzip $data_in/$name.gz"
  elif [ -f "$data_in/$name" ]; then
    cp "$data_in/$name" "$work/data/$name"
  else
    die "$data_in has no $name(.gz)"
  fi
done

# --- build ----------------------------------------------------------------------------------
dtrain=""
cmake_build() {
  command -v cmake >/dev/null || return 1
  local extra=()
  [ -n "$nccl_h" ] && extra+=(-DDTRAIN_NCCL_INCLUDE_DIR="$(dirname "$nccl_h")")
  [ -n "$nccl_so" ] && extra+=(-DDTRAIN_NCCL_LIBRARY="$nccl_so")
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  timeout 90 cmake -S trainer -B "$build/cmake" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" "${extra[@]}" >"$work/cmake.log" 2>&1 || return 1
  grep -q "NCCL backend on" "$work/cmake.log" || say "CMake: no NCCL backend (see $work/cmake.log)"
  timeout 200 cmake --build "$build/cmake" -j "$jobs" --target dtrain >>"$work/cmake.log" 2>&1 || return 1
  dtrain="$build/cmake/dtrain"
}

gxx_build() {
  command -v g++ >/dev/null || return 1
  local std=c++17  # C++20 where the compiler really is (LibTorch >= 2.14 insists)
  echo | g++ -std=c++20 -dM -E -x c++ - 2>/dev/null | grep -q '__cplusplus 202002L' && std=c++20
  local flags=(-std=$std -O2 -DNDEBUG -D_GLIBCXX_USE_CXX11_ABI="$abi" -fPIC -w -I"$repo"
               -isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include")
  local libs=(-L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -Wl,--no-as-needed -ltorch_cuda
              -lc10_cuda -Wl,--as-needed -ltorch -ltorch_cpu -lc10 -lpthread)
  local sources=()
  for f in trainer/*.cpp; do
    [ "$(basename "$f")" = stb_image_impl.cpp ] && continue
    sources+=("$f")
  done
  if [ -n "$nccl_h" ]; then
    flags+=(-DUSE_C10D_NCCL -isystem "$(dirname "$nccl_h")")
    for inc in "${cuda_includes[@]}"; do flags+=(-isystem "$inc"); done
    [ -n "$nccl_so" ] && libs+=("$nccl_so" -Wl,-rpath,"$(dirname "$nccl_so")")
  fi
  [ -f "$torch_dir/include/gloo/config.h" ] && flags+=(-DUSE_C10D_GLOO)
  if echo '#include <zlib.h>' | g++ -E -x c++ - >/dev/null 2>&1; then
    flags+=(-DDTRAIN_HAVE_ZLIB)
    libs+=(-lz)
  fi
  if [ -f /usr/include/stb/stb_image.h ]; then
    flags+=(-DDTRAIN_HAVE_STB -isystem /usr/include/stb)
    sources+=(trainer/stb_image_impl.cpp)
  fi
  mkdir -p "$build/gxx"
  printf "%s\n" "${sources[@]}" | timeout 200 xargs -P "$jobs" -I{} sh -c \
    'g++ "$@" -c "$0" -o "'"$build"'/gxx/$(basename "$0" .cpp).o" || exit 255' {} "${flags[@]}" \
    >"$work/gxx.log" 2>&1 || return 1
  timeout 60 g++ -o "$build/gxx/dtrain" "$build"/gxx/*.o "${libs[@]}" >>"$work/gxx.log" 2>&1 || return 1
  dtrain="$build/gxx/dtrain"
}

say "building dtrain (CMake against $prefix)"
if cmake_build; then
  say "built with CMake: $dtrain"
else
  say "CMake build failed (last lines below); trying a direct g++ build"
  tail -5 "$work/cmake.log" 2>/dev/null | sed 's/^/    /'
  gxx_build || { tail -30 "$work/gxx.log"; die "dtrain did not build"; }
  say "built with g++: $dtrain"
fi

# --- runs -----------------------------------------------------------------------------------
common=(--arch resnet18 --precision bf16 --batch_size "$batch" --num_epochs "$epochs"
        --data_dir "$work/data" --learning_rate 0.01 --workers 4)
last_rate() { grep -o '"images_per_sec": [0-9.e+]*' "$1" | tail -1 | awk '{print $2}'; }

say "dtrain: resnet18, bf16, batch $batch, $epochs epochs, 1 GPU, NCCL"
timeout 120 "$py" -m torch.distributed.run --standalone --nproc_per_node 1 --no_python \
  "$dtrain" "${common[@]}" --backend nccl --output_dir "$work/out" >"$work/dtrain.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
  say "dtrain under torchrun exited $rc; retrying with a plain environment (rank 0 serves the store)"
  tail -15 "$work/dtrain.log" | sed 's/^/    /'
  port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  RANK=0 LOCAL_RANK=0 WORLD_SIZE=1 LOCAL_WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    timeout 100 "$dtrain" "${common[@]}" --backend nccl --output_dir "$work/out" >"$work/dtrain.log" 2>&1 ||
    { tail -30 "$work/dtrain.log"; die "dtrain failed"; }
fi
grep -E '^(\[default0\]:)?dtrain\[0\]|"epoch"' "$work/dtrain.log" | sed 's/^/    /'
d_rate=$(last_rate "$work/dtrain.log")

# Python DDP, as a user would write it (NCHW), and with channels-last like dtrain on CUDA.
declare -A p_rate
for format in contiguous channels_last; do
  say "Python DDP ($format): the same model, batch, data (scripts/ddp_reference.py)"
  timeout 120 "$py" -m torch.distributed.run --standalone --nproc_per_node 1 \
    scripts/ddp_reference.py --arch resnet18 --precision bf16 --batch_size "$batch" \
    --num_epochs "$epochs" --data_dir "$work/data" --learning_rate 0.01 --memory_format "$format" \
    >"$work/python-$format.log" 2>&1 || { tail -30 "$work/python-$format.log"; die "Python DDP failed"; }
  grep -E 'ddp_reference|"epoch"' "$work/python-$format.log" | sed 's/^/    /'
  p_rate[$format]=$(last_rate "$work/python-$format.log")
done

ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "?"}'; }
say "RESULT resnet18 bf16 batch $batch, 1 GPU, NCCL, images/s of the last of $epochs epochs:"
say "  dtrain (channels-last)          ${d_rate:-?}"
say "  Python DDP (contiguous)         ${p_rate[contiguous]:-?}   dtrain/Python $(ratio "$d_rate" "${p_rate[contiguous]}")x"
say "  Python DDP (channels_last)      ${p_rate[channels_last]:-?}   dtrain/Python $(ratio "$d_rate" "${p_rate[channels_last]}")x"
rm -rf "$work"
