#include "launcher/options.hpp"

#include <stdexcept>

#include "launcher/command_line.hpp"
#include "launcher/option_table.hpp"
#include "rendezvous/endpoint.hpp"

namespace dlaunch::launcher {

namespace {

constexpr std::string_view kCommandLine = "command line";
constexpr std::string_view kDefault = "default";

// A value's text and where it came from: origin names it in messages ("--nnodes",
// "PET_NNODES"), source in Options::sources ("command line", "PET_NNODES").
struct Given {
  std::string text;
  std::string origin;
  std::string source;
};

// Picks each option's text from the command line, else its PET_ variable, and records where
// it came from. Conversion and checks are the caller's.
class Resolver {
 public:
  Resolver(const CommandLine& line, const Environment& env, Options& options)
      : line_(line), env_(env), options_(options) {}

  std::optional<Given> value(std::string_view dest) {
    const auto& spec = option_spec(dest);
    if (const auto it = line_.given.find(dest); it != line_.given.end()) {
      const auto& occurrences = it->second;
      const auto& last = occurrences.back();
      for (const auto& earlier : occurrences) {
        if (earlier.text != last.text) {
          options_.warnings.push_back(spec.canonical() + " given more than once; using the last, " +
                                      quote(last.text));
          break;
        }
      }
      return record(dest, {last.text, last.spelling, std::string(kCommandLine)});
    }
    if (spec.env == EnvFallback::kValue) {
      const auto name = spec.env_name();
      if (const auto it = env_.find(name); it != env_.end() && !it->second.empty()) {
        return record(dest, {it->second, name, name});
      }
    }
    options_.sources[std::string(dest)] = kDefault;
    return std::nullopt;
  }

  // A value with a second fallback variable after PET_ (DLAUNCH_RDZV_TOKEN,
  // TORCH_ELASTIC_SHUTDOWN_TIMEOUT).
  std::optional<Given> value_or_env(std::string_view dest, const std::string& variable) {
    if (auto given = value(dest)) return given;
    if (const auto it = env_.find(variable); it != env_.end() && !it->second.empty()) {
      return record(dest, {it->second, variable, variable});
    }
    return std::nullopt;
  }

  // A flag: on when given; else PET_<DEST> read as an integer, as torch's check_env does.
  bool flag(std::string_view dest) {
    const auto& spec = option_spec(dest);
    if (line_.given.contains(dest)) {
      options_.sources[std::string(dest)] = kCommandLine;
      return true;
    }
    const auto name = spec.env_name();
    if (const auto it = env_.find(name); !name.empty() && it != env_.end() && !it->second.empty()) {
      const auto number = parse_integer(it->second);
      if (!number) throw_bad_value(name, it->second, "expected 1 (on) or 0 (off)");
      options_.sources[std::string(dest)] = name;
      return *number != 0;
    }
    options_.sources[std::string(dest)] = kDefault;
    return false;
  }

  // Every occurrence of a repeatable option.
  const std::vector<GivenValue>& all(std::string_view dest) {
    static const std::vector<GivenValue> kNone;
    const auto it = line_.given.find(dest);
    options_.sources[std::string(dest)] = it == line_.given.end() ? kDefault : kCommandLine;
    return it == line_.given.end() ? kNone : it->second;
  }

  // PET_ variables of torchrun options dlaunch does not support would be silently dropped.
  void warn_unsupported_env() {
    for (const auto& spec : option_table()) {
      const auto name = spec.env_name();
      if (spec.supported || name.empty()) continue;
      const auto it = env_.find(name);
      if (it == env_.end() || it->second.empty() || it->second == "0") continue;
      options_.warnings.push_back(name + " is set but dlaunch does not support " +
                                  spec.canonical() + "; ignored");
    }
  }

 private:
  Given record(std::string_view dest, Given given) {
    options_.sources[std::string(dest)] = given.source;
    return given;
  }

