#pragma once
// The error kinds dtrain tells apart, and the exit code each one ends the process with.
// Thrown at the edges (flags, environment, files, the process group); main() maps them to
// exit codes so a launcher (dlaunch, torchrun) and a user can tell bad usage from bad data
// from a lost peer. Header-only, no LibTorch.

#include <stdexcept>
#include <string>

namespace dlaunch::trainer {

enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,    // a bug or an unexpected LibTorch error
  kExitUsage = 2,       // bad flags or a malformed worker environment
  kExitData = 3,        // dataset missing, unreadable or corrupt
  kExitComm = 4,        // store or process group failure: a peer died, timeout, refused
  kExitCheckpoint = 5,  // output_dir / checkpoint / model.pt cannot be written or read
};

// Bad flags or environment: one line, exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A dataset file is missing, unreadable or corrupt; the message names the file.
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The store or a collective failed (peer gone, timeout): the job should be restarted.
struct CommError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Writing or reading checkpoint.pt / model.pt failed.
struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace dlaunch::trainer
