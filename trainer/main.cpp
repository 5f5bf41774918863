// dtrain: parses flags and the worker environment, runs the training, and turns what went
// wrong into one log line and a documented exit code (see trainer/README.md).

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "trainer/errors.hpp"
#include "trainer/heap_tuning.hpp"
#include "trainer/log.hpp"
#include "trainer/metrics.hpp"
#include "trainer/options.hpp"
#include "trainer/trainer.hpp"
#include "trainer/worker_env.hpp"

namespace tr = dlaunch::trainer;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  tr::Options options;
  tr::WorkerEnv env;
  try {
    options = tr::parse_options(args);
    if (options.help) {
      std::fputs(tr::usage_text().c_str(), stdout);
      return tr::kExitOk;
    }
    env = tr::read_worker_env_from_process(options.local_rank);
  } catch (const tr::UsageError& e) {
    std::fprintf(stderr, "dtrain: %s\n", e.what());
    return tr::kExitUsage;
  }
  tr::set_log_rank(env.rank);
  tr::tune_heap_for_training();
  try {
    tr::MetricSink metrics(stdout);
    tr::run_training(options, env, metrics);
    return tr::kExitOk;
  } catch (const tr::UsageError& e) {
    tr::log_error(e.what());
    return tr::kExitUsage;
  } catch (const tr::DataError& e) {
    tr::log_error(e.what());
    return tr::kExitData;
  } catch (const tr::CommError& e) {
    tr::log_error(std::string("communication failure: ") + e.what());
    return tr::kExitComm;
  } catch (const tr::CheckpointError& e) {
    tr::log_error(e.what());
    return tr::kExitCheckpoint;
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
    tr::log_error("internal error: " + message);
    return tr::kExitInternal;
  }
}
