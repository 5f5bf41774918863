#!/usr/bin/python3
"""The Python baseline dtrain is measured against: the same networks (dtrain_models.py), the
same data, batch size, optimizer, thread count and metric lines, trained with
torch.nn.parallel.DistributedDataParallel (default buckets and buffer broadcast) under
torchrun, or alone. Data is held in memory as a normalised tensor and batched by indexing,
which is the fastest way Python can feed it (no DataLoader worker overhead).

  torchrun --nproc_per_node 2 scripts/ddp_reference.py --arch cnn --num_epochs 1
  python3 scripts/ddp_reference.py --arch resnet18 --precision bf16     # one process / GPU

Prints {"lr", "momentum"} once, then per epoch the keys dtrain prints (rank 0)."""

import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data.distributed import DistributedSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dtrain_models import load_fashion_mnist, make_network  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="cnn", choices=["cnn", "resnet18"])
    p.add_argument("--num_epochs", "--num-epochs", type=int, default=25)
    p.add_argument("--batch_size", "--batch-size", type=int, default=32)
    p.add_argument("--learning_rate", "--learning-rate", type=float, default=0.001)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--lr_step_size", type=int, default=7)
    p.add_argument("--lr_gamma", type=float, default=0.1)
    p.add_argument("--data_dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--max_train_samples", type=int, default=0)
    p.add_argument("--max_val_samples", type=int, default=0)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--backend", default="auto", choices=["auto", "gloo", "nccl"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--memory_format", default="contiguous", choices=["contiguous", "channels_last"])
    return p.parse_args()


def main():
    args = parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    distributed = "WORLD_SIZE" in os.environ
    rank = int(os.environ.get("RANK", 0))
    world = int(os.environ.get("WORLD_SIZE", 1))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    backend = args.backend if args.backend != "auto" else ("nccl" if cuda else "gloo")
    if distributed:
        dist.init_process_group(backend)
    torch.manual_seed(args.seed)

    x_train, y_train = load_fashion_mnist(args.data_dir, True, args.max_train_samples)
    x_val, y_val = load_fashion_mnist(args.data_dir, False, args.max_val_samples)
    model = make_network(args.arch, 1, 10, 28).to(device)
    channels_last = args.memory_format == "channels_last"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    if distributed:
        model = DDP(model, device_ids=[local_rank] if cuda else None)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.learning_rate, momentum=args.momentum)
    sampler = DistributedSampler(range(len(y_train)), num_replicas=world, rank=rank, shuffle=True,
                                 seed=args.seed)
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16,
                              enabled=args.precision == "bf16")
    if rank == 0:
        print(json.dumps({"lr": args.learning_rate, "momentum": args.momentum}), flush=True)
    print(f"ddp_reference[{rank}]: {args.arch} on {device}, backend {backend if distributed else '-'}, "
          f"{torch.get_num_threads()} threads, world {world}, {args.memory_format}", file=sys.stderr, flush=True)

    def reduce(values, op=dist.ReduceOp.SUM):
        t = torch.tensor(values, dtype=torch.float64, device=device)
        if distributed:
            dist.all_reduce(t, op=op)
        return t.tolist()

    best = 0.0
    for epoch in range(args.num_epochs):
        epoch_start = time.time()
        lr = args.learning_rate * args.lr_gamma ** (epoch // args.lr_step_size)
        for group in optimizer.param_groups:
            group["lr"] = lr
        sampler.set_epoch(epoch)
        indices = torch.tensor(list(iter(sampler)))
        model.train()
        totals = torch.zeros(3, dtype=torch.float64, device=device)
        start = time.time()
        cpu_start = time.process_time()
        for i in range(0, len(indices), args.batch_size):
            idx = indices[i:i + args.batch_size]
            images, labels = x_train[idx].to(device, memory_format=fmt), y_train[idx].to(device)
            optimizer.zero_grad()
            with autocast:
                logits = model(images)
                loss = F.cross_entropy(logits, labels)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                totals[0] += loss.detach().double() * len(idx)
                totals[1] += (logits.argmax(1) == labels).sum()
                totals[2] += len(idx)
        if cuda:
            torch.cuda.synchronize()
        train_seconds = reduce([time.time() - start], dist.ReduceOp.MAX)[0]
        train = reduce(totals.tolist() + [time.process_time() - cpu_start])

        model.eval()
        vals = torch.zeros(3, dtype=torch.float64, device=device)
        val_idx = torch.arange(rank, len(y_val), world)
        with torch.no_grad():
            for i in range(0, len(val_idx), args.batch_size * 2):
                idx = val_idx[i:i + args.batch_size * 2]
                images, labels = x_val[idx].to(device, memory_format=fmt), y_val[idx].to(device)
                with autocast:
                    logits = model(images)
                    loss = F.cross_entropy(logits, labels, reduction="sum")
                vals[0] += loss.double()
                vals[1] += (logits.argmax(1) == labels).sum()
                vals[2] += len(idx)
        val = reduce(vals.tolist())
        val_acc = val[1] / val[2]
        best = max(best, val_acc)
        if rank == 0:
            print(json.dumps({
                "epoch": epoch + 1, "train_loss": train[0] / train[2], "train_acc": train[1] / train[2],
                "val_loss": val[0] / val[2], "val_acc": val_acc, "best_val_acc": best,
                "images_per_sec": train[2] / train_seconds, "epoch_seconds": time.time() - epoch_start,
                "lr": lr, "images_per_cpu_sec": train[2] / train[3]}), flush=True)
    # Under torch 1.13 + gloo, destroy_process_group() can spin once a peer has exited, and
    # the interpreter's own teardown of the group sometimes aborts ("terminate called without
    # an active exception", both seen in scripts/bench_trainer.sh). Once every rank is past
    # the last collective there is nothing left to clean up: leave without either.
    if distributed:
        dist.barrier()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
