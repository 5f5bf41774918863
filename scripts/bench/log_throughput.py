"""Log throughput: 4 workers each write N MiB of 100-byte lines to stdout.

"direct" is the same 4 writers started by spawn_direct with stdout on a file each (the best
a launcher could do), in one new session as a launcher's workers are (with autogroup
scheduling a session is one scheduling group);
dlaunch runs with its console on /dev/null, once with default settings (log files plus
tagged console lines) and once with --redirects 3 (log files only); torchrun with stdout
redirected to files only (-r 1 -t 2: it cannot take -r 3 on Python 3.11; the writers
write no stderr). Every run's files are checked to hold every byte, then deleted. Wall
times include starting the writers, and torchrun's own start-up.

Wall-time throughput on a shared 2-core machine follows its load; the CPU time of the
whole run (launcher and writers, from the harness's RUSAGE_CHILDREN) does not, so the
table gives both: "CPU" is direct's CPU time over the run's, 100 % = no extra work."""

import glob
import os
import resource
import shutil

from common import check_code, median, run_timed

NPROC = 4


def _direct(setup, env, out_dir):
    cmd = [setup.spawn_direct, "-o", os.path.join(out_dir, "out_%d"),
           *setup.direct_cmd(NPROC, "log_writer.py")[1:]]
    seconds, code = run_timed(cmd, env, timeout=300)
    check_code(code, 0, "direct writers")
    return seconds, sorted(glob.glob(os.path.join(out_dir, "out_*")))


def _dlaunch_payload(path):
    """Bytes of a dlaunch log that came from the worker: all but the attempt marker line."""
    with open(path, "rb") as f:
        marker = f.readline()
    if not marker.startswith(b"--- dlaunch:"):
        raise RuntimeError(f"{path}: no attempt marker line")
    return len(marker)


def _launcher(cmd, env, files_glob):
    def run():
        seconds, code = run_timed(cmd, env, timeout=300)
        check_code(code, 0, cmd[0])
        return seconds, sorted(glob.glob(files_glob))
    return run


def _check(files, skip_of, expected, name):
    if len(files) != NPROC:
        raise RuntimeError(f"{name}: {len(files)} log files, expected {NPROC}")
    for path in files:
        got = os.path.getsize(path) - (skip_of(path) if skip_of else 0)
        if got != expected:
            raise RuntimeError(f"{name}: {path} holds {got} bytes of output, expected {expected}")
        with open(path, "rb") as f:
            f.seek(-100, os.SEEK_END)
            if not f.read().endswith(b"\n"):
                raise RuntimeError(f"{name}: {path} does not end with the last line")


def run(setup, table):
    per_worker = setup.log_mb << 20
    env = setup.env(BENCH_LOG_BYTES=per_worker)
    out_dir = os.path.join(setup.scratch, "log_out")
    dlaunch_logs = os.path.join(out_dir, "70_driver_log_*.txt")
    modes = {
        "direct": (lambda: _direct(setup, env, out_dir), None),
        "dlaunch": (_launcher(setup.dlaunch_cmd(NPROC, "log_writer.py", out_dir), env,
                              dlaunch_logs), _dlaunch_payload),
        "dlaunch -r 3": (_launcher(setup.dlaunch_cmd(NPROC, "log_writer.py", out_dir,
                                                     "--redirects", "3"), env,
                                   dlaunch_logs), _dlaunch_payload),
        "torchrun": (_launcher(setup.torchrun_cmd(NPROC, "log_writer.py", out_dir, "1", "2"),
                               env, os.path.join(out_dir, "*", "attempt_0", "*", "stdout.log")),
                     None),
    }
    rates = {name: [] for name in modes}
    cpu = {name: [] for name in modes}
    total_mib = NPROC * setup.log_mb
    for _ in range(setup.log_rounds):
        for name, (run_mode, skip_of) in modes.items():
            shutil.rmtree(out_dir, ignore_errors=True)
            os.makedirs(out_dir)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            try:
                seconds, files = run_mode()
                _check(files, skip_of, per_worker, name)
            finally:
                shutil.rmtree(out_dir, ignore_errors=True)  # bounded disk use
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            rates[name].append(total_mib / seconds)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)

    direct, direct_cpu = median(rates["direct"]), median(cpu["direct"])

    def figures(name):
        rate, seconds = median(rates[name]), median(cpu[name])
        return rate, f"{rate:.0f} MiB/s, {seconds:.2f} CPU-s", \
            f"{100 * rate / direct:.0f} % (CPU {100 * direct_cpu / seconds:.0f} %)"

    table.section(f"Log throughput, {NPROC} workers x {setup.log_mb} MiB of 100-byte lines, "
                  f"console on /dev/null ({setup.log_rounds} runs each, median; every byte checked)")
    baseline = f"direct {direct:.0f} MiB/s, {direct_cpu:.2f} CPU-s"
    table.add("written straight to files", "", baseline, "100 %", "", None)
    for name, label in (("dlaunch", "dlaunch, default (files + console)"),
                        ("dlaunch -r 3", "dlaunch --redirects 3 (files only)")):
        rate, text, ratio = figures(name)
        table.add(label, text, baseline, ratio, ">= 80 %", rate >= 0.8 * direct)
    _, text, ratio = figures("torchrun")
    table.add("torchrun -r 1 -t 2 (files only)", "", f"torchrun {text}", ratio, "", None)
