#include "launcher/options.hpp"

#include <algorithm>
#include <sstream>

#include <doctest/doctest.h>

#include "launcher/option_table.hpp"

using namespace dlaunch::launcher;

namespace {

Options parse(std::vector<std::string> argv, const Environment& env = {}) {
  return parse_options(argv, env);
}

// The UsageError's message for this command line, or a failed check when there is none.
std::string usage_error(std::vector<std::string> argv, const Environment& env = {}) {
  try {
    parse_options(argv, env);
  } catch (const UsageError& error) {
    const std::string message = error.what();
    CHECK(message.find('\n') == std::string::npos);
    CHECK_FALSE(message.starts_with("dlaunch"));
    return message;
  }
  FAIL("no UsageError");
  return {};
}

std::string describe_spec(const StdSpec& spec) {
  std::ostringstream out;
  out << spec.all;
  for (const auto& [rank, choice] : spec.per_rank) out << " " << rank << ":" << choice;
  return out.str();
}

// One option's parsed value as text, so one table can check every option.
std::string describe(const Options& o, std::string_view dest) {
  using Kind = NprocSpec::Kind;
  if (dest == "nnodes") return std::to_string(o.min_nodes) + ":" + std::to_string(o.max_nodes);
  if (dest == "nproc_per_node") {
    switch (o.nproc_per_node.kind) {
      case Kind::kAuto:
        return "auto";
      case Kind::kCpu:
        return "cpu";
      case Kind::kGpu:
        return "gpu";
      case Kind::kCount:
        return std::to_string(o.nproc_per_node.count);
    }
  }
  if (dest == "node_rank") return o.node_rank ? std::to_string(*o.node_rank) : "unset";
  if (dest == "master_addr") return o.master_addr.value_or("unset");
  if (dest == "master_port") return o.master_port ? std::to_string(*o.master_port) : "unset";
  if (dest == "local_addr") return o.local_addr.value_or("unset");
  if (dest == "rdzv_backend") return o.rdzv_backend;
  if (dest == "rdzv_endpoint") return o.rdzv_endpoint.value_or("unset");
  if (dest == "rdzv_id") return o.rdzv_id;
  if (dest == "rdzv_conf") {
    std::string out;
    for (const auto& [key, value] : o.rdzv_conf) out += key + "=" + value + ";";
    return out;
  }
  if (dest == "rdzv_token") return o.rdzv_token;
  if (dest == "max_restarts") return std::to_string(o.max_restarts);
  if (dest == "monitor_interval") return std::to_string(o.monitor_interval);
  if (dest == "start_method") return o.start_method;
  if (dest == "shutdown_timeout") return std::to_string(o.shutdown_timeout);
  if (dest == "role") return o.role;
  if (dest == "log_dir") return o.log_dir.value_or("unset");
  if (dest == "redirects") return describe_spec(o.redirects);
  if (dest == "tee") return describe_spec(o.tee);
  if (dest == "local_ranks_filter") {
    if (!o.local_ranks_filter) return "unset";
    std::string out;
    for (const int rank : *o.local_ranks_filter) out += std::to_string(rank) + ";";
    return out;
  }
  if (dest == "hostfile") return o.hostfile.value_or("unset");
  if (dest == "include") return o.include;
  if (dest == "exclude") return o.exclude;
  if (dest == "ssh_cmd") return o.ssh_cmd;
  if (dest == "remote_dir") return o.remote_dir.value_or("unset");
  if (dest == "env") {
    std::string out;
    for (const auto& [key, value] : o.extra_env) out += key + "=" + value + ";";
    return out;
  }
  if (dest == "standalone") return o.standalone ? "on" : "off";
  if (dest == "use_env") return o.use_env ? "on" : "off";
  if (dest == "module") return o.module ? "on" : "off";
  if (dest == "no_python") return o.no_python ? "on" : "off";
  if (dest == "run_path") return o.run_path ? "on" : "off";
  FAIL("no description for ", dest);
  return {};
}

struct ValueCase {
  const char* dest;
  const char* text;
  const char* parsed;
};

// A valid value for every option that takes one, and what it parses to.
const ValueCase kValueCases[] = {
    {"nnodes", "2:4", "2:4"},
    {"nproc_per_node", "gpu", "gpu"},
    {"node_rank", "0", "0"},
    {"master_addr", "10.0.0.4", "10.0.0.4"},
    {"master_port", "6105", "6105"},
    {"local_addr", "node1", "node1"},
    {"rdzv_backend", "c10d", "c10d"},
    {"rdzv_endpoint", "[::1]:29400", "[::1]:29400"},
    {"rdzv_id", "job7", "job7"},
    {"rdzv_conf", "join_timeout=5,is_host=1", "is_host=1;join_timeout=5;"},
    {"rdzv_token", "s3cret", "s3cret"},
    {"max_restarts", "3", "3"},
    {"monitor_interval", "0.5", "0.500000"},
    {"start_method", "forkserver", "forkserver"},
    {"shutdown_timeout", "0", "0.000000"},
    {"role", "trainer", "trainer"},
    {"log_dir", "/tmp/l", "/tmp/l"},
    {"redirects", "0:3,2:1", "0 0:3 2:1"},
    {"tee", "2", "2"},
    {"local_ranks_filter", "0,2", "0;2;"},
    {"hostfile", "hosts", "hosts"},
    {"include", "h1@h2:0,2", "h1@h2:0,2"},
    {"exclude", "h3", "h3"},
    {"ssh_cmd", "ssh -p 2222", "ssh -p 2222"},
    {"remote_dir", "/work", "/work"},
    {"env", "NCCL_DEBUG=INFO", "NCCL_DEBUG=INFO;"},
};

const char* const kFlags[] = {"standalone", "use_env", "module", "no_python", "run_path"};

}  // namespace

