#include "launcher/cluster_env.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "launcher/hostlist.hpp"
#include "rendezvous/endpoint.hpp"

namespace dlaunch::launcher {
namespace {

// The value of `name`, trimmed; std::nullopt when unset or blank.
std::optional<std::string> lookup(const Environment& env, std::string_view name) {
  const auto it = env.find(std::string(name));
  if (it == env.end()) return std::nullopt;
  const auto& value = it->second;
  const auto first = value.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::nullopt;
  return value.substr(first, value.find_last_not_of(" \t\r\n") - first + 1);
}

bool has_prefix(const Environment& env, std::string_view prefix) {
  const auto it = env.lower_bound(std::string(prefix));
  return it != env.end() && it->first.starts_with(prefix);
}

std::optional<int> try_int(std::string_view text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

int parse_int(std::string_view name, const std::string& text, int minimum, std::string_view what) {
  const auto value = try_int(text);
  if (!value || *value < minimum) {
    throw std::invalid_argument(std::string(name) + "='" + text + "' is not a valid " +
                                std::string(what) +
                                " (expected a whole number >= " + std::to_string(minimum) + ")");
  }
  return *value;
}

std::uint16_t parse_port(std::string_view name, const std::string& text) {
  try {
    return rendezvous::parse_port(text, /*allow_zero=*/false);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(std::string(name) + "='" + text +
                                "' is not a valid port (expected 1-65535)");
  }
}

// Reads the cluster layers in precedence order; each fills only what is still missing.
class Detector {
 public:
  Detector(const Environment& env, const ClusterValues& given) : env_(env), given_(given) {}

  ClusterDetection run() {
    out_.kind = detect_cluster_kind(env_);
    if (has_prefix(env_, "AZUREML_")) azure_ml();
    open_mpi();
    slurm();
    if (kubeflow_present(env_)) kubeflow();
    environment();
    return std::move(out_);
  }

  static bool kubeflow_present(const Environment& env) {
    return lookup(env, "KUBERNETES_SERVICE_HOST") &&
           (lookup(env, "RANK") || lookup(env, "WORLD_SIZE") || lookup(env, "MASTER_ADDR"));
  }

 private:
  bool need_rank() const { return !given_.node_rank && !out_.values.node_rank; }
  bool need_count() const { return !given_.nnodes && !out_.values.nnodes; }
  bool need_addr() const { return !given_.master_addr && !out_.values.master_addr; }
  bool need_port() const { return !given_.master_port && !out_.values.master_port; }

  // The first of `names` that is set, with its value.
  std::optional<std::pair<std::string_view, std::string>> first_of(
      std::initializer_list<std::string_view> names) const {
    for (auto name : names) {
      if (auto value = lookup(env_, name)) return std::pair{name, *value};
    }
    return std::nullopt;
  }

  void set_rank(ValueSource source, std::string_view name, const std::string& text) {
    out_.values.node_rank =
        Sourced<int>{parse_int(name, text, 0, "node rank"), source, std::string(name)};
  }
  void set_count(ValueSource source, std::string_view name, const std::string& text) {
    out_.values.nnodes =
        Sourced<int>{parse_int(name, text, 1, "node count"), source, std::string(name)};
  }
  void fill_addr(ValueSource source, std::string_view name) {
    if (!need_addr()) return;
    if (auto value = lookup(env_, name))
      out_.values.master_addr = Sourced<std::string>{*value, source, std::string(name)};
  }
  void fill_port(ValueSource source, std::string_view name) {
    if (!need_port()) return;
    if (auto value = lookup(env_, name)) {
      out_.values.master_port =
          Sourced<std::uint16_t>{parse_port(name, *value), source, std::string(name)};
    }
  }

  void azure_ml() {
    const auto rank = first_of({"NODE_RANK", "RANK"});
    const auto count = first_of({"AZUREML_NODE_COUNT", "WORLD_SIZE"});
    if ((need_rank() && rank) || (need_count() && count)) {
      if (auto local = lookup(env_, "LOCAL_RANK");
          local && parse_int("LOCAL_RANK", *local, 0, "local rank") > 0) {
        throw std::invalid_argument(
            "Azure ML started several processes on this node (LOCAL_RANK=" + *local +
            "); dlaunch starts the workers itself and must be the per-node command: "
            "PyTorchConfiguration(node_count=N) without process_count (SDK v2: "
            "process_count_per_instance: 1)");
      }
    }
    if (need_rank() && rank) set_rank(ValueSource::kAzureMl, rank->first, rank->second);
    if (need_count() && count) {
      set_count(ValueSource::kAzureMl, count->first, count->second);
      const auto world = lookup(env_, "WORLD_SIZE");
      if (count->first == "AZUREML_NODE_COUNT" && world &&
          try_int(*world) != out_.values.nnodes->value) {
        out_.warnings.push_back(
            "AZUREML_NODE_COUNT=" + count->second + " but WORLD_SIZE=" + *world +
            "; using AZUREML_NODE_COUNT (WORLD_SIZE counts processes, not nodes, "
            "when Azure ML starts more than one per node)");
      }
    }
    fill_addr(ValueSource::kAzureMl, "MASTER_ADDR");
    fill_port(ValueSource::kAzureMl, "MASTER_PORT");
  }

  void open_mpi() {
    const auto rank = lookup(env_, "OMPI_COMM_WORLD_RANK");
    const auto size = lookup(env_, "OMPI_COMM_WORLD_SIZE");
    if ((need_rank() && rank) || (need_count() && size)) {
      one_per_node("Open MPI", "OMPI_COMM_WORLD_LOCAL_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
                   "mpirun --map-by ppr:1:node (or -npernode 1); Azure ML: "
                   "MpiConfiguration(process_count_per_node=1)");
    }
    if (need_rank() && rank) set_rank(ValueSource::kOpenMpi, "OMPI_COMM_WORLD_RANK", *rank);
    if (need_count() && size) set_count(ValueSource::kOpenMpi, "OMPI_COMM_WORLD_SIZE", *size);
    if (!need_addr() && !need_port()) return;
    const auto master = first_of({"AZ_BATCH_MASTER_NODE", "AZ_BATCHAI_MPI_MASTER_NODE"});
    if (!master) return;
    rendezvous::Endpoint endpoint;
    try {
      endpoint = rendezvous::parse_endpoint(master->second, 0);
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument(std::string(master->first) + "='" + master->second +
                                  "' is not host or host:port (" + error.what() + ")");
    }
    const bool has_port = master->second.front() == '['
                              ? master->second.find("]:") != std::string::npos
                              : std::count(master->second.begin(), master->second.end(), ':') == 1;
    if (has_port && endpoint.port == 0) {
      throw std::invalid_argument(std::string(master->first) + "='" + master->second +
                                  "' has port 0 (expected 1-65535)");
    }
    if (need_addr()) {
      out_.values.master_addr =
          Sourced<std::string>{endpoint.host, ValueSource::kOpenMpi, std::string(master->first)};
    }
    if (need_port() && has_port) {
      out_.values.master_port =
          Sourced<std::uint16_t>{endpoint.port, ValueSource::kOpenMpi, std::string(master->first)};
    }
  }

  void slurm() {
    const auto rank = first_of({"SLURM_NODEID", "SLURM_PROCID"});
    const auto count = first_of({"SLURM_NNODES", "SLURM_JOB_NUM_NODES"});
    const auto list = first_of({"SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NODELIST"});
    if (!need_rank() && !need_count() && !need_addr()) return;
    std::vector<std::string> hosts;
    if (list && (need_addr() || (need_count() && !count))) {
      try {
        hosts = expand_hostlist(list->second);
      } catch (const std::invalid_argument& error) {
        throw std::invalid_argument(std::string(list->first) + ": " + error.what());
      }
    }
    if ((need_rank() && rank) || (need_count() && (count || !hosts.empty()))) {
      one_per_node("Slurm", "", "SLURM_LOCALID", "srun --ntasks-per-node=1");
    }
    if (need_rank() && rank) set_rank(ValueSource::kSlurm, rank->first, rank->second);
    if (need_count() && count) {
      set_count(ValueSource::kSlurm, count->first, count->second);
    } else if (need_count() && !hosts.empty()) {
      out_.values.nnodes = Sourced<int>{static_cast<int>(hosts.size()), ValueSource::kSlurm,
                                        "length of " + std::string(list->first)};
    }
    if (need_addr() && !hosts.empty()) {
      out_.values.master_addr = Sourced<std::string>{hosts.front(), ValueSource::kSlurm,
                                                     "first host of " + std::string(list->first)};
    }
  }

  void kubeflow() {
    if (auto rank = lookup(env_, "RANK"); need_rank() && rank)
      set_rank(ValueSource::kKubeflow, "RANK", *rank);
    if (auto size = lookup(env_, "WORLD_SIZE"); need_count() && size) {
      set_count(ValueSource::kKubeflow, "WORLD_SIZE", *size);
    }
    fill_addr(ValueSource::kKubeflow, "MASTER_ADDR");
    fill_port(ValueSource::kKubeflow, "MASTER_PORT");
  }

  // Plain MASTER_ADDR/MASTER_PORT, unless they are the store of the torchrun or dlaunch whose
  // worker we are (a nested launch must not take over its parent's port).
  void environment() {
    if (!need_addr() && !need_port()) return;
    if (lookup(env_, "TORCHELASTIC_RUN_ID")) {
      if (lookup(env_, "MASTER_ADDR") || lookup(env_, "MASTER_PORT")) {
        out_.warnings.push_back(
            "ignoring MASTER_ADDR/MASTER_PORT: TORCHELASTIC_RUN_ID is set, so they belong to the "
            "launcher that started this process");
      }
      return;
    }
    fill_addr(ValueSource::kEnvironment, "MASTER_ADDR");
    fill_port(ValueSource::kEnvironment, "MASTER_PORT");
  }

  // Refuses several dlaunch per node: a local size above 1 or a local rank above 0.
  void one_per_node(std::string_view cluster, std::string_view local_size_name,
                    std::string_view local_rank_name, std::string_view fix) {
    std::optional<std::string> local_size;
    if (!local_size_name.empty()) local_size = lookup(env_, local_size_name);
    const auto local_rank = lookup(env_, local_rank_name);
    std::string evidence;
    if (local_size && parse_int(local_size_name, *local_size, 1, "local size") > 1) {
      evidence = std::string(local_size_name) + "=" + *local_size;
    } else if (local_rank && parse_int(local_rank_name, *local_rank, 0, "local rank") > 0) {
      evidence = std::string(local_rank_name) + "=" + *local_rank;
    }
    if (!evidence.empty()) {
      throw std::invalid_argument(std::string(cluster) +
                                  " started more than one dlaunch on this node (" + evidence +
                                  "); dlaunch starts the workers itself and must run once per "
                                  "node: " +
                                  std::string(fix));
    }
    if (!local_size_name.empty() && !local_size && !local_rank) {
      out_.warnings.push_back(std::string(local_size_name) +
                              " is not set; assuming one dlaunch per node");
    }
  }

  const Environment& env_;
  const ClusterValues& given_;
  ClusterDetection out_;
};

template <class T>
void check_given(const std::optional<Sourced<T>>& value, T minimum, std::string_view what) {
  if (value && value->value < minimum) {
    throw std::invalid_argument(std::string(what) + " " + std::to_string(value->value) + " (" +
                                value->label() + ") must be >= " + std::to_string(minimum));
  }
}

}  // namespace

std::string_view to_string(ClusterKind kind) {
  switch (kind) {
    case ClusterKind::kNone:
      return "none";
    case ClusterKind::kAzureMl:
      return "Azure ML";
    case ClusterKind::kOpenMpi:
      return "Open MPI";
    case ClusterKind::kSlurm:
      return "Slurm";
    case ClusterKind::kKubeflow:
      return "Kubeflow";
  }
  return "?";
}

std::string_view to_string(ValueSource source) {
  switch (source) {
    case ValueSource::kCommandLine:
      return "command line";
    case ValueSource::kPet:
      return "PET";
    case ValueSource::kAzureMl:
      return "Azure ML";
    case ValueSource::kOpenMpi:
      return "Open MPI";
    case ValueSource::kSlurm:
      return "Slurm";
    case ValueSource::kKubeflow:
      return "Kubeflow";
    case ValueSource::kEnvironment:
      return "environment";
    case ValueSource::kDefault:
      return "default";
  }
  return "?";
}

ClusterKind detect_cluster_kind(const Environment& env) {
  if (has_prefix(env, "AZUREML_")) return ClusterKind::kAzureMl;
  if (lookup(env, "OMPI_COMM_WORLD_RANK") || lookup(env, "OMPI_COMM_WORLD_SIZE"))
    return ClusterKind::kOpenMpi;
  if (lookup(env, "SLURM_JOB_ID") || lookup(env, "SLURM_NODEID") || lookup(env, "SLURM_PROCID") ||
      lookup(env, "SLURM_NNODES") || lookup(env, "SLURM_JOB_NODELIST")) {
    return ClusterKind::kSlurm;
  }
  if (Detector::kubeflow_present(env)) return ClusterKind::kKubeflow;
  return ClusterKind::kNone;
}

ClusterDetection detect_cluster(const Environment& env, const ClusterValues& given) {
  return Detector(env, given).run();
}

ClusterValues read_pet_values(const Environment& env) {
  ClusterValues pet;
  if (auto text = lookup(env, "PET_NODE_RANK")) {
    pet.node_rank = Sourced<int>{parse_int("PET_NODE_RANK", *text, 0, "node rank"),
                                 ValueSource::kPet, "PET_NODE_RANK"};
  }
  if (auto text = lookup(env, "PET_NNODES")) {
    const auto colon = text->find(':');
    const auto low = parse_int("PET_NNODES", text->substr(0, colon), 1, "node count");
    const auto high = colon == std::string::npos
                          ? low
                          : parse_int("PET_NNODES", text->substr(colon + 1), 1, "node count");
    if (high < low) {
      throw std::invalid_argument("PET_NNODES='" + *text +
                                  "' is not a valid node count (MIN:MAX with MIN > MAX)");
    }
    if (low == high) pet.nnodes = Sourced<int>{low, ValueSource::kPet, "PET_NNODES"};
  }
  if (auto text = lookup(env, "PET_MASTER_ADDR")) {
    pet.master_addr = Sourced<std::string>{*text, ValueSource::kPet, "PET_MASTER_ADDR"};
  }
  if (auto text = lookup(env, "PET_MASTER_PORT")) {
    pet.master_port = Sourced<std::uint16_t>{parse_port("PET_MASTER_PORT", *text),
                                             ValueSource::kPet, "PET_MASTER_PORT"};
  }
  return pet;
}

ClusterValues overlay(std::initializer_list<const ClusterValues*> layers) {
  ClusterValues merged;
  for (const auto* layer : layers) {
    if (!merged.node_rank) merged.node_rank = layer->node_rank;
    if (!merged.nnodes) merged.nnodes = layer->nnodes;
    if (!merged.master_addr) merged.master_addr = layer->master_addr;
    if (!merged.master_port) merged.master_port = layer->master_port;
  }
  return merged;
}

ClusterSettings merge_cluster(const ClusterValues& command_line, const ClusterValues& pet,
                              const ClusterDetection& detected) {
  const auto merged = overlay({&command_line, &pet, &detected.values});
  check_given(merged.node_rank, 0, "node_rank");
  check_given(merged.nnodes, 1, "nnodes");
  ClusterSettings settings;
  settings.kind = detected.kind;
  settings.node_rank = merged.node_rank.value_or(Sourced<int>{0, ValueSource::kDefault, ""});
  settings.nnodes = merged.nnodes.value_or(Sourced<int>{1, ValueSource::kDefault, ""});
  settings.master_addr = merged.master_addr.value_or(
      Sourced<std::string>{std::string(kDefaultMasterAddr), ValueSource::kDefault, ""});
  settings.master_port = merged.master_port.value_or(
      Sourced<std::uint16_t>{kDefaultMasterPort, ValueSource::kDefault, ""});
  settings.warnings = detected.warnings;
  if (settings.node_rank.value >= settings.nnodes.value) {
    throw std::invalid_argument("node_rank " + std::to_string(settings.node_rank.value) + " (" +
                                settings.node_rank.label() + ") must be below nnodes " +
                                std::to_string(settings.nnodes.value) + " (" +
                                settings.nnodes.label() + ")");
  }
  if (settings.nnodes.value > 1 && settings.master_addr.source == ValueSource::kDefault) {
    settings.warnings.push_back("nnodes=" + std::to_string(settings.nnodes.value) +
                                " but no master address was given; " +
                                std::string(kDefaultMasterAddr) +
                                " cannot be reached from other nodes (give --master_addr)");
  }
  return settings;
}

ClusterSettings resolve_cluster(const Environment& env, const ClusterValues& command_line,
                                const ClusterValues& pet) {
  return merge_cluster(command_line, pet, detect_cluster(env, overlay({&command_line, &pet})));
}

std::string ClusterSettings::describe() const {
  std::string master_source;
  if (master_addr.source == master_port.source && master_addr.source != ValueSource::kDefault &&
      master_addr.source != ValueSource::kPet) {
    master_source = master_addr.origin == master_port.origin
                        ? master_addr.label()
                        : master_addr.label() + ", " + master_port.origin;
  } else if (master_addr.source == ValueSource::kDefault &&
             master_port.source == ValueSource::kDefault) {
    master_source = "default";
  } else {
    master_source = master_addr.label() + ", " + master_port.label();
  }
  return "cluster=" + std::string(to_string(kind)) +
         ": node_rank=" + std::to_string(node_rank.value) + " (" + node_rank.label() +
         "), nnodes=" + std::to_string(nnodes.value) + " (" + nnodes.label() +
         "), master=" + rendezvous::Endpoint{master_addr.value, master_port.value}.to_string() +
         " (" + master_source + ")";
}

}  // namespace dlaunch::launcher
