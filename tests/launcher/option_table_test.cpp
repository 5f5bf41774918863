#include "launcher/option_table.hpp"

#include <set>

#include <doctest/doctest.h>

using namespace dlaunch::launcher;

TEST_CASE("option table: every spelling and short name belongs to one option") {
  std::set<std::string> spellings;
  std::set<char> shorts;
  for (const auto& spec : option_table()) {
    CAPTURE(spec.dest);
    for (const auto& spelling : spec.spellings()) CHECK(spellings.insert(spelling).second);
    if (spec.short_name != 0) CHECK(shorts.insert(spec.short_name).second);
    if (spec.supported) CHECK_FALSE(spec.help.empty());
    if (spec.supported) CHECK(spec.takes_value == !spec.metavar.empty());
  }
  CHECK(shorts == std::set<char>{'h', 'm', 'r', 't'});
}

TEST_CASE("option table: both spellings and the PET_ name come from the dest") {
  const auto& spec = option_spec("nproc_per_node");
  CHECK(spec.spellings() == std::vector<std::string>{"--nproc_per_node", "--nproc-per-node"});
  CHECK(spec.env_name() == "PET_NPROC_PER_NODE");
  CHECK(option_spec("role").spellings() == std::vector<std::string>{"--role"});
  CHECK(option_spec("module").env_name() == "PET_MODULE");
  CHECK(option_spec("use_env").env_name() == "PET_USE_ENV");
  CHECK(option_spec("hostfile").env_name().empty());
  CHECK(option_spec("rdzv_token").env_name().empty());
}

TEST_CASE("option table: exact spellings and unique prefixes match") {
  CHECK(match_long_option("--nproc-per-node").spelling == "--nproc-per-node");
  CHECK(match_long_option("--nproc_per_node").spec == &option_spec("nproc_per_node"));
  // torch's own test_run.py passes --redirect=3.
  const auto redirect = match_long_option("--redirect");
  REQUIRE(redirect.spec != nullptr);
  CHECK(redirect.spec->dest == "redirects");
  CHECK(redirect.spelling == "--redirects");
  // A prefix of both spellings of one option is not ambiguous.
  CHECK(match_long_option("--nproc").spec == &option_spec("nproc_per_node"));
  CHECK(match_long_option("--nproc-per").spelling == "--nproc-per-node");
  CHECK(match_long_option("--stand").spec == &option_spec("standalone"));
  CHECK(match_long_option("--t").spec == &option_spec("tee"));
}

TEST_CASE("option table: an ambiguous prefix lists its candidates") {
  const auto match = match_long_option("--no");
  CHECK(match.spec == nullptr);
  CHECK(match.candidates == std::vector<std::string>{"--node_rank", "--no_python"});
  CHECK(match_long_option("--rdzv").candidates.size() == 5);
  CHECK(match_long_option("--local").candidates ==
        std::vector<std::string>{"--local_addr", "--local_ranks_filter"});
}

TEST_CASE("option table: unknown words match nothing and get a close suggestion") {
  CHECK(match_long_option("--bogus").spec == nullptr);
  CHECK(match_long_option("--bogus").candidates.empty());
  CHECK(match_long_option("--").spec == nullptr);
  CHECK(closest_option("--nproc_per_nodes") == "--nproc_per_node");
  CHECK(closest_option("--nprocs-per-node") == "--nproc_per_node");
  CHECK(closest_option("--master-address") == "--master_addr");
  CHECK(closest_option("--num_nodes") == "--nnodes");
  CHECK(closest_option("--max_restart") == "--max_restarts");
  CHECK(closest_option("--completely-different") == "");
  CHECK(find_short_option('m') == &option_spec("module"));
  CHECK(find_short_option('x') == nullptr);
}

TEST_CASE("option table: a hidden option matches only when spelled out, and is never suggested") {
  REQUIRE(option_spec("stdin_control").hidden);
  CHECK(match_long_option("--stdin_control").spec == &option_spec("stdin_control"));
  CHECK(match_long_option("--stdin-control").spec == &option_spec("stdin_control"));
  CHECK(match_long_option("--stdin").spec == nullptr);
  CHECK(match_long_option("--stdin").candidates.empty());
  CHECK(closest_option("--stdin_contrl") != "--stdin_control");
}
