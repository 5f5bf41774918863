#!/usr/bin/python3
"""Whole-program tests of dtrain: real worker processes on loopback, real Fashion-MNIST
(a subset), Python torch 1.13 on the other side (store server, torchrun, model.pt check).

Until dlaunch drives them, the test is its own small launcher: it serves the c10d store
(TORCHELASTIC_USE_AGENT_STORE=True, as dlaunch and torchrun do) or lets rank 0 serve it, and
sets the worker environment itself. One case per run, so CTest lists and times them apart:
  /usr/bin/python3 dtrain_integration_test.py --dtrain build/trainer/dtrain --case NAME"""

import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import torch.distributed as dist

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "..", "..", "scripts")
FASHION = "/usr/share/datasets/fashion-mnist"
SUBSET = ["--max_train_samples", "2000", "--max_val_samples", "500"]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Job:
    """N dtrain workers started with the worker environment; outputs go to files."""

    def __init__(self, dtrain, workdir, world, flags, store_port, agent_store=True, restart=0,
                 tag="run"):
        self.procs = []
        self.out = []
        self.err = []
        for rank in range(world):
            env = dict(os.environ)
            env.update({
                "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world),
                "LOCAL_WORLD_SIZE": str(world), "GROUP_RANK": "0", "MASTER_ADDR": "127.0.0.1",
                "MASTER_PORT": str(store_port), "OMP_NUM_THREADS": "1",
                "TORCHELASTIC_USE_AGENT_STORE": "True" if agent_store else "False",
                "TORCHELASTIC_RESTART_COUNT": str(restart),
            })
            out = os.path.join(workdir, f"{tag}_{rank}.out")
            err = os.path.join(workdir, f"{tag}_{rank}.err")
            self.out.append(out)
            self.err.append(err)
            self.procs.append(subprocess.Popen([dtrain] + flags, env=env, stdout=open(out, "w"),
                                               stderr=open(err, "w")))

    def wait(self, timeout):
        deadline = time.time() + timeout
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=max(0.1, deadline - time.time())))
            except subprocess.TimeoutExpired:
                self.kill()
                raise Failure(f"workers still running after {timeout} s: {self.logs()}")
        return codes

    def kill(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    def metrics(self, rank=0):
        with open(self.out[rank]) as f:
            return [json.loads(line) for line in f if line.strip()]

    def logs(self):
        text = ""
        for path in self.err:
            with open(path) as f:
                text += f"--- {os.path.basename(path)}\n{f.read()[-3000:]}"
        return text


def agent_store():
    """A c10d TCPStore server on an ephemeral loopback port, as a launcher agent hosts it."""
    store = dist.TCPStore("127.0.0.1", 0, 1, True, datetime.timedelta(seconds=60),
                          wait_for_workers=False)
    return store, store.port


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def epochs_of(metrics):
    return [m for m in metrics if "epoch" in m]


def wait_for_line(path, needle, timeout, procs):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path) as f:
            if needle in f.read():
                return
        if any(p.poll() is not None for p in procs):
            raise Failure(f"a worker exited before '{needle}' appeared in {path}")
        time.sleep(0.05)
    raise Failure(f"'{needle}' did not appear in {path} within {timeout} s")


# ---------------------------------------------------------------------------------------------

def case_two_workers(args, work):
    """2 workers under an agent store: loss decreases, model.pt opens in Python and scores
    what dtrain reported, the store keys are the ones Python workers use."""
    store, port = agent_store()
    out = os.path.join(work, "out")
    flags = ["--num_epochs", "3", "--output_dir", out, "--learning_rate", "0.01"] + SUBSET
    job = Job(args.dtrain, work, 2, flags, port)
    codes = job.wait(240)
    check(codes == [0, 0], f"exit codes {codes}\n{job.logs()}")
    metrics = job.metrics(0)
    check(metrics[0] == {"lr": 0.01, "momentum": 0.9}, f"first line {metrics[0]}")
    epochs = epochs_of(metrics)
    check([m["epoch"] for m in epochs] == [1, 2, 3], f"epochs {epochs}")
    check(epochs[-1]["train_loss"] < epochs[0]["train_loss"], f"loss did not decrease: {epochs}")
    check(epochs[-1]["best_val_acc"] > 0.7, f"val_acc too low: {epochs}")
    for key in ("train_acc", "val_loss", "images_per_sec", "epoch_seconds"):
        check(key in epochs[-1], f"{key} missing")
    check(job.metrics(1) == [], "rank 1 printed metric lines")
    check(os.path.exists(os.path.join(out, "checkpoint.pt")), "no checkpoint.pt")
    leftovers = [f for f in os.listdir(out) if f not in ("model.pt", "checkpoint.pt")]
    check(not leftovers, f"temp files left: {leftovers}")

    result = subprocess.run([sys.executable, os.path.join(SCRIPTS, "check_model_pt.py"),
                             os.path.join(out, "model.pt"), "--max_val_samples", "500"],
                            capture_output=True, text=True, timeout=120)
    check(result.returncode == 0, f"check_model_pt failed: {result.stderr}")
    scored = json.loads(result.stdout)
    check(abs(scored["val_acc"] - epochs[-1]["best_val_acc"]) <= 0.004,
          f"Python scores model.pt {scored['val_acc']}, dtrain reported {epochs[-1]['best_val_acc']}")

    # torch 1.13 workers keep their default group under /worker/attempt_<N>/default_pg.
    barrier = store.add("/worker/attempt_0/default_pg/store_based_barrier_key:1", 0)
    check(barrier == 2, f"store barrier count {barrier}, expected 2")


