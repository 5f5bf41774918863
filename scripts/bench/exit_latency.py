"""From a worker's non-zero exit to the launcher's exit, 8 workers.

The failing worker (workers/fail_fast.py) waits until all 8 have started, writes
CLOCK_MONOTONIC just before os._exit(1); this harness blocks in waitpid() on the launcher
and reads the same clock the moment it returns. The other 7 sleep until the launcher stops
them; afterwards none of them may be left."""

import os
import shutil
import signal
import threading
import time

from common import median, ms, percentile

NPROC = 8
FAIL_RANK = 3
WARMUP = 2
TIMEOUT = 60


def _spawn(cmd, env):
    devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    return os.posix_spawn(cmd[0], cmd, env, file_actions=devnull, setsid=True)


def _wait_stamped(pid):
    """waitpid(pid) and the monotonic time in ns when it returned; SIGKILLs the launcher's
    group if it takes longer than TIMEOUT."""
    watchdog = threading.Timer(TIMEOUT, lambda: os.killpg(pid, signal.SIGKILL))
    watchdog.start()
    try:
        _, status = os.waitpid(pid, 0)
        ended = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    finally:
        watchdog.cancel()
    return ended, os.waitstatus_to_exitcode(status)


def _alive(pid):
    """A worker process that still runs (not a zombie, not a reused pid)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            is_worker = b"fail_fast.py" in f.read()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return is_worker and state != "Z"


def _survivors(ready_dir):
    pids = []
    for name in os.listdir(ready_dir):
        with open(os.path.join(ready_dir, name)) as f:
            text = f.read().strip()
        if text:
            pids.append(int(text))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        left = [p for p in pids if _alive(p)]
        if not left:
            return 0
        time.sleep(0.01)
    for p in left:  # never leave them behind, whatever the launcher did
        os.kill(p, signal.SIGKILL)
    return len(left)


def _measure(setup, cmd, name):
    run_dir = os.path.join(setup.scratch, "exit_run")
    ready_dir = os.path.join(run_dir, "ready")
    os.makedirs(ready_dir)
    stamp_file = os.path.join(run_dir, "stamp")
    env = setup.env(BENCH_READY_DIR=ready_dir, BENCH_STAMP_FILE=stamp_file,
                    BENCH_FAIL_RANK=FAIL_RANK)
    try:
        ended, code = _wait_stamped(_spawn(cmd, env))
        if code != 1:
            raise RuntimeError(f"{name} exited {code}, expected 1 (the failing worker's code)")
        with open(stamp_file) as f:
            failed = int(f.read())
        return (ended - failed) / 1e9, _survivors(ready_dir)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def run(setup, table):
    log_dir = os.path.join(setup.scratch, "exit_logs")
    commands = {
        "dlaunch": setup.dlaunch_cmd(NPROC, "fail_fast.py", log_dir),
        "torchrun": setup.torchrun_cmd(NPROC, "fail_fast.py", log_dir),
    }
    latencies = {name: [] for name in commands}
    survivors = {name: 0 for name in commands}
    for round_ in range(WARMUP + setup.rounds):
        for name, cmd in commands.items():
            if name == "torchrun" and not (WARMUP - 1 <= round_ < WARMUP + setup.torch_rounds):
                continue
            latency, left = _measure(setup, cmd, name)
            survivors[name] += left
            if round_ >= WARMUP:
                latencies[name].append(latency)
        shutil.rmtree(log_dir, ignore_errors=True)

    d, t = latencies["dlaunch"], latencies["torchrun"]
    table.section(f"From a worker's exit(1) to the launcher's exit, {NPROC} workers "
                  f"({len(d)} runs of dlaunch, {len(t)} of torchrun)")
    table.add("median", ms(median(d)), f"torchrun {ms(median(t))}",
              f"{median(t) / median(d):.0f}x faster", "<= 20 ms", median(d) <= 0.020)
    table.add("p90", ms(percentile(d, 90)), f"torchrun {ms(percentile(t, 90))}", "", "", None)
    table.add("workers left running", str(survivors["dlaunch"]), f"torchrun {survivors['torchrun']}",
              "", "0", survivors["dlaunch"] == 0)
