#include "trainer/worker_env.hpp"

#include <doctest/doctest.h>

#include <map>

#include "trainer/errors.hpp"

namespace tr = dlaunch::trainer;

namespace {
tr::WorkerEnv read(const std::map<std::string, std::string>& vars, int flag_local_rank = -1) {
  return tr::read_worker_env(
      [&](const char* name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
      },
      flag_local_rank);
}
}  // namespace

TEST_CASE("worker env: nothing set is a single process") {
  const auto env = read({});
  CHECK_FALSE(env.distributed);
  CHECK(env.rank == 0);
  CHECK(env.world_size == 1);
}

TEST_CASE("worker env: torchrun's variables") {
  const auto env = read({{"RANK", "3"},
                         {"LOCAL_RANK", "1"},
                         {"WORLD_SIZE", "4"},
                         {"LOCAL_WORLD_SIZE", "2"},
                         {"MASTER_ADDR", "10.0.0.1"},
                         {"MASTER_PORT", "6105"},
                         {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                         {"TORCHELASTIC_RESTART_COUNT", "2"}});
  CHECK(env.distributed);
  CHECK(env.rank == 3);
  CHECK(env.local_rank == 1);
  CHECK(env.world_size == 4);
  CHECK(env.local_world_size == 2);
  CHECK(env.master_addr == "10.0.0.1");
  CHECK(env.master_port == 6105);
  CHECK(env.use_agent_store);
  CHECK(env.restart_count == 2);
}

TEST_CASE("worker env: legacy launch (--local_rank flag, rank 0 serves)") {
  const auto env = read({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"},
                         {"MASTER_PORT", "29500"}, {"TORCHELASTIC_USE_AGENT_STORE", "False"}},
                        1);
  CHECK(env.local_rank == 1);
  CHECK_FALSE(env.use_agent_store);
  CHECK(env.restart_count == 0);
}

TEST_CASE("worker env: malformed values name the variable") {
  auto message = [](const std::map<std::string, std::string>& vars) -> std::string {
    try {
      read(vars);
    } catch (const tr::UsageError& e) {
      return e.what();
    }
    return "";
  };
  const std::map<std::string, std::string> good = {
      {"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "1234"}};
  auto with = [&](const std::string& k, const std::string& v) {
    auto m = good;
    m[k] = v;
    return m;
  };
  CHECK(message(with("RANK", "2")).find("RANK='2'") != std::string::npos);
  CHECK(message(with("WORLD_SIZE", "two")).find("WORLD_SIZE") != std::string::npos);
  CHECK(message(with("MASTER_PORT", "70000")).find("MASTER_PORT") != std::string::npos);
  auto no_addr = good;
  no_addr.erase("MASTER_ADDR");
  CHECK(message(no_addr) == "environment variable MASTER_ADDR is missing");
  CHECK(message({{"RANK", "0"}}).find("WORLD_SIZE is missing") != std::string::npos);
}
