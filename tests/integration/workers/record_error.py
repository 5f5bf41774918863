# Fails the way a torch @record worker does: the error JSON goes to TORCHELASTIC_ERROR_FILE.
import os
import sys

from torch.distributed.elastic.multiprocessing.errors import record


@record
def main():
    if os.environ["RANK"] == "1":
        raise ValueError("out of cheese")
    import time
    time.sleep(30)


if __name__ == "__main__":
    main()
