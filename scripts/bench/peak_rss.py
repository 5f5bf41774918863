"""Peak resident memory of the launcher process itself while it supervises 8 workers.

VmHWM (the kernel's high-water mark of the process's RSS) is read from /proc/<pid>/status
every millisecond until the process exits; /usr/bin/time or wait4() would fold in the
workers. dlaunch's orphan guard (a forked helper that kills the workers if dlaunch is
SIGKILLed) is reported on its own line; torchrun's agent is the process we start."""

import os
import time

from common import kill_tree, median, start

NPROC = 8
SLEEP_S = 1.0


def _status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None


def _helpers(pid, exe):
    """Children of `pid` that run the same executable as it (dlaunch's orphan guard)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []
    found = []
    for child in children:
        try:
            if os.readlink(f"/proc/{child}/exe") == exe:
                found.append(child)
        except OSError:
            pass
    return found


def _sample(cmd, env, exe):
    """(peak VmHWM of the process, peak VmHWM of its helper), in KiB. The helper is a child
    still running the launcher's executable in many samples: a worker between fork and
    exec is one too, but only for an instant."""
    proc = start(cmd, env)
    peak = 0
    helpers = {}  # pid -> [samples seen, peak KiB]
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        peak = max(peak, _status_kib(proc.pid, "VmHWM") or 0)
        for helper in _helpers(proc.pid, exe) if exe else []:
            seen = helpers.setdefault(helper, [0, 0])
            seen[0] += 1
            seen[1] = max(seen[1], _status_kib(helper, "VmHWM") or 0)
        time.sleep(0.001)
    if proc.poll() is None:
        kill_tree(proc)
        raise RuntimeError(f"{cmd[0]} did not finish in time")
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}")
    return peak, max([kib for seen, kib in helpers.values() if seen >= 20], default=0)


def run(setup, table):
    env = setup.env(BENCH_SLEEP=SLEEP_S)
    log_dir = os.path.join(setup.scratch, "rss_logs")
    dlaunch_exe = os.path.realpath(setup.dlaunch)
    d, guard, t = [], [], []
    for _ in range(3):
        peak, helper = _sample(setup.dlaunch_cmd(NPROC, "sleeper.py", log_dir), env, dlaunch_exe)
        d.append(peak)
        guard.append(helper)
        peak, _ = _sample(setup.torchrun_cmd(NPROC, "sleeper.py", log_dir), env, None)
        t.append(peak)

    mib = lambda kib: f"{kib / 1024:.1f} MiB"
    table.section(f"Peak RSS (VmHWM) of the launcher with {NPROC} workers (3 runs, median)")
    table.add("launcher process", mib(median(d)), f"torchrun agent {mib(median(t))}",
              f"{median(t) / median(d):.0f}x smaller", "<= 15 MB", median(d) * 1024 <= 15e6)
    table.add("dlaunch's orphan guard process", mib(median(guard)), "", "", "", None)