TEST_CASE("options: defaults") {
  const auto o = parse({"train.py"});
  CHECK(o.min_nodes == 1);
  CHECK(o.max_nodes == 1);
  CHECK_FALSE(o.nnodes_given);
  CHECK(o.nproc_per_node == NprocSpec{NprocSpec::Kind::kCount, 1});
  CHECK_FALSE(o.node_rank);
  CHECK_FALSE(o.master_addr);
  CHECK_FALSE(o.master_port);
  CHECK(o.rdzv_backend == "static");
  CHECK_FALSE(o.rdzv_endpoint);
  CHECK(o.rdzv_id.empty());
  CHECK(o.max_restarts == 0);
  CHECK(o.monitor_interval == 0.1);
  CHECK(o.start_method == "spawn");
  CHECK(o.shutdown_timeout == 30);
  CHECK(o.role == "default");
  CHECK_FALSE(o.use_env);
  CHECK_FALSE(o.log_dir);
  CHECK(o.redirects == StdSpec{});
  CHECK(o.tee == StdSpec{});
  CHECK_FALSE(o.local_ranks_filter);
  CHECK(o.ssh_cmd == "ssh -o BatchMode=yes -o ConnectTimeout=10");
  CHECK(o.program == "train.py");
  CHECK(o.program_args.empty());
  CHECK(o.warnings.empty());
  CHECK_FALSE(o.show_help);
  for (const auto& spec : option_table()) {
    if (!spec.supported || spec.dest == "help" || spec.dest == "version") continue;
    CAPTURE(spec.dest);
    CHECK(o.sources.at(std::string(spec.dest)) == "default");
  }
}

TEST_CASE("options: every value option, both spellings, both forms") {
  for (const auto& value_case : kValueCases) {
    const auto& spec = option_spec(value_case.dest);
    REQUIRE(spec.takes_value);
    for (const auto& spelling : spec.spellings()) {
      for (const bool equals : {false, true}) {
        CAPTURE(spelling);
        CAPTURE(equals);
        std::vector<std::string> argv;
        if (equals) {
          argv.push_back(spelling + "=" + value_case.text);
        } else {
          argv.insert(argv.end(), {spelling, value_case.text});
        }
        argv.push_back("train.py");
        const auto o = parse(argv);
        CHECK(describe(o, value_case.dest) == value_case.parsed);
        CHECK(o.sources.at(value_case.dest) == "command line");
      }
    }
  }
  // The table covers every supported value option.
  for (const auto& spec : option_table()) {
    if (!spec.supported || !spec.takes_value) continue;
    CAPTURE(spec.dest);
    CHECK(std::any_of(std::begin(kValueCases), std::end(kValueCases),
                      [&](const ValueCase& c) { return c.dest == spec.dest; }));
  }
}