  const CommandLine& line_;
  const Environment& env_;
  Options& options_;
};

void resolve_nodes(Resolver& resolver, Options& options) {
  if (const auto given = resolver.value("nnodes")) {
    const auto range = parse_nnodes(given->text, given->origin);
    options.min_nodes = range.min_nodes;
    options.max_nodes = range.max_nodes;
    options.nnodes_given = true;
  }
  if (const auto given = resolver.value("nproc_per_node")) {
    options.nproc_per_node = parse_nproc_per_node(given->text, given->origin);
  }
  if (const auto given = resolver.value("node_rank")) {
    options.node_rank = parse_int_at_least(given->text, given->origin, 0);
    if (options.nnodes_given && *options.node_rank >= options.max_nodes) {
      throw UsageError(
          given->origin + ": node rank " + std::to_string(*options.node_rank) +
          " is out of range for --nnodes " +
          (options.min_nodes == options.max_nodes
               ? std::to_string(options.max_nodes)
               : std::to_string(options.min_nodes) + ":" + std::to_string(options.max_nodes)) +
          " (expected 0.." + std::to_string(options.max_nodes - 1) + ")");
    }
  }
  if (const auto given = resolver.value("master_addr")) {
    options.master_addr = parse_non_empty(given->text, given->origin, "expected an address");
  }
  if (const auto given = resolver.value("master_port")) {
    try {
      options.master_port = rendezvous::parse_port(given->text, /*allow_zero=*/false);
    } catch (const std::invalid_argument&) {
      throw_bad_value(given->origin, given->text, "expected a port 1-65535");
    }
  }
  if (const auto given = resolver.value("local_addr")) {
    options.local_addr = parse_non_empty(given->text, given->origin, "expected an address");
  }
}

void resolve_rendezvous(Resolver& resolver, Options& options) {
  options.standalone = resolver.flag("standalone");
  const auto backend = resolver.value("rdzv_backend");
  if (backend) {
    options.rdzv_backend = parse_choice(backend->text, backend->origin, {"static", "c10d"});
  }
  const auto endpoint = resolver.value("rdzv_endpoint");
  if (endpoint && !endpoint->text.empty()) {  // torchrun's default is "": none
    try {
      rendezvous::parse_endpoint(endpoint->text, 0);
    } catch (const std::invalid_argument& error) {
      throw UsageError(endpoint->origin + ": " + error.what());
    }
    options.rdzv_endpoint = endpoint->text;
  }
  const auto id = resolver.value("rdzv_id");
  if (id) options.rdzv_id = id->text;
  if (const auto given = resolver.value("rdzv_conf")) {
    options.rdzv_conf = parse_rdzv_conf(given->text, given->origin);
  }
  if (const auto given = resolver.value_or_env("rdzv_token", "DLAUNCH_RDZV_TOKEN")) {
    options.rdzv_token = given->text;
  }
  if (!options.standalone) return;

  if (options.max_nodes > 1) {
    throw UsageError("--standalone runs one node, but --nnodes asks for up to " +
                     std::to_string(options.max_nodes));
  }
  const std::pair<const std::optional<Given>*, std::string_view> overridden[] = {
      {&backend, "c10d"}, {&endpoint, "localhost:0"}, {&id, "a fresh id"}};
  for (const auto& [given, replacement] : overridden) {
    if (*given) {
      options.warnings.push_back("--standalone uses " + std::string(replacement) + "; ignoring " +
                                 (*given)->origin + " " + quote((*given)->text));
    }
  }
  options.rdzv_backend = "c10d";
  options.rdzv_endpoint = "localhost:0";
  options.rdzv_id.clear();
  for (const char* dest : {"rdzv_backend", "rdzv_endpoint", "rdzv_id"}) {
    options.sources[dest] = "--standalone";
  }
}

void resolve_supervision(Resolver& resolver, Options& options) {
  if (const auto given = resolver.value("max_restarts")) {
    options.max_restarts = parse_int_at_least(given->text, given->origin, 0);
  }
  if (const auto given = resolver.value("monitor_interval")) {
    options.monitor_interval = parse_seconds(given->text, given->origin, /*allow_zero=*/false);
  }
  if (const auto given = resolver.value("start_method")) {
    options.start_method =
        parse_choice(given->text, given->origin, {"spawn", "fork", "forkserver"});
  }
  if (const auto given =
          resolver.value_or_env("shutdown_timeout", "TORCH_ELASTIC_SHUTDOWN_TIMEOUT")) {
    options.shutdown_timeout = parse_seconds(given->text, given->origin, /*allow_zero=*/true);
  }
  if (const auto given = resolver.value("role")) {
    options.role = parse_non_empty(given->text, given->origin, "expected a role name");
  }
}

void resolve_program(Resolver& resolver, const CommandLine& line, Options& options) {
  const bool use_env_flag = resolver.flag("use_env");
  options.module = resolver.flag("module");
  options.no_python = resolver.flag("no_python");
  options.run_path = resolver.flag("run_path");
  if (options.module && options.no_python) {
    throw UsageError("-m/--module and --no_python cannot be combined: a module needs Python");
  }
  if (options.run_path && (options.module || options.no_python)) {
    throw UsageError(
        std::string("--run_path runs a Python script by path; it cannot be combined with ") +
        (options.module ? "-m/--module" : "--no_python"));
  }
  options.use_env = use_env_flag;
  const char* implied_by = options.standalone               ? "--standalone"
                           : options.rdzv_backend == "c10d" ? "--rdzv_backend c10d"
                           : options.no_python              ? "--no_python"
                                                            : nullptr;
  if (!use_env_flag && implied_by) {
    options.use_env = true;
    options.sources["use_env"] = std::string("implied by ") + implied_by;
  }
  if (!line.program) {
    throw UsageError("missing the program to run (usage: dlaunch [options] program [args...])");
  }
  options.program = *line.program;
  options.program_args = line.program_args;
  if (options.program.empty()) throw UsageError("the program to run is an empty word");
}

void resolve_logs(Resolver& resolver, Options& options) {
  if (const auto given = resolver.value("log_dir")) {
    options.log_dir = parse_non_empty(given->text, given->origin, "expected a directory");
  }
  if (const auto given = resolver.value("redirects")) {
    options.redirects = parse_std_spec(given->text, given->origin);
  }
  if (const auto given = resolver.value("tee")) {
    options.tee = parse_std_spec(given->text, given->origin);
  }
  if (const auto given = resolver.value("local_ranks_filter")) {
    options.local_ranks_filter = parse_local_ranks_filter(given->text, given->origin);
  }
  if (const auto given = resolver.value("event_log_handler")) {
    options.event_log_handler =
        parse_choice(given->text, given->origin, {"console", "null", "dynamic_rendezvous"});
  }
  if (const auto given = resolver.value("event_log")) {
    options.event_log = parse_non_empty(given->text, given->origin, "expected a file");
  }
}

void resolve_hosts(Resolver& resolver, Options& options) {
  if (const auto given = resolver.value("hostfile")) {
    options.hostfile = parse_non_empty(given->text, given->origin, "expected a file");
  }
  const auto include = resolver.value("include");
  const auto exclude = resolver.value("exclude");
  if (include && exclude) {
    throw UsageError("--include and --exclude cannot be combined; use one of them");
  }
  if (include) options.include = parse_non_empty(include->text, include->origin, "expected hosts");
  if (exclude) options.exclude = parse_non_empty(exclude->text, exclude->origin, "expected hosts");
  if (const auto given = resolver.value("ssh_cmd")) {
    options.ssh_cmd = parse_non_empty(given->text, given->origin, "expected a command");
  }
  if (const auto given = resolver.value("remote_dir")) {
    options.remote_dir = parse_non_empty(given->text, given->origin, "expected a directory");
  }
  for (const auto& given : resolver.all("env")) {
    options.extra_env.push_back(parse_env_assignment(given.text, given.spelling));
  }
  options.stdin_control = resolver.flag("stdin_control");
  options.pin_gpus = resolver.flag("pin_gpus");
}

}  // namespace

Options parse_options(const std::vector<std::string>& argv, const Environment& env) {
  const CommandLine line = scan_command_line(argv);
  Options options;
  if (line.help || line.version) {
    options.show_help = line.help;
    options.show_version = line.version;
    return options;
  }
  if (line.error) throw UsageError(*line.error);

  Resolver resolver(line, env, options);
  resolve_nodes(resolver, options);
  resolve_rendezvous(resolver, options);
  resolve_supervision(resolver, options);
  resolve_program(resolver, line, options);
  resolve_logs(resolver, options);
  resolve_hosts(resolver, options);
  resolver.warn_unsupported_env();
  if (options.master_addr && options.rdzv_backend != "static" && !options.rdzv_endpoint) {
    options.warnings.push_back(
        "--master_addr is only used by the static rendezvous without --rdzv_endpoint");
  }
  return options;
}

}  // namespace dlaunch::launcher
