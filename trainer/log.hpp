#pragma once
// dtrain's human-readable log: whole lines to stderr, "dtrain[rank]: message", safe from any
// thread. (Metric JSON lines go to stdout; see metrics.hpp.) No spdlog, so dtrain builds
// against a bare LibTorch too.

#include <string>

namespace dlaunch::trainer {

void set_log_rank(int rank);
void log_info(const std::string& message);
void log_warning(const std::string& message);
void log_error(const std::string& message);

}  // namespace dlaunch::trainer