def case_rank0_serves(args, work):
    """Plain legacy launch: no agent store, rank 0 binds MASTER_PORT."""
    flags = ["--num_epochs", "1", "--output_dir", os.path.join(work, "out"),
             "--max_train_samples", "400", "--max_val_samples", "100"]
    job = Job(args.dtrain, work, 2, flags, free_port(), agent_store=False)
    codes = job.wait(180)
    check(codes == [0, 0], f"exit codes {codes}\n{job.logs()}")
    check([m["epoch"] for m in epochs_of(job.metrics(0))] == [1], "epoch 1 missing")


def case_kill_and_resume(args, work):
    """kill -9 of one worker: the other exits with the communication-failure code; restarted
    as attempt 1 on the same store, both resume after the last checkpoint and finish."""
    store, port = agent_store()
    out = os.path.join(work, "out")
    flags = ["--num_epochs", "4", "--output_dir", out, "--learning_rate", "0.01"] + SUBSET
    job = Job(args.dtrain, work, 2, flags, port, tag="attempt0")
    wait_for_line(job.out[0], '"epoch": 1,', 180, job.procs)
    job.procs[1].send_signal(signal.SIGKILL)
    start = time.time()
    codes = job.wait(120)
    check(codes[1] == -signal.SIGKILL, f"rank 1 exit {codes[1]}")
    check(codes[0] == 4, f"rank 0 exited {codes[0]}, expected 4 (communication failure)\n{job.logs()}")
    check(time.time() - start < 60, "rank 0 took over a minute to notice its peer died")
    done = epochs_of(job.metrics(0))[-1]["epoch"]

    job = Job(args.dtrain, work, 2, flags, port, restart=1, tag="attempt1")
    codes = job.wait(240)
    check(codes == [0, 0], f"restart exit codes {codes}\n{job.logs()}")
    epochs = [m["epoch"] for m in epochs_of(job.metrics(0))]
    check(epochs == list(range(done + 1, 5)), f"attempt 0 finished {done}, attempt 1 ran {epochs}")
    with open(job.err[0]) as f:
        check("resumed from" in f.read(), "rank 0 did not log the resume")


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def case_torchrun_restart(args, work):
    """Under Debian's torchrun (torch 1.13) with --max_restarts 1: kill -9 one dtrain, the job
    restarts, resumes from checkpoint.pt and finishes."""
    out = os.path.join(work, "out")
    cmd = ["/usr/bin/python3", "-m", "torch.distributed.run", "-r", "1", "-t", "1",
           "--nproc_per_node", "2", "--max_restarts", "1", "--master_port", str(free_port()),
           "--no_python", args.dtrain, "--num_epochs", "3", "--output_dir", out,
           "--learning_rate", "0.01"] + SUBSET
    log = os.path.join(work, "torchrun.log")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 180
        while not os.path.exists(os.path.join(out, "checkpoint.pt")):
            check(proc.poll() is None, f"torchrun exited early:\n{open(log).read()[-3000:]}")
            check(time.time() < deadline, "no checkpoint within 180 s")
            time.sleep(0.05)
        workers = [c for c in children(proc.pid) if "dtrain" in open(f"/proc/{c}/cmdline").read()]
        check(len(workers) == 2, f"expected 2 dtrain children of torchrun, found {workers}")
        os.kill(workers[-1], signal.SIGKILL)
        code = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = open(log).read()
    check(code == 0, f"torchrun exit {code}:\n{text[-4000:]}")
    check("resumed from" in text, f"no resume in the log:\n{text[-4000:]}")
    check('"epoch": 3,' in text, f"epoch 3 never finished:\n{text[-4000:]}")


