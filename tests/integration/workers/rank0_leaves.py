# Rank 0 leaves right after joining. The others keep using the store it would have served
# under plain torch.distributed.launch (dlaunch's agent serves it here): a key round trip
# through the default store, then an all_reduce in a group made while rank 0 was still there.
import sys
import time
from datetime import timedelta

import torch
import torch.distributed as dist

dist.init_process_group("gloo", init_method="env://", timeout=timedelta(seconds=30))
rank, world = dist.get_rank(), dist.get_world_size()
rest = dist.new_group(list(range(1, world)))  # every rank takes part in new_group
if rank == 0:
    sys.exit(0)
time.sleep(1.0)  # rank 0 is surely gone
store = dist.distributed_c10d._get_default_store()
store.set(f"after_rank0/{rank}", str(rank))
seen = [int(store.get(f"after_rank0/{r}")) for r in range(1, world)]
t = torch.tensor([1.0])
dist.all_reduce(t, group=rest)
print(f"rank {rank} sum {t.item()} seen {seen}", flush=True)
sys.exit(0 if t.item() == world - 1 and seen == list(range(1, world)) else 1)