TEST_CASE("options: every flag, both spellings") {
  for (const char* dest : kFlags) {
    for (const auto& spelling : option_spec(dest).spellings()) {
      CAPTURE(spelling);
      const auto o = parse({spelling, "train.py"});
      CHECK(describe(o, dest) == "on");
      CHECK(o.sources.at(dest) == "command line");
    }
  }
  CHECK(parse({"-m", "pkg.train"}).module);
  CHECK(parse({"--use-env", "train.py"}).use_env);
  CHECK(parse({"--no-python", "./w"}).no_python);
  CHECK(parse({"--run-path", "train.py"}).run_path);
}

TEST_CASE("options: short options -r, -t, -m and grouping") {
  auto o = parse({"-r", "3", "-t1", "train.py"});
  CHECK(o.redirects.all == 3);
  CHECK(o.tee.all == 1);
  o = parse({"-r=0:1,1:2", "-mt", "2", "pkg.mod"});
  CHECK(o.redirects.for_local_rank(1) == 2);
  CHECK(o.tee.all == 2);
  CHECK(o.module);
}

TEST_CASE("options: unique prefixes like argparse") {
  auto o =
      parse({"--redirect=3", "--nproc=4", "--max_r", "2", "--stand", "--shut", "5", "train.py"});
  CHECK(o.redirects.all == 3);
  CHECK(o.nproc_per_node.count == 4);
  CHECK(o.max_restarts == 2);
  CHECK(o.standalone);
  CHECK(o.shutdown_timeout == 5);
  o = parse({"--nproc-per=2", "--master_p", "7000", "--use", "train.py"});
  CHECK(o.nproc_per_node.count == 2);
  CHECK(o.master_port == 7000);
  CHECK(o.use_env);
  CHECK(usage_error({"--n", "2", "train.py"}) ==
        "ambiguous option '--n' could be --nnodes, --nproc_per_node, --node_rank, --no_python, "
        "--numa_binding");
  CHECK(usage_error({"--rdzv=x", "train.py"}).starts_with("ambiguous option '--rdzv' could be"));
  CHECK(usage_error({"--m=1", "train.py"}) ==
        "ambiguous option '--m' could be --master_addr, --master_port, --max_restarts, "
        "--monitor_interval, --module");
}

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

TEST_CASE("options: the program's arguments pass through verbatim") {
  const auto o = parse({"--nproc_per_node", "2", "train.py", "--nproc_per_node", "3", "-m",
                        "--help", "--bogus", "", "--"});
  CHECK(o.nproc_per_node.count == 2);
  CHECK_FALSE(o.module);
  CHECK_FALSE(o.show_help);
  CHECK(o.program == "train.py");
  CHECK(o.program_args ==
        std::vector<std::string>{"--nproc_per_node", "3", "-m", "--help", "--bogus", "", "--"});
  const auto dashed = parse({"--", "-weird.py", "a"});
  CHECK(dashed.program == "-weird.py");
  CHECK(dashed.program_args == std::vector<std::string>{"a"});
}

TEST_CASE("options: legacy launch mode unless --use_env or torchrun-only usage") {
  CHECK_FALSE(parse({"train.py"}).use_env);
  // The Azure ML per-node command.
  auto o = parse({"--nproc_per_node", "2", "--nnodes", "1", "--node_rank", "0", "--master_addr",
                  "127.0.0.1", "--master_port", "6105", "--use_env", "train.py"});
  CHECK(o.use_env);
  CHECK(o.master_port == 6105);
  CHECK(o.node_rank == 0);
  CHECK(o.sources.at("use_env") == "command line");
  CHECK(parse({"train.py"}, {{"PET_USE_ENV", "1"}}).use_env);
  o = parse({"--standalone", "train.py"});
  CHECK(o.use_env);
  CHECK(o.sources.at("use_env") == "implied by --standalone");
  o = parse({"--rdzv_backend", "c10d", "--rdzv_endpoint", "h:1", "train.py"});
  CHECK(o.use_env);
  CHECK(o.sources.at("use_env") == "implied by --rdzv_backend c10d");
  o = parse({"--no_python", "./worker"});
  CHECK(o.use_env);
  CHECK(o.sources.at("use_env") == "implied by --no_python");
}