def case_exit_codes(args, work):
    """Bad usage is 2 with one line; bad data 3 naming the file; an unreachable store 4."""
    def run(flags, env=None, timeout=60):
        full_env = dict(os.environ)
        for key in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "LOCAL_RANK"):
            full_env.pop(key, None)
        full_env.update(env or {})
        return subprocess.run([args.dtrain] + flags, capture_output=True, text=True,
                              timeout=timeout, env=full_env)

    for flags in (["--bogus"], ["--num_epochs", "0"], ["--num-epochs"], ["--arch", "vgg"]):
        r = run(flags)
        check(r.returncode == 2, f"{flags}: exit {r.returncode}")
        check(r.stderr.count("\n") == 1 and r.stderr.startswith("dtrain: "),
              f"{flags}: stderr {r.stderr!r}")
    r = run(["--num_epochs", "1"], {"RANK": "0", "WORLD_SIZE": "2"})
    check(r.returncode == 2 and "MASTER_ADDR" in r.stderr, f"env: {r.returncode} {r.stderr!r}")
    r = run(["--help"])
    check(r.returncode == 0 and "--num_epochs" in r.stdout, "--help")

    data = os.path.join(work, "data")
    os.makedirs(data)
    for name in os.listdir(FASHION):
        shutil.copy(os.path.join(FASHION, name), data)
    bad = os.path.join(data, "t10k-images-idx3-ubyte.gz")
    with open(bad, "r+b") as f:
        f.truncate(5000)
    r = run(["--data_dir", data, "--num_epochs", "1", "--output_dir", os.path.join(work, "o")])
    check(r.returncode == 3 and bad in r.stderr, f"corrupt data: {r.returncode} {r.stderr!r}")
    r = run(["--data_dir", os.path.join(work, "nothing"), "--num_epochs", "1"])
    check(r.returncode == 3, f"missing data: {r.returncode} {r.stderr!r}")

    r = run(["--num_epochs", "1", "--comm_timeout", "3", "--max_train_samples", "10"],
            {"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
             "MASTER_PORT": str(free_port()), "TORCHELASTIC_USE_AGENT_STORE": "True"})
    check(r.returncode == 4 and "communication failure" in r.stderr,
          f"no store: {r.returncode} {r.stderr[-500:]!r}")


def write_png(path, width, height, shade):
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, shade))
        for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) +
                chunk(b"IEND", b""))


def case_imagefolder(args, work):
    """The Azure sample's layout (train/val x chicken/turkey) with ResNet-18; a corrupt image
    is a data error naming it, or a warning with --skip_bad_images."""
    root = os.path.join(work, "fowl")
    for split, count in (("train", 10), ("val", 4)):
        for label, cls in enumerate(("chicken", "turkey")):
            for i in range(count):
                write_png(os.path.join(root, split, cls, f"{i}.png"), 40 + 3 * i, 36, 60 + 150 * label)
    bad = os.path.join(root, "train", "turkey", "broken.jpg")
    with open(bad, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 not really a jpeg")
    flags = ["--dataset", "imagefolder", "--data_dir", root, "--image_size", "32", "--batch_size", "4",
             "--num_epochs", "1", "--output_dir", os.path.join(work, "out"), "--threads", "1"]
    r = subprocess.run([args.dtrain] + flags, capture_output=True, text=True, timeout=120)
    check(r.returncode == 3 and bad in r.stderr, f"corrupt image: {r.returncode} {r.stderr[-800:]!r}")
    r = subprocess.run([args.dtrain] + flags + ["--skip_bad_images"], capture_output=True, text=True,
                       timeout=120)
    check(r.returncode == 0, f"--skip_bad_images: {r.returncode} {r.stderr[-800:]!r}")
    check("warning" in r.stderr and bad in r.stderr, f"no warning naming {bad}: {r.stderr!r}")
    epochs = [json.loads(line) for line in r.stdout.splitlines() if '"epoch"' in line]
    check(len(epochs) == 1 and 0.0 <= epochs[0]["val_acc"] <= 1.0, f"metrics {r.stdout!r}")


CASES = {
    "two_workers": case_two_workers,
    "rank0_serves": case_rank0_serves,
    "kill_and_resume": case_kill_and_resume,
    "torchrun_restart": case_torchrun_restart,
    "exit_codes": case_exit_codes,
    "imagefolder": case_imagefolder,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dtrain", required=True)
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    args = parser.parse_args()
    args.dtrain = os.path.abspath(args.dtrain)
    work = tempfile.mkdtemp(prefix=f"dtrain-{args.case}-")
    start = time.time()
    try:
        CASES[args.case](args, work)
    except Failure as e:
        print(f"FAIL {args.case}: {e}", file=sys.stderr)
        print(f"(work folder kept: {work})", file=sys.stderr)
        return 1
    print(f"PASS {args.case} ({time.time() - start:.1f} s)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
