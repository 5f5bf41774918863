"""A torch 2.x worker under dlaunch (run inside the trixie chroot): builds its client store from
the environment dlaunch sets (Debian's 2.x has no libuv: use_libuv=False), joins gloo and
all_reduces. On attempt 0 rank 1 then fails; attempt 1 must meet on a clean store and succeed.
torch 2.x adds no per-attempt key prefix, so stale keys of attempt 0 would hang attempt 1."""
import datetime
import os
import sys
import time

import torch
import torch.distributed as dist

rank = int(os.environ["RANK"])
world = int(os.environ["WORLD_SIZE"])
attempt = int(os.environ["TORCHELASTIC_RESTART_COUNT"])
assert os.environ["TORCHELASTIC_USE_AGENT_STORE"] == "True"
timeout = datetime.timedelta(seconds=30)
store = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), world, False,
                      timeout=timeout, use_libuv=False)
dist.init_process_group("gloo", store=store, rank=rank, world_size=world, timeout=timeout)
t = torch.tensor([float(rank + 1)])
dist.all_reduce(t)
print(f"torch {torch.__version__} attempt {attempt} rank {rank} sum {t.item()}", flush=True)
if attempt == 0:
    if rank == 1:
        sys.exit(3)
    time.sleep(60)  # stopped by dlaunch
dist.barrier()
dist.destroy_process_group()
