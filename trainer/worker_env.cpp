#include "trainer/worker_env.hpp"

#include <cerrno>
#include <cstdlib>

#include "trainer/errors.hpp"

namespace dlaunch::trainer {
namespace {

int parse_env_int(const char* name, const std::string& value, int min, int max) {
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || errno != 0 || *end != '\0' || v < min || v > max) {
    throw UsageError(std::string("environment variable ") + name + "='" + value +
                     "' is not an integer in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "]");
  }
  return static_cast<int>(v);
}

}  // namespace

WorkerEnv read_worker_env(const std::function<std::optional<std::string>(const char*)>& lookup,
                          int flag_local_rank) {
  WorkerEnv env;
  const auto world = lookup("WORLD_SIZE");
  const auto rank = lookup("RANK");
  if (!world && !rank) {
    if (flag_local_rank >= 0) env.local_rank = flag_local_rank;
    return env;  // no launcher: one process
  }
  if (!world || !rank) {
    throw UsageError(std::string("environment variable ") + (world ? "RANK" : "WORLD_SIZE") +
                     " is missing (both RANK and WORLD_SIZE are needed)");
  }
  constexpr int kMaxRanks = 1 << 24;
  env.distributed = true;
  env.world_size = parse_env_int("WORLD_SIZE", *world, 1, kMaxRanks);
  env.rank = parse_env_int("RANK", *rank, 0, env.world_size - 1);
  if (auto v = lookup("LOCAL_RANK")) {
    env.local_rank = parse_env_int("LOCAL_RANK", *v, 0, kMaxRanks);
  } else if (flag_local_rank >= 0) {
    env.local_rank = flag_local_rank;
  } else {
    env.local_rank = env.rank;
  }
  if (auto v = lookup("LOCAL_WORLD_SIZE")) {
    env.local_world_size = parse_env_int("LOCAL_WORLD_SIZE", *v, 1, kMaxRanks);
  } else {
    env.local_world_size = env.world_size;
  }
  const auto addr = lookup("MASTER_ADDR");
  const auto port = lookup("MASTER_PORT");
  if (!addr || addr->empty()) throw UsageError("environment variable MASTER_ADDR is missing");
  if (!port) throw UsageError("environment variable MASTER_PORT is missing");
  env.master_addr = *addr;
  env.master_port = parse_env_int("MASTER_PORT", *port, 1, 65535);
  if (auto v = lookup("TORCHELASTIC_USE_AGENT_STORE")) env.use_agent_store = (*v == "True");
  if (auto v = lookup("TORCHELASTIC_RESTART_COUNT")) {
    env.restart_count = parse_env_int("TORCHELASTIC_RESTART_COUNT", *v, 0, kMaxRanks);
    env.restart_count_set = true;
  }
  return env;
}

WorkerEnv read_worker_env_from_process(int flag_local_rank) {
  return read_worker_env(
      [](const char* name) -> std::optional<std::string> {
        const char* v = std::getenv(name);
        if (v == nullptr) return std::nullopt;
        return std::string(v);
      },
      flag_local_rank);
}

}  // namespace dlaunch::trainer
