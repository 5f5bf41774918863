"""Runs the launch benchmarks of issue 2 and prints dlaunch's figures beside torchrun's.
Started by scripts/bench_launch.sh, which builds what it needs and owns the scratch dir."""

import argparse
import sys

import exit_latency
import log_throughput
import peak_rss
import startup
from common import Setup, Table

SECTIONS = {
    "startup": startup.run,
    "exit": exit_latency.run,
    "logs": log_throughput.run,
    "rss": peak_rss.run,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dlaunch", required=True)
    parser.add_argument("--python", required=True, help="the workers' and torchrun's Python")
    parser.add_argument("--spawn-direct", required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help="comma-separated subset of: " + ", ".join(SECTIONS))
    parser.add_argument("--rounds", type=int, default=30, help="measured runs of dlaunch")
    parser.add_argument("--torch-rounds", type=int, default=10, help="measured runs of torchrun")
    parser.add_argument("--log-mb", type=int, default=256, help="MiB each log writer writes")
    parser.add_argument("--log-rounds", type=int, default=3)
    args = parser.parse_args()

    setup = Setup(dlaunch=args.dlaunch, python=args.python, spawn_direct=args.spawn_direct,
                  scratch=args.scratch, rounds=args.rounds,
                  torch_rounds=min(args.torch_rounds, args.rounds), log_mb=args.log_mb,
                  log_rounds=args.log_rounds)
    table = Table()
    for name in args.sections.split(","):
        if name not in SECTIONS:
            parser.error(f"unknown section '{name}'")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        SECTIONS[name](setup, table)
    print(table.render())


if __name__ == "__main__":
    main()
