#include "launcher/command_line.hpp"

#include <doctest/doctest.h>

using dlaunch::launcher::CommandLine;
using dlaunch::launcher::scan_command_line;

namespace {

std::vector<std::string> texts(const CommandLine& line, const std::string& dest) {
  std::vector<std::string> out;
  if (const auto it = line.given.find(dest); it != line.given.end()) {
    for (const auto& given : it->second) out.push_back(given.text);
  }
  return out;
}

}  // namespace

TEST_CASE("command line: options, then the program, then its arguments verbatim") {
  const auto line = scan_command_line(
      {"--nproc_per_node", "2", "train.py", "--nproc_per_node", "3", "-m", "--help", "--", "x"});
  CHECK_FALSE(line.error);
  CHECK_FALSE(line.help);
  CHECK(texts(line, "nproc_per_node") == std::vector<std::string>{"2"});
  CHECK_FALSE(line.given.contains("module"));
  REQUIRE(line.program);
  CHECK(*line.program == "train.py");
  CHECK(line.program_args ==
        std::vector<std::string>{"--nproc_per_node", "3", "-m", "--help", "--", "x"});
}

TEST_CASE("command line: -- ends the options") {
  auto line = scan_command_line({"--standalone", "--", "--odd-name.py", "a", "--", "b"});
  CHECK(line.given.contains("standalone"));
  CHECK(*line.program == "--odd-name.py");
  CHECK(line.program_args == std::vector<std::string>{"a", "--", "b"});
  line = scan_command_line({"--standalone", "--"});
  CHECK_FALSE(line.program);
  CHECK_FALSE(line.error);
}

TEST_CASE("command line: value forms") {
  const auto line = scan_command_line({"--nnodes=1:2", "--role", "", "--rdzv_conf=", "-r3", "-t=1",
                                       "--node_rank", "-1", "--master-addr", "-", "p"});
  CHECK_FALSE(line.error);
  CHECK(texts(line, "nnodes") == std::vector<std::string>{"1:2"});
  CHECK(texts(line, "role") == std::vector<std::string>{""});
  CHECK(texts(line, "rdzv_conf") == std::vector<std::string>{""});
  CHECK(texts(line, "redirects") == std::vector<std::string>{"3"});
  CHECK(texts(line, "tee") == std::vector<std::string>{"1"});
  CHECK(texts(line, "node_rank") == std::vector<std::string>{"-1"});
  CHECK(texts(line, "master_addr") == std::vector<std::string>{"-"});
  CHECK(line.given.at("master_addr").front().spelling == "--master-addr");
  CHECK(*line.program == "p");
}

TEST_CASE("command line: grouped short flags, a value option ends the group") {
  const auto line = scan_command_line({"-mt", "3", "-mr2", "mod"});
  CHECK_FALSE(line.error);
  CHECK(line.given.at("module").size() == 2);
  CHECK(texts(line, "tee") == std::vector<std::string>{"3"});
  CHECK(texts(line, "redirects") == std::vector<std::string>{"2"});
  CHECK(*line.program == "mod");
}

TEST_CASE("command line: a missing value stops the scan") {
  auto line = scan_command_line({"--master_addr", "--nnodes", "2", "train.py"});
  CHECK(line.error == "--master_addr needs a value");
  CHECK_FALSE(line.program);
  line = scan_command_line({"train.py", "--nnodes"});
  CHECK_FALSE(line.error);
  line = scan_command_line({"--nnodes"});
  CHECK(line.error == "--nnodes needs a value");
  line = scan_command_line({"-r"});
  CHECK(line.error == "-r needs a value");
  line = scan_command_line({"--nnodes", "--", "p"});
  CHECK(line.error == "--nnodes needs a value");
}

TEST_CASE("command line: help wins over an earlier bad option, not over the program's") {
  auto line = scan_command_line({"--bogus", "--help"});
  CHECK(line.help);
  CHECK(line.error);
  line = scan_command_line({"--bogus", "train.py", "--help"});
  CHECK_FALSE(line.help);
  CHECK(line.error->find("--bogus") != std::string::npos);
  line = scan_command_line({"-h"});
  CHECK(line.help);
  line = scan_command_line({"--vers"});
  CHECK(line.version);
}

TEST_CASE("command line: the first error is kept, naming what was typed") {
  auto line = scan_command_line({"--nproc_per_nodes", "4", "train.py"});
  CHECK(line.error == "unknown option '--nproc_per_nodes' (did you mean --nproc_per_node?)");
  line = scan_command_line({"-nproc_per_node", "4", "train.py"});
  CHECK(line.error == "unknown option '-nproc_per_node' (did you mean --nproc_per_node?)");
  line = scan_command_line({"-mx", "train.py"});
  CHECK(line.error == "unknown option '-x' (in '-mx')");
  line = scan_command_line({"--local_rank=0", "train.py"});
  CHECK(line.error->find("put the program's own options after the program") != std::string::npos);
  line = scan_command_line({"--local-rank", "0", "train.py"});
  CHECK(line.error->starts_with("unknown option '--local-rank' (dlaunch gives each worker"));
  CHECK_FALSE(scan_command_line({"--local_ranks=0", "t.py"}).error);  // still a prefix
  line = scan_command_line({"--no", "train.py"});
  CHECK(line.error == "ambiguous option '--no' could be --node_rank, --no_python");
  line = scan_command_line({"--standalone=1", "train.py"});
  CHECK(line.error == "--standalone takes no value (got '--standalone=1')");
  line = scan_command_line({"-m=1", "train.py"});
  CHECK(line.error == "-m takes no value (got '-m=1')");
  line = scan_command_line({"--numa-binding", "node", "train.py"});
  CHECK(line.error ==
        "--numa-binding is a torchrun option that dlaunch does not support; see dlaunch --help");
  CHECK(*line.program == "train.py");
}
