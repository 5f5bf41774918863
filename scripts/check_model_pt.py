#!/usr/bin/python3
"""Opens a model.pt written by dtrain in Python torch (torch.jit.load), checks that its named
parameters and buffers are exactly those of the Python definition of the network
(dtrain_models.py), loads them into it, and evaluates it on the Fashion-MNIST test split.
Prints one JSON line: {"params": N, "val_acc": A}. Exit 1 on any mismatch.

usage: /usr/bin/python3 scripts/check_model_pt.py MODEL_PT [--arch cnn] [--data_dir DIR]
       [--max_val_samples N]"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dtrain_models import load_fashion_mnist, make_network  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--arch", default="cnn")
    parser.add_argument("--data_dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--max_val_samples", type=int, default=0)
    args = parser.parse_args()

    scripted = torch.jit.load(args.model, map_location="cpu")
    loaded = dict(scripted.named_parameters())
    loaded.update(dict(scripted.named_buffers()))
    net = make_network(args.arch, 1, 10, 28)
    expected = net.state_dict()
    if set(loaded) != set(expected):
        print(f"names differ: {sorted(set(loaded) ^ set(expected))}", file=sys.stderr)
        return 1
    for name, tensor in expected.items():
        if tuple(loaded[name].shape) != tuple(tensor.shape):
            print(f"{name}: shape {tuple(loaded[name].shape)} != {tuple(tensor.shape)}", file=sys.stderr)
            return 1
    param_names = [n for n, _ in scripted.named_parameters()]
    if param_names != [n for n, _ in net.named_parameters()]:
        print("parameter order differs", file=sys.stderr)
        return 1
    net.load_state_dict(loaded)
    net.eval()
    x, y = load_fashion_mnist(args.data_dir, False, args.max_val_samples)
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), 500):
            correct += (net(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum().item()
    print(json.dumps({"params": len(param_names), "val_acc": correct / len(y)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
