// Azure ML per-node launch: ScriptRunConfig(command="dlaunch ...",
// distributed_job_config=PyTorchConfiguration(node_count=2)) on a 2-node cluster. Azure ML runs
// the command once per node. The variables below are the ones launchers.md §1.1-1.2 lists for
// that mode (MASTER_ADDR, MASTER_PORT=6105, NODE_RANK; node-level WORLD_SIZE/RANK/LOCAL_RANK),
// plus the run context and the Azure Batch multi-instance variables an AmlCompute node carries.
// They come from the documentation, not from a captured job.

#include <string>

#include <doctest/doctest.h>

#include "launcher/cluster_env.hpp"

using namespace dlaunch::launcher;

namespace {

// The environment Azure ML gives the per-node command on node `node_rank` of a 2-node job.
Environment azureml_pytorch_node_env(int node_rank) {
  const std::string rank = std::to_string(node_rank);
  return {
      // run context, on every run
      {"AZUREML_RUN_ID", "dlaunch-fowl_1718000000_1a2b3c4d"},
      {"AZUREML_EXPERIMENT_ID", "5e0f7c1a-0000-4000-8000-000000000001"},
      {"AZUREML_ARM_SUBSCRIPTION", "00000000-0000-0000-0000-000000000000"},
      {"AZUREML_ARM_RESOURCEGROUP", "rg"},
      {"AZUREML_ARM_WORKSPACE_NAME", "ws"},
      {"AZUREML_ARM_PROJECT_NAME", "dlaunch-fowl"},
      {"AZUREML_SERVICE_ENDPOINT", "https://westeurope.api.azureml.ms"},
      {"AZUREML_SCRIPT_DIRECTORY_NAME", "."},
      {"AZUREML_NODE_COUNT", "2"},
      // PyTorchConfiguration(node_count=2), no process_count: one process per node
      {"MASTER_ADDR", "10.0.0.4"},
      {"MASTER_PORT", "6105"},
      {"NODE_RANK", rank},
      {"WORLD_SIZE", "2"},
      {"RANK", rank},
      {"LOCAL_RANK", "0"},
      // Azure Batch multi-instance task variables
      {"AZ_BATCH_HOST_LIST", "10.0.0.4,10.0.0.5"},
      {"AZ_BATCH_NODE_LIST", "10.0.0.4;10.0.0.5"},
      {"AZ_BATCH_MASTER_NODE", "10.0.0.4:6000"},
      {"AZ_BATCH_IS_CURRENT_NODE_MASTER", node_rank == 0 ? "true" : "false"},
      {"AZ_BATCHAI_MPI_MASTER_NODE", "10.0.0.4"},
      // ordinary process environment
      {"HOME", "/root"},
      {"PATH", "/opt/dlaunch/bin:/usr/local/bin:/usr/bin:/bin"},
  };
}

}  // namespace

TEST_CASE(
    "azureml: each node of a 2-node PyTorchConfiguration job finds its rank, the count and the "
    "master") {
  for (int node = 0; node < 2; ++node) {
    CAPTURE(node);
    const auto settings = resolve_cluster(azureml_pytorch_node_env(node));
    CHECK(settings.kind == ClusterKind::kAzureMl);
    CHECK(settings.node_rank == Sourced<int>{node, ValueSource::kAzureMl, "NODE_RANK"});
    CHECK(settings.nnodes == Sourced<int>{2, ValueSource::kAzureMl, "AZUREML_NODE_COUNT"});
    // Azure ML's MASTER_PORT (6105), not the Batch master port 6000 in AZ_BATCH_MASTER_NODE.
    CHECK(settings.master_addr ==
          Sourced<std::string>{"10.0.0.4", ValueSource::kAzureMl, "MASTER_ADDR"});
    CHECK(settings.master_port ==
          Sourced<std::uint16_t>{6105, ValueSource::kAzureMl, "MASTER_PORT"});
    CHECK(settings.warnings.empty());
    CHECK(settings.describe() ==
          "cluster=Azure ML: node_rank=" + std::to_string(node) +
              " (Azure ML NODE_RANK), nnodes=2 (Azure ML AZUREML_NODE_COUNT), "
              "master=10.0.0.4:6105 (Azure ML MASTER_ADDR, MASTER_PORT)");
  }
}

TEST_CASE("azureml: the explicit per-node command line agrees with detection") {
  // dlaunch --nnodes 2 --node_rank $NODE_RANK --master_addr $MASTER_ADDR --master_port $MASTER_PORT
  const auto env = azureml_pytorch_node_env(1);
  ClusterValues cli;
  cli.nnodes = Sourced<int>{2, ValueSource::kCommandLine, "--nnodes"};
  cli.node_rank = Sourced<int>{1, ValueSource::kCommandLine, "--node_rank"};
  cli.master_addr = Sourced<std::string>{"10.0.0.4", ValueSource::kCommandLine, "--master_addr"};
  cli.master_port = Sourced<std::uint16_t>{6105, ValueSource::kCommandLine, "--master_port"};
  const auto explicit_settings = resolve_cluster(env, cli);
  const auto detected = resolve_cluster(env);
  CHECK(explicit_settings.node_rank.value == detected.node_rank.value);
  CHECK(explicit_settings.nnodes.value == detected.nnodes.value);
  CHECK(explicit_settings.master_addr.value == detected.master_addr.value);
  CHECK(explicit_settings.master_port.value == detected.master_port.value);
}
