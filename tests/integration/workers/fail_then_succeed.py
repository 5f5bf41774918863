# Attempt 0: every rank joins and all_reduces, then rank 1 fails. Attempt 1 must start from a
# clean store (no stale keys) and succeed.
import os
import sys

import torch
import torch.distributed as dist

attempt = int(os.environ["TORCHELASTIC_RESTART_COUNT"])
dist.init_process_group("gloo", init_method="env://")
t = torch.tensor([1.0])
dist.all_reduce(t)
print(f"attempt {attempt} rank {dist.get_rank()} sum {t.item()}", flush=True)
if attempt == 0 and dist.get_rank() == 1:
    sys.exit(3)
if attempt == 0:
    import time
    time.sleep(30)  # stopped by dlaunch
dist.barrier()
sys.exit(0)
