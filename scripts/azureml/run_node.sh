#!/usr/bin/env bash
# The per-node command of the Azure ML job. Azure ML runs it once on every node
# (PyTorchConfiguration(node_count=N) without process_count; SDK v2: process_count_per_instance 1).
# It fetches the fowl (chicken/turkey) images once per node, as pytorch_train.py does, then
# starts this node's workers with dlaunch, which reads NODE_RANK, MASTER_ADDR and MASTER_PORT
# (6105) from the environment and prints which variables it used.
#
#   bash run_node.sh NNODES NPROC_PER_NODE [dtrain flags...]
#   bash run_node.sh 2 gpu --num_epochs 25
#
# Environment knobs:
#   DATA_DIR                an ImageFolder tree (train/, val/) already there, e.g. a mounted dataset
#   DATA_URL                the zip to fetch otherwise (default: the Azure sample's fowl_data.zip)
#   DLAUNCH_EXPLICIT_FLAGS=1  pass --node_rank/--master_addr/--master_port explicitly, the
#                           torch.distributed.launch way, instead of relying on detection
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 NNODES NPROC_PER_NODE [dtrain flags...]" >&2
  exit 2
fi
nnodes=$1
nproc_per_node=$2
shift 2

data_url=${DATA_URL:-https://azuremlexamples.blob.core.windows.net/datasets/fowl_data.zip}
data_dir=${DATA_DIR:-}
if [ -z "$data_dir" ]; then
  mkdir -p data
  if [ -z "$(find data -mindepth 2 -maxdepth 2 -type d -name train -print -quit)" ]; then
    echo "run_node.sh: fetching $data_url"
    python3 - "$data_url" <<'PY'
import sys, urllib.request, zipfile
path, _ = urllib.request.urlretrieve(sys.argv[1], "data/images.zip")
with zipfile.ZipFile(path) as archive:
    archive.extractall("data")
PY
    rm -f data/images.zip
  fi
  data_dir=$(find data -mindepth 2 -maxdepth 2 -type d -name train -printf '%h\n' | head -n 1)
  if [ -z "$data_dir" ]; then
    echo "run_node.sh: no train/ folder in $data_url" >&2
    exit 1
  fi
fi

flags=(--nnodes "$nnodes" --nproc_per_node "$nproc_per_node")
if [ "${DLAUNCH_EXPLICIT_FLAGS:-0}" = 1 ]; then
  flags+=(--node_rank "${NODE_RANK:?NODE_RANK is not set}"
          --master_addr "${MASTER_ADDR:?MASTER_ADDR is not set}"
          --master_port "${MASTER_PORT:-6105}")
fi

exec dlaunch "${flags[@]}" --no_python \
  dtrain --dataset imagefolder --data_dir "$data_dir" --output_dir ./outputs "$@"
