#include "launcher/options.hpp"

#include <doctest/doctest.h>

#include "launcher/option_table.hpp"
#include "tests/launcher/options_test_helpers.hpp"

using namespace options_test;

TEST_CASE("options: PET_ variables are the defaults, the command line wins") {
  const Environment env = {
      {"PET_NNODES", "2"},
      {"PET_NPROC_PER_NODE", "4"},
      {"PET_NODE_RANK", "1"},
      {"PET_MASTER_ADDR", "m0"},
      {"PET_MASTER_PORT", "7000"},
      {"PET_RDZV_ID", "abc"},
      {"PET_MONITOR_INTERVAL", "1"},
      {"PET_START_METHOD", "fork"},
      {"PET_MAX_RESTARTS", "2"},
      {"PET_REDIRECTS", "3"},
      {"PET_TEE", "0:1"},
      {"PET_LOG_DIR", "/tmp/pet"},
      {"PET_ROLE", "r"},
      {"PET_LOCAL_RANKS_FILTER", "1"},
      {"PET_RDZV_CONF", "a=1"},
      {"PET_SHUTDOWN_TIMEOUT", "3"},
      {"PET_LOCAL_ADDR", "me"},
  };
  auto o = parse({"train.py"}, env);
  CHECK(o.min_nodes == 2);
  CHECK(o.nnodes_given);
  CHECK(o.nproc_per_node.count == 4);
  CHECK(o.node_rank == 1);
  CHECK(o.master_addr == "m0");
  CHECK(o.master_port == 7000);
  CHECK(o.rdzv_id == "abc");
  CHECK(o.monitor_interval == 1);
  CHECK(o.start_method == "fork");
  CHECK(o.max_restarts == 2);
  CHECK(o.redirects.all == 3);
  CHECK(o.tee.for_local_rank(0) == 1);
  CHECK(o.log_dir == "/tmp/pet");
  CHECK(o.role == "r");
  CHECK(o.local_ranks_filter == std::set<int>{1});
  CHECK(o.rdzv_conf.at("a") == "1");
  CHECK(o.shutdown_timeout == 3);
  CHECK(o.local_addr == "me");
  CHECK(o.sources.at("nproc_per_node") == "PET_NPROC_PER_NODE");
  CHECK(o.sources.at("nnodes") == "PET_NNODES");

  o = parse({"--nproc_per_node", "2", "--nnodes=1", "-r", "1", "--node_rank", "0", "train.py"},
            env);
  CHECK(o.nproc_per_node.count == 2);
  CHECK(o.max_nodes == 1);
  CHECK(o.redirects.all == 1);
  CHECK(o.node_rank == 0);
  CHECK(o.sources.at("nproc_per_node") == "command line");
  CHECK(o.master_addr == "m0");

  // Kubeflow's variables: a range and an endpoint.
  o = parse({"train.py"}, {{"PET_NNODES", "1:3"},
                           {"PET_RDZV_BACKEND", "c10d"},
                           {"PET_RDZV_ENDPOINT", "job-worker-0:29400"}});
  CHECK(o.max_nodes == 3);
  CHECK(o.rdzv_backend == "c10d");
  CHECK(o.rdzv_endpoint == "job-worker-0:29400");
}

TEST_CASE("options: PET_ flags are integers, as torch's check_env reads them") {
  for (const char* dest : kFlags) {
    if (std::string_view(dest) == "module") continue;  // conflicts with no_python below
    const auto name = option_spec(dest).env_name();
    CAPTURE(name);
    auto o = parse({"train.py"}, {{name, "1"}});
    CHECK(describe(o, dest) == "on");
    CHECK(o.sources.at(dest) == name);
    CHECK(describe(parse({"train.py"}, {{name, "0"}}), dest) == "off");
    CHECK(describe(parse({"train.py"}, {{name, ""}}), dest) == "off");
    CHECK(usage_error({"train.py"}, {{name, "yes"}}) ==
          name + ": invalid value 'yes' (expected 1 (on) or 0 (off))");
  }
  CHECK(parse({"pkg.mod"}, {{"PET_MODULE", "1"}}).module);
  // Passing the flag always turns it on.
  CHECK(parse({"--standalone", "train.py"}, {{"PET_STANDALONE", "0"}}).standalone);
}

TEST_CASE("options: empty PET_ variables count as unset, bad ones are named") {
  const auto o = parse({"train.py"}, {{"PET_NPROC_PER_NODE", ""}, {"PET_RDZV_ENDPOINT", ""}});
  CHECK(o.nproc_per_node.count == 1);
  CHECK_FALSE(o.rdzv_endpoint);
  CHECK(usage_error({"train.py"}, {{"PET_NNODES", "3:1"}})
            .starts_with("PET_NNODES: invalid value '3:1'"));
  CHECK(
      usage_error({"train.py"}, {{"PET_NPROC_PER_NODE", "0"}}).starts_with("PET_NPROC_PER_NODE:"));
  // Options that are not torchrun's have no PET_ fallback: a hostfile must be asked for.
  CHECK_FALSE(parse({"train.py"}, {{"PET_HOSTFILE", "hosts"}}).hostfile);
}

TEST_CASE("options: token and shutdown timeout have a second fallback") {
  auto o =
      parse({"train.py"}, {{"DLAUNCH_RDZV_TOKEN", "t1"}, {"TORCH_ELASTIC_SHUTDOWN_TIMEOUT", "7"}});
  CHECK(o.rdzv_token == "t1");
  CHECK(o.sources.at("rdzv_token") == "DLAUNCH_RDZV_TOKEN");
  CHECK(o.shutdown_timeout == 7);
  CHECK(o.sources.at("shutdown_timeout") == "TORCH_ELASTIC_SHUTDOWN_TIMEOUT");
  o = parse({"--rdzv_token", "t2", "--shutdown_timeout", "1", "train.py"},
            {{"DLAUNCH_RDZV_TOKEN", "t1"}, {"TORCH_ELASTIC_SHUTDOWN_TIMEOUT", "7"}});
  CHECK(o.rdzv_token == "t2");
  CHECK(o.shutdown_timeout == 1);
  o = parse({"train.py"}, {{"PET_SHUTDOWN_TIMEOUT", "2"}, {"TORCH_ELASTIC_SHUTDOWN_TIMEOUT", "7"}});
  CHECK(o.shutdown_timeout == 2);
  CHECK(usage_error({"train.py"}, {{"TORCH_ELASTIC_SHUTDOWN_TIMEOUT", "-1"}})
            .starts_with("TORCH_ELASTIC_SHUTDOWN_TIMEOUT: invalid value '-1'"));
}
