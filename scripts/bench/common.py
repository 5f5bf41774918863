"""Shared pieces of scripts/bench_launch.sh: the commands under test, process helpers that
never leave a process behind, simple statistics and the result table."""

import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field

WORKERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workers")


@dataclass
class Setup:
    """What every section needs: the programs under test and a scratch directory."""

    dlaunch: str
    python: str  # the workers' interpreter (PYTHON_EXEC) and torchrun's
    spawn_direct: str  # the compiled scripts/bench/spawn_direct.c
    scratch: str  # emptied by the caller at exit
    rounds: int
    torch_rounds: int
    log_mb: int
    log_rounds: int

    def worker(self, name):
        return os.path.join(WORKERS, name)

    def dlaunch_cmd(self, nproc, worker, log_dir, *flags):
        return [self.dlaunch, "--standalone", "--nproc_per_node", str(nproc),
                "--log_dir", log_dir, *flags, self.worker(worker)]

    def torchrun_cmd(self, nproc, worker, log_dir, redirects="1", tee="1"):
        # torch 1.13 on Python 3.11 crashes unless both -r and -t are given non-zero
        # single values (its Std enum cannot express 0 or 3 there). --standalone is spelt
        # out as what it means (c10d rendezvous on localhost, a fresh id, one node) with a
        # free port instead of its fixed 29400, which other jobs on this machine may hold.
        return [self.python, "-m", "torch.distributed.run", "-r", redirects, "-t", tee,
                "--monitor_interval", "0.1", "--rdzv_backend", "c10d",
                "--rdzv_endpoint", f"localhost:{free_port()}", "--rdzv_id", str(uuid.uuid4()),
                "--nnodes", "1", "--nproc_per_node", str(nproc), "--log_dir", log_dir,
                self.worker(worker)]

    def direct_cmd(self, nproc, worker):
        return [self.spawn_direct, str(nproc), self.python, "-u", self.worker(worker)]

    def env(self, **extra):
        env = dict(os.environ)
        env["PYTHON_EXEC"] = self.python
        env.update({k: str(v) for k, v in extra.items()})
        return env


def free_port():
    """A loopback TCP port nobody holds right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
    """Starts `cmd` in its own session, so that kill_tree() reaches whatever it leaves."""
    return subprocess.Popen(cmd, env=env, stdout=stdout, stderr=stderr,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def kill_tree(proc):
    """SIGKILL to the process's session group (launchers kill their own workers when they
    die; torchrun's workers share its group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def run_timed(cmd, env, timeout=120, **kwargs):
    """Wall time in seconds from spawn to reaped, and the exit code. The wait blocks in
    waitpid: Popen.wait(timeout=...) polls with sleeps that double up to 50 ms, which rounds
    every run up to its next step (a 36 ms run reads 63.5 ms). A watchdog thread kills the
    command's group if it outlives `timeout`."""
    timed_out = threading.Event()

    def expire():
        timed_out.set()
        kill_tree(proc)

    t0 = time.monotonic()
    proc = start(cmd, env, **kwargs)
    watchdog = threading.Timer(timeout, expire)
    watchdog.start()
    try:
        code = proc.wait()
        elapsed = time.monotonic() - t0
    finally:
        watchdog.cancel()
    if timed_out.is_set():
        raise RuntimeError(f"timed out after {timeout} s: {' '.join(cmd)}")
    return elapsed, code


def check_code(code, expected, what):
    if code != expected:
        raise RuntimeError(f"{what} exited {code}, expected {expected}")


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass
class Table:
    """The benchmark's result: one row per figure, dlaunch beside its baseline."""

    rows: list = field(default_factory=list)

    def add(self, measure, dlaunch, baseline, ratio, goal, met):
        verdict = "" if met is None else ("yes" if met else "NO")
        self.rows.append((measure, dlaunch, baseline, ratio, goal, verdict))

    def section(self, title):
        self.rows.append((title,))

    def render(self):
        header = ("measure", "dlaunch", "baseline", "ratio", "goal", "met")
        full = [r for r in self.rows if len(r) == len(header)]
        widths = [max(len(str(r[i])) for r in [header] + full) for i in range(len(header))]
        line = "  ".join("-" * w for w in widths)
        out = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths)), line]
        for row in self.rows:
            if len(row) == 1:
                out.append(row[0])
            else:
                out.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
        return "\n".join(out)


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"
