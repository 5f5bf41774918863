#pragma once
// Cluster detection: what the environment a cluster gave this process says about the node —
// node rank, node count, master address and port — and which source said it.
//
// Precedence, per value (a value missing from one source falls back to the next, never a crash):
//   command line > PET_* > Azure ML > Open MPI > Slurm > Kubeflow > environment > default
// The first two layers are the caller's (the CLI parses flags and PET_* variables and hands
// them in as ClusterValues); this file reads the cluster layers and applies the defaults
// (node 0 of 1, master 127.0.0.1:6105).
//
// What each cluster layer reads (a variable that is empty counts as missing):
//   Azure ML  (any AZUREML_* variable present): NODE_RANK, else RANK; AZUREML_NODE_COUNT, else
//             WORLD_SIZE; MASTER_ADDR; MASTER_PORT. In the per-node launch WORLD_SIZE and RANK
//             describe nodes (one process per node), which is how they are read here; a
//             LOCAL_RANK other than 0 means Azure ML started several processes per node and is
//             refused when this layer supplies the node rank or count.
//   Open MPI  node rank = OMPI_COMM_WORLD_RANK and nnodes = OMPI_COMM_WORLD_SIZE, valid only
//             with one dlaunch per node: OMPI_COMM_WORLD_LOCAL_SIZE > 1 (or LOCAL_RANK > 0) is
//             refused when this layer supplies the node rank or count. Master from
//             AZ_BATCH_MASTER_NODE, else AZ_BATCHAI_MPI_MASTER_NODE ("host" or "host:port"; a
//             port there is used).
//   Slurm     SLURM_NODEID, else SLURM_PROCID; SLURM_NNODES, else SLURM_JOB_NUM_NODES, else the
//             length of the node list; master = first host of SLURM_STEP_NODELIST, else
//             SLURM_JOB_NODELIST, else SLURM_NODELIST (hostlist syntax expanded). SLURM_LOCALID
//             > 0 (several tasks per node) is refused when this layer supplies rank or count.
//   Kubeflow  (KUBERNETES_SERVICE_HOST plus RANK, WORLD_SIZE or MASTER_ADDR): a PyTorchJob pod's
//             RANK and WORLD_SIZE are the node rank and count; MASTER_ADDR; MASTER_PORT.
//   environment  MASTER_ADDR and MASTER_PORT with no cluster claiming them (so an exported
//             MASTER_PORT wins over the default 6105) — except inside another launcher's worker
//             (TORCHELASTIC_RUN_ID set), where they are that launcher's store: ignored, warned.
// A malformed value that is reached is a std::invalid_argument naming the variable; values a
// higher layer already supplied are never read, so a flag can override a broken variable.
// Everything here is pure: the environment is passed in, nothing reads environ.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlaunch::launcher {

// A snapshot of the process environment (name -> value).
using Environment = std::map<std::string, std::string>;

inline constexpr std::uint16_t kDefaultMasterPort = 6105;
inline constexpr std::string_view kDefaultMasterAddr = "127.0.0.1";

// The cluster this process runs in, as far as the environment tells.
enum class ClusterKind { kNone, kAzureMl, kOpenMpi, kSlurm, kKubeflow };
// "none", "Azure ML", "Open MPI", "Slurm", "Kubeflow".
std::string_view to_string(ClusterKind kind);

// The layer a value came from, in precedence order.
enum class ValueSource {
  kCommandLine,
  kPet,
  kAzureMl,
  kOpenMpi,
  kSlurm,
  kKubeflow,
  kEnvironment,
  kDefault
};
// "command line", "PET", "Azure ML", "Open MPI", "Slurm", "Kubeflow", "environment", "default".
std::string_view to_string(ValueSource source);

// A value and where it came from. `origin` is the flag or variable ("--node_rank", "NODE_RANK",
// "first host of SLURM_JOB_NODELIST"); empty for defaults.
template <class T>
struct Sourced {
  T value{};
  ValueSource source = ValueSource::kDefault;
  std::string origin;

  // "Azure ML NODE_RANK", "command line --nnodes", "PET_NNODES", "default".
  std::string label() const {
    if (source == ValueSource::kDefault || source == ValueSource::kPet || origin.empty()) {
      return origin.empty() ? std::string(to_string(source)) : origin;
    }
    return std::string(to_string(source)) + " " + origin;
  }
  bool operator==(const Sourced&) const = default;
};

// What one layer says; every field optional.
struct ClusterValues {
  std::optional<Sourced<int>> node_rank;
  std::optional<Sourced<int>> nnodes;
  std::optional<Sourced<std::string>> master_addr;
  std::optional<Sourced<std::uint16_t>> master_port;
};

// What the cluster layers say (no defaults applied).
struct ClusterDetection {
  ClusterKind kind = ClusterKind::kNone;
  ClusterValues values;
  std::vector<std::string> warnings;  // odd but usable input, for the caller to log
};

// The resolved settings: every value present and sourced.
struct ClusterSettings {
  ClusterKind kind = ClusterKind::kNone;
  Sourced<int> node_rank;
  Sourced<int> nnodes;
  Sourced<std::string> master_addr;
  Sourced<std::uint16_t> master_port;
  std::vector<std::string> warnings;

  // One line for the start banner: "cluster=Azure ML: node_rank=1 (Azure ML NODE_RANK),
  // nnodes=2 (Azure ML AZUREML_NODE_COUNT), master=10.0.0.4:6105 (Azure ML MASTER_ADDR,
  // MASTER_PORT)".
  std::string describe() const;
};

// The cluster kind, from marker variables only (reads no value, never throws).
ClusterKind detect_cluster_kind(const Environment& env);

// Reads the cluster layers. Fields already set in `given` (the caller's command line and PET_*
// values) are not read from the environment at all. Throws std::invalid_argument for a
// malformed value or a refused setup (several dlaunch per node).
ClusterDetection detect_cluster(const Environment& env, const ClusterValues& given = {});

// PET_NODE_RANK, PET_NNODES ("N" or "N:N"; a real MIN:MAX range is left to the caller's
// elastic path and not returned), PET_MASTER_ADDR and PET_MASTER_PORT, sourced kPet.
ClusterValues read_pet_values(const Environment& env);

// Field by field, the first of `layers` (highest precedence first) that has it.
ClusterValues overlay(std::initializer_list<const ClusterValues*> layers);

// Command line over PET_* over the detected cluster over the defaults; checks that
// node_rank < nnodes (the message names both sources). Throws std::invalid_argument.
ClusterSettings merge_cluster(const ClusterValues& command_line, const ClusterValues& pet,
                              const ClusterDetection& detected);

// detect_cluster + merge_cluster in one call, reading nothing the command line or PET_* gave.
ClusterSettings resolve_cluster(const Environment& env, const ClusterValues& command_line = {},
                                const ClusterValues& pet = {});

}  // namespace dlaunch::launcher
