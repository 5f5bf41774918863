# The smallest worker: start Python, read the rank, exit 0.
import os

os.environ["RANK"]
