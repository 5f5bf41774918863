# A real torch.distributed worker: gloo process group from the environment dlaunch sets,
# an all_reduce, a barrier and a subgroup. Prints one line per rank; exits non-zero on error.
import os
import sys

import torch
import torch.distributed as dist


def main():
    dist.init_process_group("gloo", init_method="env://")
    rank, world = dist.get_rank(), dist.get_world_size()
    assert rank == int(os.environ["RANK"]), "rank mismatch"
    assert world == int(os.environ["WORLD_SIZE"]), "world size mismatch"
    t = torch.tensor([float(rank + 1)])
    dist.all_reduce(t)
    expected = world * (world + 1) / 2
    dist.barrier()
    evens = dist.new_group([r for r in range(world) if r % 2 == 0])
    if rank % 2 == 0:
        u = torch.tensor([1.0])
        dist.all_reduce(u, group=evens)
        assert u.item() == (world + 1) // 2
    dist.barrier()
    print(f"rank {rank}/{world} sum {t.item()} expected {expected}", flush=True)
    dist.destroy_process_group()
    return 0 if t.item() == expected else 1


if __name__ == "__main__":
    sys.exit(main())
