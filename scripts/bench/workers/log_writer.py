# The log-throughput benchmark's worker: writes BENCH_LOG_BYTES bytes of 100-byte lines to
# stdout (fd 1, unbuffered, in 64 KiB writes), as a chatty training script would. The last
# line is shortened so the total is exact and still ends with a newline.
import os

total = int(os.environ["BENCH_LOG_BYTES"])
rank = os.environ.get("RANK", "0")
line = (f"rank {rank} step 000000 loss 0.123456 " + "x" * 100)[:99] + "\n"
block = (line * (65536 // len(line))).encode()
full, rest = divmod(total, len(block))


def write_all(data):
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


for _ in range(full):
    write_all(block)
if rest:
    write_all(block[:rest - 1] + b"\n")