TEST_CASE("options: --standalone is c10d on localhost:0 with a fresh id") {
  auto o = parse({"--standalone", "--nproc_per_node", "4", "train.py", "--epochs", "3"});
  CHECK(o.standalone);
  CHECK(o.rdzv_backend == "c10d");
  CHECK(o.rdzv_endpoint == "localhost:0");
  CHECK(o.rdzv_id.empty());
  CHECK(o.sources.at("rdzv_endpoint") == "--standalone");
  CHECK(o.warnings.empty());
  CHECK(o.program_args == std::vector<std::string>{"--epochs", "3"});
  o = parse({"--standalone", "--rdzv_endpoint", "h:5", "--rdzv_id", "x", "train.py"});
  CHECK(o.rdzv_endpoint == "localhost:0");
  CHECK(o.rdzv_id.empty());
  REQUIRE(o.warnings.size() == 2);
  CHECK(o.warnings[0] == "--standalone uses localhost:0; ignoring --rdzv_endpoint 'h:5'");
  CHECK(usage_error({"--standalone", "--nnodes", "1:2", "train.py"}) ==
        "--standalone runs one node, but --nnodes asks for up to 2");
}

TEST_CASE("options: help and version") {
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"-h"}, {"--help"}, {"--he"}, {"--nproc_per_node", "0", "-h"}, {"--bogus", "--help"}}) {
    const auto o = parse(argv);
    CHECK(o.show_help);
    CHECK(o.program.empty());
  }
  CHECK(parse({"--version"}).show_version);
  CHECK_FALSE(parse({"train.py", "--version"}).show_version);
}

