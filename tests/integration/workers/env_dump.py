# Writes the worker's environment and argv to $OUT/env_<RANK> (KEY=VALUE lines, then ARGV=...).
import os
import sys

with open(os.path.join(os.environ["OUT"], "env_" + os.environ["RANK"]), "w") as f:
    for key, value in sorted(os.environ.items()):
        f.write(f"{key}={value}\n")
    f.write("ARGV=" + " ".join(sys.argv[1:]) + "\n")
