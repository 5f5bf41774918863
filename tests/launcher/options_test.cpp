#include "launcher/options.hpp"

#include <doctest/doctest.h>

#include "launcher/option_table.hpp"
#include "tests/launcher/options_test_helpers.hpp"

using namespace options_test;

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

TEST_CASE("options: --env is repeatable and keeps order, other options keep the last value") {
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
