#pragma once
// The training run: builds the datasets, the model, the process group; resumes from a
// checkpoint when asked (or after a restart); then, per epoch, trains on this rank's shard
// with bucketed gradient all-reduce, averages BatchNorm statistics, evaluates its share of
// the validation set, and on rank 0 writes model.pt (when the accuracy improves),
// checkpoint.pt and one metric line. Throws the errors of errors.hpp; main maps them to exit
// codes. LibTorch stays inside trainer.cpp.

#include "trainer/metrics.hpp"
#include "trainer/options.hpp"
#include "trainer/worker_env.hpp"

namespace dlaunch::trainer {

// Runs the whole training; `metrics` receives rank 0's JSON lines.
void run_training(const Options& options, const WorkerEnv& env, MetricSink& metrics);

}  // namespace dlaunch::trainer
