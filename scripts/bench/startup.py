"""End to end: `--standalone --nproc_per_node 8` with a worker that does nothing.

dlaunch, torchrun and spawn_direct (the same 8 workers started straight from a tiny C
program) run interleaved, round after round, so load from other processes on the machine
hits all three alike. dlaunch's own overhead is the median of the per-round differences
dlaunch - spawn_direct. Eight Python interpreters on 2 cores take long and vary much, so
the overhead is measured a second way too, with /bin/true as the worker (--no_python)."""

import os
import shutil

from common import check_code, median, ms, percentile, run_timed

NPROC = 8
WARMUP = 3


def run(setup, table):
    env = setup.env()
    log_dir = os.path.join(setup.scratch, "startup_logs")
    commands = {
        "direct": setup.direct_cmd(NPROC, "trivial.py"),
        "dlaunch": setup.dlaunch_cmd(NPROC, "trivial.py", log_dir),
        "torchrun": setup.torchrun_cmd(NPROC, "trivial.py", log_dir),
    }
    times = {name: [] for name in commands}
    for round_ in range(WARMUP + setup.rounds):
        for name, cmd in commands.items():
            if name == "torchrun" and round_ >= WARMUP + setup.torch_rounds:
                continue
            if name == "torchrun" and round_ < WARMUP - 1:
                continue  # one warm-up run of torchrun is enough: it is slow
            seconds, code = run_timed(cmd, env)
            check_code(code, 0, name)
            if round_ >= WARMUP:
                times[name].append(seconds)
        shutil.rmtree(log_dir, ignore_errors=True)
    # The same with /bin/true, in a loop of its own: torchrun's runs disturb what follows.
    true_commands = {
        "direct true": [setup.spawn_direct, str(NPROC), "/bin/true"],
        "dlaunch true": [setup.dlaunch, "--standalone", "--nproc_per_node", str(NPROC),
                         "--log_dir", log_dir, "--no_python", "/bin/true"],
    }
    times.update({name: [] for name in true_commands})
    for round_ in range(WARMUP + setup.rounds):
        for name, cmd in true_commands.items():
            seconds, code = run_timed(cmd, env)
            check_code(code, 0, name)
            if round_ >= WARMUP:
                times[name].append(seconds)
        shutil.rmtree(log_dir, ignore_errors=True)

    d, t, direct = times["dlaunch"], times["torchrun"], times["direct"]
    overhead = [a - b for a, b in zip(d, direct)]
    torch_overhead = [a - b for a, b in zip(t, direct)]
    speedup = median(t) / median(d)
    table.section(f"End to end, --standalone --nproc_per_node {NPROC}, trivial Python worker "
                  f"({len(d)} runs each, {len(t)} of torchrun; median, p90 in brackets)")
    table.add("wall time", f"{ms(median(d))} ({ms(percentile(d, 90))})",
              f"torchrun {ms(median(t))} ({ms(percentile(t, 90))})", f"{speedup:.1f}x faster",
              ">= 50x", speedup >= 50)
    table.add("8 workers started directly", "", f"spawn_direct {ms(median(direct))} "
              f"({ms(percentile(direct, 90))})", "", "", None)
    table.add("dlaunch's own overhead", f"{ms(median(overhead))} ({ms(percentile(overhead, 90))})",
              f"torchrun {ms(median(torch_overhead))} ({ms(percentile(torch_overhead, 90))})",
              "launcher - direct", "< 40 ms", median(overhead) < 0.040)
    d, direct = times["dlaunch true"], times["direct true"]
    overhead = [a - b for a, b in zip(d, direct)]
    table.add(f"same, {NPROC} x /bin/true (--no_python)",
              f"{ms(median(overhead))} ({ms(percentile(overhead, 90))})",
              f"dlaunch {ms(median(d))}, spawn_direct {ms(median(direct))}", "dlaunch - direct",
              "< 40 ms", median(overhead) < 0.040)
