# Legacy torch.distributed.launch worker: expects --local_rank=N in argv (no --use_env).
import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--local_rank", type=int, required=True)
parser.add_argument("--tag", default="")
args = parser.parse_args()
assert args.local_rank == int(os.environ["LOCAL_RANK"])
print(f"local_rank {args.local_rank} tag {args.tag}", flush=True)
