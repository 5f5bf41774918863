#include "launcher/cluster_env.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using namespace dlaunch::launcher;

namespace {

struct Case {
  const char* name;
  Environment env;
  ClusterKind kind;
  std::string line;  // ClusterSettings::describe()
};

// Real variable sets, one per cluster kind and per pitfall of launchers.md §1.3.
const std::vector<Case>& detection_cases() {
  static const std::vector<Case> cases = {
      {"nothing set: a single node on the defaults",
       {{"HOME", "/root"}, {"PATH", "/usr/bin"}},
       ClusterKind::kNone,
       "cluster=none: node_rank=0 (default), nnodes=1 (default), master=127.0.0.1:6105 (default)"},
      {"Azure ML single node without distributed_job_config: no MASTER_*, no NODE_RANK",
       {{"AZUREML_RUN_ID", "fowl_1700000000_abcd"},
        {"AZUREML_EXPERIMENT_ID", "0f1e2d3c"},
        {"AZUREML_ARM_WORKSPACE_NAME", "ws"}},
       ClusterKind::kAzureMl,
       "cluster=Azure ML: node_rank=0 (default), nnodes=1 (default), master=127.0.0.1:6105 "
       "(default)"},
      {"Azure ML per-node launch, node 1 of 2, WORLD_SIZE/RANK node-level",
       {{"AZUREML_RUN_ID", "r"},
        {"MASTER_ADDR", "10.0.0.4"},
        {"MASTER_PORT", "6105"},
        {"NODE_RANK", "1"},
        {"WORLD_SIZE", "2"},
        {"RANK", "1"},
        {"LOCAL_RANK", "0"}},
       ClusterKind::kAzureMl,
       "cluster=Azure ML: node_rank=1 (Azure ML NODE_RANK), nnodes=2 (Azure ML WORLD_SIZE), "
       "master=10.0.0.4:6105 (Azure ML MASTER_ADDR, MASTER_PORT)"},
      {"Azure ML with AZUREML_NODE_COUNT and no NODE_RANK: RANK is the node rank",
       {{"AZUREML_NODE_COUNT", "3"}, {"RANK", "2"}, {"MASTER_ADDR", "10.0.0.5"}},
       ClusterKind::kAzureMl,
       "cluster=Azure ML: node_rank=2 (Azure ML RANK), nnodes=3 (Azure ML AZUREML_NODE_COUNT), "
       "master=10.0.0.5:6105 (Azure ML MASTER_ADDR, default)"},
      {"Azure ML MpiConfiguration(process_count_per_node=1, node_count=2), node 1",
       {{"AZUREML_RUN_ID", "r"},
        {"OMPI_COMM_WORLD_RANK", "1"},
        {"OMPI_COMM_WORLD_SIZE", "2"},
        {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
        {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
        {"OMPI_COMM_WORLD_NODE_RANK", "0"},
        {"AZ_BATCH_MASTER_NODE", "10.0.0.4:6000"},
        {"AZ_BATCHAI_MPI_MASTER_NODE", "10.0.0.4"}},
       ClusterKind::kAzureMl,
       "cluster=Azure ML: node_rank=1 (Open MPI OMPI_COMM_WORLD_RANK), nnodes=2 (Open MPI "
       "OMPI_COMM_WORLD_SIZE), master=10.0.0.4:6000 (Open MPI AZ_BATCH_MASTER_NODE)"},
      {"Azure ML MPI single node: no AZ_BATCH_MASTER_NODE, master node 'localhost'",
       {{"AZUREML_RUN_ID", "r"},
        {"OMPI_COMM_WORLD_RANK", "0"},
        {"OMPI_COMM_WORLD_SIZE", "1"},
        {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
        {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
        {"AZ_BATCHAI_MPI_MASTER_NODE", "localhost"}},
       ClusterKind::kAzureMl,
       "cluster=Azure ML: node_rank=0 (Open MPI OMPI_COMM_WORLD_RANK), nnodes=1 (Open MPI "
       "OMPI_COMM_WORLD_SIZE), master=localhost:6105 (Open MPI AZ_BATCHAI_MPI_MASTER_NODE, "
       "default)"},
      {"Azure ML MPI single node without either master variable (the KeyError of AzureML-BERT#48)",
       {{"AZUREML_RUN_ID", "r"},
        {"OMPI_COMM_WORLD_RANK", "0"},
        {"OMPI_COMM_WORLD_SIZE", "1"},
        {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"}},
       ClusterKind::kAzureMl,
       "cluster=Azure ML: node_rank=0 (Open MPI OMPI_COMM_WORLD_RANK), nnodes=1 (Open MPI "
       "OMPI_COMM_WORLD_SIZE), master=127.0.0.1:6105 (default)"},
      {"plain mpirun -npernode 1 with MASTER_ADDR/MASTER_PORT exported by -x",
       {{"OMPI_COMM_WORLD_RANK", "3"},
        {"OMPI_COMM_WORLD_SIZE", "4"},
        {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
        {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
        {"MASTER_ADDR", "head"},
        {"MASTER_PORT", "29500"}},
       ClusterKind::kOpenMpi,
       "cluster=Open MPI: node_rank=3 (Open MPI OMPI_COMM_WORLD_RANK), nnodes=4 (Open MPI "
       "OMPI_COMM_WORLD_SIZE), master=head:29500 (environment MASTER_ADDR, MASTER_PORT)"},
      {"Slurm srun --ntasks-per-node=1, node 2 of 4, zero-padded node list",
       {{"SLURM_JOB_ID", "4242"},
        {"SLURM_NODEID", "2"},
        {"SLURM_PROCID", "2"},
        {"SLURM_LOCALID", "0"},
        {"SLURM_NNODES", "4"},
        {"SLURM_NTASKS", "4"},
        {"SLURM_JOB_NODELIST", "gpu[01-04]"},
        {"SLURM_TASKS_PER_NODE", "1(x4)"}},
       ClusterKind::kSlurm,
       "cluster=Slurm: node_rank=2 (Slurm SLURM_NODEID), nnodes=4 (Slurm SLURM_NNODES), "
       "master=gpu01:6105 (Slurm first host of SLURM_JOB_NODELIST, default)"},
      {"Slurm step on part of the job: the step's node list gives the master; MASTER_PORT exported",
       {{"SLURM_JOB_ID", "7"},
        {"SLURM_NODEID", "0"},
        {"SLURM_NNODES", "2"},
        {"SLURM_JOB_NODELIST", "a[1-4]"},
        {"SLURM_STEP_NODELIST", "a[3-4]"},
        {"MASTER_PORT", "29400"}},
       ClusterKind::kSlurm,
       "cluster=Slurm: node_rank=0 (Slurm SLURM_NODEID), nnodes=2 (Slurm SLURM_NNODES), "
       "master=a3:29400 (Slurm first host of SLURM_STEP_NODELIST, environment MASTER_PORT)"},
      {"Slurm with only SLURM_PROCID and a node list: count = length of the list",
       {{"SLURM_PROCID", "1"}, {"SLURM_JOB_NODELIST", "n7,n[10-11]"}},
       ClusterKind::kSlurm,
       "cluster=Slurm: node_rank=1 (Slurm SLURM_PROCID), nnodes=3 (Slurm length of "
       "SLURM_JOB_NODELIST), "
       "master=n7:6105 (Slurm first host of SLURM_JOB_NODELIST, default)"},
      {"Kubeflow PyTorchJob worker pod: RANK/WORLD_SIZE count pods",
       {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
        {"MASTER_ADDR", "mnist-master-0"},
        {"MASTER_PORT", "23456"},
        {"RANK", "2"},
        {"WORLD_SIZE", "3"},
        {"PYTHONUNBUFFERED", "0"}},
       ClusterKind::kKubeflow,
       "cluster=Kubeflow: node_rank=2 (Kubeflow RANK), nnodes=3 (Kubeflow WORLD_SIZE), "
       "master=mnist-master-0:23456 (Kubeflow MASTER_ADDR, MASTER_PORT)"},
      {"RANK and WORLD_SIZE outside any cluster are not node values",
       {{"RANK", "5"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"}},
       ClusterKind::kNone,
       "cluster=none: node_rank=0 (default), nnodes=1 (default), master=127.0.0.1:6105 (default)"},
      {"blank variables count as missing",
       {{"AZUREML_RUN_ID", "r"}, {"NODE_RANK", ""}, {"MASTER_ADDR", "  "}, {"MASTER_PORT", ""}},
       ClusterKind::kAzureMl,
       "cluster=Azure ML: node_rank=0 (default), nnodes=1 (default), master=127.0.0.1:6105 "
       "(default)"},
      {"Azure ML wins over Open MPI, Slurm and Kubeflow, field by field",
       {{"AZUREML_RUN_ID", "r"},
        {"NODE_RANK", "1"},
        {"OMPI_COMM_WORLD_RANK", "7"},
        {"OMPI_COMM_WORLD_SIZE", "9"},
        {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
        {"SLURM_NODEID", "4"},
        {"SLURM_NNODES", "5"},
        {"SLURM_JOB_NODELIST", "s[1-5]"},
        {"KUBERNETES_SERVICE_HOST", "k"}},
       ClusterKind::kAzureMl,
       "cluster=Azure ML: node_rank=1 (Azure ML NODE_RANK), nnodes=9 (Open MPI "
       "OMPI_COMM_WORLD_SIZE), "
       "master=s1:6105 (Slurm first host of SLURM_JOB_NODELIST, default)"},
      {"Open MPI wins over Slurm (mpirun inside an allocation)",
       {{"OMPI_COMM_WORLD_RANK", "1"},
        {"OMPI_COMM_WORLD_SIZE", "2"},
        {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
        {"SLURM_JOB_ID", "1"},
        {"SLURM_NODEID", "0"},
        {"SLURM_NNODES", "2"},
        {"SLURM_JOB_NODELIST", "c[1-2]"}},
       ClusterKind::kOpenMpi,
       "cluster=Open MPI: node_rank=1 (Open MPI OMPI_COMM_WORLD_RANK), nnodes=2 (Open MPI "
       "OMPI_COMM_WORLD_SIZE), master=c1:6105 (Slurm first host of SLURM_JOB_NODELIST, default)"},
  };
  return cases;
}

}  // namespace

TEST_CASE("cluster_env: detection table, one real variable set per cluster kind") {
  for (const auto& test : detection_cases()) {
    CAPTURE(test.name);
    const auto settings = resolve_cluster(test.env);
    CHECK(settings.kind == test.kind);
    CHECK(detect_cluster_kind(test.env) == test.kind);
    CHECK(settings.describe() == test.line);
  }
}

TEST_CASE("cluster_env: several dlaunch per node are refused with one clear error") {
  struct Refusal {
    const char* name;
    Environment env;
    std::vector<std::string> message_parts;
  };
  const std::vector<Refusal> refusals = {
      {"Azure ML MPI process_count_per_node=4, the first process of node 1",
       {{"AZUREML_RUN_ID", "r"},
        {"OMPI_COMM_WORLD_RANK", "4"},
        {"OMPI_COMM_WORLD_SIZE", "8"},
        {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
        {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"},
        {"AZ_BATCH_MASTER_NODE", "10.0.0.4:6000"}},
       {"Open MPI", "OMPI_COMM_WORLD_LOCAL_SIZE=4", "once per node", "process_count_per_node=1"}},
      {"mpirun without LOCAL_SIZE but a local rank above 0",
       {{"OMPI_COMM_WORLD_RANK", "1"},
        {"OMPI_COMM_WORLD_SIZE", "2"},
        {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}},
       {"OMPI_COMM_WORLD_LOCAL_RANK=1", "once per node"}},
      {"Slurm with two tasks per node",
       {{"SLURM_JOB_ID", "1"},
        {"SLURM_NODEID", "0"},
        {"SLURM_PROCID", "1"},
        {"SLURM_LOCALID", "1"},
        {"SLURM_NNODES", "2"},
        {"SLURM_JOB_NODELIST", "n[1-2]"}},
       {"Slurm", "SLURM_LOCALID=1", "srun --ntasks-per-node=1"}},
      {"Azure ML per-process launch (process_count=8), local rank 3",
       {{"AZUREML_RUN_ID", "r"},
        {"NODE_RANK", "0"},
        {"RANK", "3"},
        {"WORLD_SIZE", "8"},
        {"LOCAL_RANK", "3"},
        {"MASTER_ADDR", "10.0.0.4"},
        {"MASTER_PORT", "6105"}},
       {"LOCAL_RANK=3", "per-node command", "process_count"}},
  };
  for (const auto& test : refusals) {
    CAPTURE(test.name);
    try {
      resolve_cluster(test.env);
      FAIL("no error for " << test.name);
    } catch (const std::invalid_argument& error) {
      const std::string message = error.what();
      CHECK(message.find('\n') == std::string::npos);
      for (const auto& part : test.message_parts)
        CHECK_MESSAGE(message.find(part) != std::string::npos, message);
    }
  }
}

TEST_CASE("cluster_env: the refusal applies only when that cluster supplies rank and count") {
  // mpirun -npernode 8 bash -c 'dlaunch --node_rank ... --nnodes ...': the user chose the ranks.
  const Environment env = {{"OMPI_COMM_WORLD_RANK", "5"},
                           {"OMPI_COMM_WORLD_SIZE", "16"},
                           {"OMPI_COMM_WORLD_LOCAL_SIZE", "8"}};
  ClusterValues cli;
  cli.node_rank = Sourced<int>{5, ValueSource::kCommandLine, "--node_rank"};
  cli.nnodes = Sourced<int>{16, ValueSource::kCommandLine, "--nnodes"};
  cli.master_addr = Sourced<std::string>{"head", ValueSource::kCommandLine, "--master_addr"};
  const auto settings = resolve_cluster(env, cli);
  CHECK(settings.node_rank.value == 5);
  CHECK(settings.describe() ==
        "cluster=Open MPI: node_rank=5 (command line --node_rank), nnodes=16 (command line "
        "--nnodes), "
        "master=head:6105 (command line --master_addr, default)");
  CHECK_THROWS_AS(resolve_cluster(env), std::invalid_argument);
}

TEST_CASE("cluster_env: command line > PET_* > cluster > default") {
  const Environment env = {{"AZUREML_RUN_ID", "r"},     {"NODE_RANK", "1"},
                           {"AZUREML_NODE_COUNT", "4"}, {"MASTER_ADDR", "10.0.0.4"},
                           {"MASTER_PORT", "6105"},     {"PET_NODE_RANK", "2"},
                           {"PET_MASTER_PORT", "29500"}};
  ClusterValues cli;
  cli.node_rank = Sourced<int>{3, ValueSource::kCommandLine, "--node_rank"};
  const auto pet = read_pet_values(env);
  REQUIRE(pet.node_rank);
  CHECK(pet.node_rank->value == 2);
  const auto settings = resolve_cluster(env, cli, pet);
  CHECK(settings.node_rank == Sourced<int>{3, ValueSource::kCommandLine, "--node_rank"});
  CHECK(settings.nnodes == Sourced<int>{4, ValueSource::kAzureMl, "AZUREML_NODE_COUNT"});
  CHECK(settings.master_addr ==
        Sourced<std::string>{"10.0.0.4", ValueSource::kAzureMl, "MASTER_ADDR"});
  CHECK(settings.master_port ==
        Sourced<std::uint16_t>{29500, ValueSource::kPet, "PET_MASTER_PORT"});
  CHECK(settings.describe() ==
        "cluster=Azure ML: node_rank=3 (command line --node_rank), nnodes=4 (Azure ML "
        "AZUREML_NODE_COUNT), "
        "master=10.0.0.4:29500 (Azure ML MASTER_ADDR, PET_MASTER_PORT)");
  const auto without_cli = resolve_cluster(env, {}, pet);
  CHECK(without_cli.node_rank.label() == "PET_NODE_RANK");
}

TEST_CASE("cluster_env: Kubeflow with torchrun's PET_* variables (training-operator >= 1.7)") {
  const Environment env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                           {"MASTER_ADDR", "job-master-0"},
                           {"MASTER_PORT", "23456"},
                           {"RANK", "1"},
                           {"WORLD_SIZE", "8"},
                           {"PET_NNODES", "2"},
                           {"PET_NPROC_PER_NODE", "4"},
                           {"PET_NODE_RANK", "1"},
                           {"PET_MASTER_ADDR", "job-master-0"},
                           {"PET_MASTER_PORT", "23456"}};
  const auto settings = resolve_cluster(env, {}, read_pet_values(env));
  CHECK(settings.kind == ClusterKind::kKubeflow);
  CHECK(settings.nnodes.value == 2);  // WORLD_SIZE=8 counts processes here; PET_NNODES wins
  CHECK(settings.nnodes.label() == "PET_NNODES");
  CHECK(settings.node_rank.value == 1);
  CHECK(settings.describe() ==
        "cluster=Kubeflow: node_rank=1 (PET_NODE_RANK), nnodes=2 (PET_NNODES), "
        "master=job-master-0:23456 (PET_MASTER_ADDR, PET_MASTER_PORT)");
}

TEST_CASE("cluster_env: PET_NNODES ranges are left to the elastic path") {
  CHECK(read_pet_values({{"PET_NNODES", "3:3"}}).nnodes->value == 3);
  CHECK_FALSE(read_pet_values({{"PET_NNODES", "1:4"}}).nnodes);
  CHECK_THROWS_WITH_AS(read_pet_values({{"PET_NNODES", "4:1"}}), doctest::Contains("PET_NNODES"),
                       std::invalid_argument);
}

TEST_CASE("cluster_env: a malformed value names its variable") {
  struct Bad {
    Environment env;
    const char* variable;
  };
  const std::vector<Bad> bad = {
      {{{"AZUREML_RUN_ID", "r"}, {"NODE_RANK", "one"}}, "NODE_RANK='one'"},
      {{{"AZUREML_RUN_ID", "r"}, {"AZUREML_NODE_COUNT", "0"}}, "AZUREML_NODE_COUNT='0'"},
      {{{"AZUREML_RUN_ID", "r"}, {"MASTER_PORT", "70000"}}, "MASTER_PORT='70000'"},
      {{{"AZUREML_RUN_ID", "r"}, {"NODE_RANK", "0"}, {"LOCAL_RANK", "x"}}, "LOCAL_RANK='x'"},
      {{{"OMPI_COMM_WORLD_RANK", "0"},
        {"OMPI_COMM_WORLD_SIZE", "-2"},
        {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"}},
       "OMPI_COMM_WORLD_SIZE='-2'"},
      {{{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "many"}},
       "OMPI_COMM_WORLD_LOCAL_SIZE='many'"},
      {{{"AZ_BATCH_MASTER_NODE", ":6000"}}, "AZ_BATCH_MASTER_NODE=':6000'"},
      {{{"AZ_BATCH_MASTER_NODE", "10.0.0.4:0"}}, "AZ_BATCH_MASTER_NODE='10.0.0.4:0' has port 0"},
      {{{"SLURM_NODEID", "1.5"}}, "SLURM_NODEID='1.5'"},
      {{{"SLURM_NODEID", "0"}, {"SLURM_JOB_NODELIST", "node[3-1]"}}, "SLURM_JOB_NODELIST"},
      {{{"KUBERNETES_SERVICE_HOST", "k"}, {"RANK", "0"}, {"WORLD_SIZE", "two"}},
       "WORLD_SIZE='two'"},
      {{{"MASTER_PORT", "http"}}, "MASTER_PORT='http'"},
  };
  for (const auto& test : bad) {
    CAPTURE(test.variable);
    CHECK_THROWS_WITH_AS(resolve_cluster(test.env), doctest::Contains(test.variable),
                         std::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(read_pet_values({{"PET_MASTER_PORT", "x"}}),
                       doctest::Contains("PET_MASTER_PORT='x'"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(read_pet_values({{"PET_NODE_RANK", "-1"}}),
                       doctest::Contains("PET_NODE_RANK='-1'"), std::invalid_argument);
}

TEST_CASE("cluster_env: a value given on the command line is never read from the environment") {
  const Environment env = {
      {"SLURM_NODEID", "garbage"}, {"SLURM_NNODES", "2"}, {"SLURM_JOB_NODELIST", "n[1-2]"}};
  CHECK_THROWS_WITH_AS(resolve_cluster(env), doctest::Contains("SLURM_NODEID"),
                       std::invalid_argument);
  ClusterValues cli;
  cli.node_rank = Sourced<int>{1, ValueSource::kCommandLine, "--node_rank"};
  const auto settings = resolve_cluster(env, cli);
  CHECK(settings.node_rank.value == 1);
  CHECK(settings.nnodes.value == 2);
  CHECK(settings.master_addr.value == "n1");
}

TEST_CASE("cluster_env: node_rank must be below nnodes, both sources are named") {
  ClusterValues cli;
  cli.nnodes = Sourced<int>{2, ValueSource::kCommandLine, "--nnodes"};
  const Environment env = {{"SLURM_NODEID", "3"}, {"SLURM_JOB_NODELIST", "n[1-4]"}};
  CHECK_THROWS_WITH_AS(
      resolve_cluster(env, cli),
      "node_rank 3 (Slurm SLURM_NODEID) must be below nnodes 2 (command line --nnodes)",
      std::invalid_argument);
  ClusterValues negative;
  negative.node_rank = Sourced<int>{-1, ValueSource::kCommandLine, "--node_rank"};
  CHECK_THROWS_WITH_AS(resolve_cluster({}, negative), doctest::Contains("--node_rank"),
                       std::invalid_argument);
}

TEST_CASE("cluster_env: warnings for usable but suspicious input") {
  const auto mpi = resolve_cluster({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "2"}});
  REQUIRE(mpi.warnings.size() == 2);
  CHECK(mpi.warnings[0] == "OMPI_COMM_WORLD_LOCAL_SIZE is not set; assuming one dlaunch per node");
  CHECK(mpi.warnings[1].find("127.0.0.1 cannot be reached") != std::string::npos);

  const auto azure = resolve_cluster({{"AZUREML_NODE_COUNT", "2"},
                                      {"WORLD_SIZE", "8"},
                                      {"NODE_RANK", "0"},
                                      {"MASTER_ADDR", "10.0.0.4"}});
  REQUIRE(azure.warnings.size() == 1);
  CHECK(azure.warnings[0].find("AZUREML_NODE_COUNT=2 but WORLD_SIZE=8") != std::string::npos);
  CHECK(resolve_cluster({}).warnings.empty());
}

TEST_CASE("cluster_env: overlay takes each field from the first layer that has it") {
  ClusterValues high;
  high.master_port = Sourced<std::uint16_t>{1234, ValueSource::kCommandLine, "--master_port"};
  ClusterValues low;
  low.master_port = Sourced<std::uint16_t>{6105, ValueSource::kAzureMl, "MASTER_PORT"};
  low.node_rank = Sourced<int>{1, ValueSource::kAzureMl, "NODE_RANK"};
  const auto merged = overlay({&high, &low});
  CHECK(merged.master_port->value == 1234);
  CHECK(merged.node_rank->value == 1);
  CHECK_FALSE(merged.nnodes);
}

TEST_CASE("cluster_env: IPv6 masters are printed with brackets") {
  const auto settings = resolve_cluster({{"OMPI_COMM_WORLD_RANK", "0"},
                                         {"OMPI_COMM_WORLD_SIZE", "1"},
                                         {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
                                         {"AZ_BATCH_MASTER_NODE", "[fd00::4]:6000"}});
  CHECK(settings.master_addr.value == "fd00::4");
  CHECK(settings.master_port.value == 6000);
  CHECK(settings.describe().find("master=[fd00::4]:6000 (Open MPI AZ_BATCH_MASTER_NODE)") !=
        std::string::npos);
}

TEST_CASE(
    "cluster_env: a dlaunch started inside a torchrun/dlaunch worker ignores its parent's store") {
  const Environment worker = {{"TORCHELASTIC_RUN_ID", "job1"},
                              {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                              {"MASTER_ADDR", "127.0.0.1"},
                              {"MASTER_PORT", "41234"},
                              {"RANK", "3"},
                              {"WORLD_SIZE", "4"},
                              {"LOCAL_RANK", "3"}};
  const auto settings = resolve_cluster(worker);
  CHECK(settings.describe() ==
        "cluster=none: node_rank=0 (default), nnodes=1 (default), master=127.0.0.1:6105 (default)");
  REQUIRE(settings.warnings.size() == 1);
  CHECK(settings.warnings[0].find("TORCHELASTIC_RUN_ID") != std::string::npos);
  CHECK(resolve_cluster({{"TORCHELASTIC_RUN_ID", "job1"}}).warnings.empty());
}
