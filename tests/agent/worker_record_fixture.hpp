#pragma once
// A finished worker's record for the report and results tests: pid 1000 + rank, ended 5 ms
// after it started.

#include <chrono>
#include <optional>

#include "agent/worker.hpp"

namespace dlaunch::testing {

inline agent::WorkerRecord finished_worker(int rank, int local_rank,
                                           std::optional<agent::ExitStatus> status,
                                           bool stopped = false) {
  agent::WorkerRecord record;
  record.rank = rank;
  record.local_rank = local_rank;
  record.pid = 1000 + rank;
  record.status = status;
  record.stopped_by_agent = stopped;
  record.start_time = std::chrono::system_clock::now();
  record.end_time = record.start_time + std::chrono::milliseconds(5);
  return record;
}

}  // namespace dlaunch::testing
