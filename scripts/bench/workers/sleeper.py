# The RSS benchmark's worker: prints a few lines and lives BENCH_SLEEP seconds, so the
# launcher's memory can be sampled while it supervises 8 workers.
import os
import time

for i in range(10):
    print(f"rank {os.environ.get('RANK')} line {i}", flush=True)
time.sleep(float(os.environ.get("BENCH_SLEEP", "1")))