TEST_CASE("options: --env is repeatable and keeps order; other options keep the last value") {
  auto o = parse({"--env", "A=1", "--env=B=", "--env", "A=2", "train.py"});
  CHECK(o.extra_env ==
        std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", ""}, {"A", "2"}});
  CHECK(o.warnings.empty());
  o = parse({"--nproc_per_node", "2", "--nproc-per-node", "4", "train.py"});
  CHECK(o.nproc_per_node.count == 4);
  REQUIRE(o.warnings.size() == 1);
  CHECK(o.warnings[0] == "--nproc_per_node given more than once; using the last, '4'");
}

TEST_CASE("options: node rank against the node count") {
  CHECK(parse({"--nnodes", "4", "--node_rank", "3", "train.py"}).node_rank == 3);
  CHECK(parse({"--nnodes", "1:4", "--node_rank", "3", "train.py"}).node_rank == 3);
  // Without --nnodes the count may come from the cluster: not checked here.
  CHECK(parse({"--node_rank", "5", "train.py"}).node_rank == 5);
  CHECK(usage_error({"--nnodes", "2", "--node_rank", "2", "train.py"}) ==
        "--node_rank: node rank 2 is out of range for --nnodes 2 (expected 0..1)");
  CHECK(usage_error({"--node_rank", "2", "train.py"}, {{"PET_NNODES", "1:2"}}) ==
        "--node_rank: node rank 2 is out of range for --nnodes 1:2 (expected 0..1)");
}

TEST_CASE("options: warnings for what is accepted but unused") {
  auto o = parse({"train.py"}, {{"PET_VIRTUAL_LOCAL_RANK", "1"}, {"PET_NUMA_BINDING", "node"}});
  REQUIRE(o.warnings.size() == 1);
  CHECK(o.warnings[0] ==
        "PET_VIRTUAL_LOCAL_RANK is set but dlaunch does not support --virtual_local_rank; ignored");
  o = parse({"--rdzv_backend", "c10d", "--master_addr", "h", "train.py"});
  REQUIRE(o.warnings.size() == 1);
  CHECK(o.warnings[0].find("--master_addr") != std::string::npos);
}

TEST_CASE("options: bad usage is one line naming the option and the value") {
  struct BadCase {
    std::vector<std::string> argv;
    const char* expected;  // the start of the message
  };
  const BadCase cases[] = {
      {{"--nproc_per_nodes", "4", "t.py"},
       "unknown option '--nproc_per_nodes' (did you mean --nproc_per_node?)"},
      {{"--bogus", "t.py"}, "unknown option '--bogus'"},
      {{"-x", "t.py"}, "unknown option '-x'"},
      {{"--nproc_per_node"}, "--nproc_per_node needs a value"},
      {{"--master_addr", "--nnodes", "2", "t.py"}, "--master_addr needs a value"},
      {{"--nproc_per_node", "0", "t.py"}, "--nproc_per_node: invalid value '0'"},
      {{"--nproc-per-node", "-2", "t.py"}, "--nproc-per-node: invalid value '-2'"},
      {{"--nproc_per_node", "4x", "t.py"}, "--nproc_per_node: invalid value '4x'"},
      {{"--nproc_per_node", "many", "t.py"},
       "--nproc_per_node: invalid value 'many' (expected a positive integer, auto, cpu or gpu)"},
      {{"--master_port", "0", "t.py"},
       "--master_port: invalid value '0' (expected a port 1-65535)"},
      {{"--master_port", "65536", "t.py"}, "--master_port: invalid value '65536'"},
      {{"--master_port=80x", "t.py"}, "--master_port: invalid value '80x'"},
      {{"--nnodes", "3:1", "t.py"},
       "--nnodes: invalid value '3:1' (expected N or MIN:MAX with 1 <= MIN <= MAX)"},
      {{"--nnodes", "0", "t.py"}, "--nnodes: invalid value '0'"},
      {{"--nnodes", "a:b:c", "t.py"}, "--nnodes: invalid value 'a:b:c'"},
      {{"--node_rank", "-1", "t.py"}, "--node_rank: invalid value '-1' (expected an integer >= 0)"},
      {{"--node_rank", "1x", "t.py"}, "--node_rank: invalid value '1x'"},
      {{"--max_restarts", "-1", "t.py"}, "--max_restarts: invalid value '-1'"},
      {{"--monitor_interval", "0", "t.py"},
       "--monitor_interval: invalid value '0' (expected seconds > 0)"},
      {{"--monitor-interval", "-1", "t.py"}, "--monitor-interval: invalid value '-1'"},
      {{"--shutdown_timeout", "-1", "t.py"},
       "--shutdown_timeout: invalid value '-1' (expected seconds >= 0)"},
      {{"-r", "4", "t.py"}, "-r: invalid value '4'"},
      {{"--tee", "0:9", "t.py"}, "--tee: invalid value '0:9'"},
      {{"--redirects", "x", "t.py"}, "--redirects: invalid value 'x'"},
      {{"--local_ranks_filter", "a,b", "t.py"}, "--local_ranks_filter: invalid value 'a,b'"},
      {{"--rdzv_conf", "timeout", "t.py"}, "--rdzv_conf: key 'timeout' needs a value"},
      {{"--rdzv_conf", "=1", "t.py"}, "--rdzv_conf: invalid value '=1'"},
      {{"--rdzv_backend", "etcd", "t.py"},
       "--rdzv_backend: invalid value 'etcd' (expected static or c10d)"},
      {{"--rdzv_endpoint", "h:99999", "--rdzv_backend", "c10d", "t.py"},
       "--rdzv_endpoint: invalid port '99999'"},
      {{"--start_method", "thread", "t.py"},
       "--start_method: invalid value 'thread' (expected spawn, fork or forkserver)"},
      {{"--role", "", "t.py"}, "--role: invalid value ''"},
      {{"--log_dir=", "t.py"}, "--log_dir: invalid value ''"},
      {{"--env", "1A=2", "t.py"}, "--env: invalid value '1A=2'"},
      {{"--include", "a", "--exclude", "b", "t.py"}, "--include and --exclude cannot be combined"},
      {{"-m", "--no_python", "mod"}, "-m/--module and --no_python cannot be combined"},
      {{"--run_path", "-m", "mod"},
       "--run_path runs a Python script by path; it cannot be combined with -m/--module"},
      {{"--standalone=1", "t.py"}, "--standalone takes no value"},
      {{"--numa_binding", "node", "t.py"},
       "--numa_binding is a torchrun option that dlaunch does not support"},
      {{}, "missing the program to run"},
      {{"--nproc_per_node", "2"}, "missing the program to run"},
      {{"--standalone", "--"}, "missing the program to run"},
  };
  for (const auto& bad : cases) {
    CAPTURE(bad.expected);
    const auto message = usage_error(bad.argv);
    CHECK_MESSAGE(message.starts_with(bad.expected), message);
  }
}
