"""A torch gloo worker for the store tests; runs under torch 1.13 (bookworm) and 2.x (trixie).

    store_worker.py --mode env|store --rank R --world W --port P [--attempt N]
    store_worker.py --mode count --port P      # prints the number of keys in the store

env:   init_process_group(init_method="env://") with TORCHELASTIC_USE_AGENT_STORE=True, the way
       dlaunch's workers start (every rank a TCPStore client of the server on MASTER_PORT).
store: builds the client TCPStore itself (use_libuv=False where the build needs it) and passes
       store=, the way torch 2.x workers must on Debian's libuv-less build.
Then all_reduce, barrier, a new_group of ranks 0 and 1 with an all_reduce on it, and a
store round trip. Exits 0 and prints "rank R ok" on success.
"""
import argparse
import datetime
import os
import sys

import torch
import torch.distributed as dist

parser = argparse.ArgumentParser()
parser.add_argument("--mode", choices=["env", "store", "count"], required=True)
parser.add_argument("--rank", type=int, default=0)
parser.add_argument("--world", type=int, default=1)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--attempt", type=int, default=0)
args = parser.parse_args()

timeout = datetime.timedelta(seconds=60)
major = int(torch.__version__.split(".")[0])
os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")


def make_client(world_size):
    kwargs = {"timeout": timeout}
    if major >= 2:
        kwargs["use_libuv"] = False  # Debian's torch 2.x has no libuv, even for clients
    return dist.TCPStore("127.0.0.1", args.port, world_size, False, **kwargs)


if args.mode == "count":
    print(make_client(None).num_keys())  # no world size: no init/ increment
    sys.exit(0)

if args.mode == "env":
    os.environ.update({
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(args.port),
        "RANK": str(args.rank),
        "WORLD_SIZE": str(args.world),
        "TORCHELASTIC_USE_AGENT_STORE": "True",
        "TORCHELASTIC_RESTART_COUNT": str(args.attempt),
    })
    dist.init_process_group("gloo", init_method="env://", timeout=timeout)
else:
    store = make_client(args.world)
    dist.init_process_group("gloo", store=store, rank=args.rank, world_size=args.world,
                            timeout=timeout)

t = torch.tensor([float(args.rank + 1)])
dist.all_reduce(t)
expected = args.world * (args.world + 1) / 2
assert t.item() == expected, f"all_reduce gave {t.item()}, expected {expected}"
dist.barrier()
group = dist.new_group(ranks=[0, 1])
if args.rank in (0, 1):
    u = torch.tensor([1.0])
    dist.all_reduce(u, group=group)
    assert u.item() == 2.0, f"new_group all_reduce gave {u.item()}"
dist.barrier()

# A plain store round trip through a second client, with the wait semantics torch relies on.
side = make_client(None)
side.set(f"check/{args.attempt}/{args.rank}", str(args.rank))
side.wait([f"check/{args.attempt}/{r}" for r in range(args.world)], datetime.timedelta(seconds=30))
assert side.get(f"check/{args.attempt}/0") == b"0"
# A WAIT that times out (1.13 just gives up, 2.x sends CANCEL_WAIT), then its key appears: the
# late wake-up must not land in the next reply (it does with torch 1.13's own server).
never = f"never/{args.attempt}/{args.rank}"
try:
    side.wait([never], datetime.timedelta(milliseconds=200))
    raise AssertionError("wait on a missing key returned")
except RuntimeError:  # 1.13: RuntimeError; 2.x: DistStoreError, a RuntimeError
    pass
side.set(never, "late")
assert side.get(f"check/{args.attempt}/0") == b"0"
assert side.add(f"counter/{args.attempt}/{args.rank}", 2) == 2
dist.destroy_process_group()
print(f"rank {args.rank} ok (torch {torch.__version__}, {args.mode})", flush=True)
