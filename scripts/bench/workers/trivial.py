# The end-to-end benchmark's worker: does nothing, so only launching is measured.
