# The exit-latency benchmark's worker. The rank named by BENCH_FAIL_RANK waits until every
# worker has checked in (a file per rank in BENCH_READY_DIR), writes CLOCK_MONOTONIC in
# nanoseconds to BENCH_STAMP_FILE and exits 1 at once; the others sleep (bounded) until the
# launcher stops them.
import os
import time

rank = int(os.environ["RANK"])
world = int(os.environ["WORLD_SIZE"])
ready_dir = os.environ["BENCH_READY_DIR"]
with open(os.path.join(ready_dir, str(rank)), "w") as f:
    f.write(str(os.getpid()))  # the harness checks that no worker outlives the launcher

if rank != int(os.environ.get("BENCH_FAIL_RANK", "0")):
    time.sleep(60)  # the launcher stops us long before; bounded in case it does not
    os._exit(0)

deadline = time.monotonic() + 30
while len(os.listdir(ready_dir)) < world and time.monotonic() < deadline:
    time.sleep(0.002)
time.sleep(0.05)  # let the others settle into their sleep
stamp = str(time.clock_gettime_ns(time.CLOCK_MONOTONIC))
fd = os.open(os.environ["BENCH_STAMP_FILE"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, stamp.encode())
os.close(fd)
os._exit(1)
