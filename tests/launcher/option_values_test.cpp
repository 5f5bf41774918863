#include "launcher/option_values.hpp"

#include <doctest/doctest.h>

using namespace dlaunch::launcher;

TEST_CASE("values: integers must parse whole") {
  CHECK(parse_integer("0") == 0);
  CHECK(parse_integer("-3") == -3);
  CHECK(parse_integer("2147483647") == 2147483647);
  for (const char* bad : {"", "4x", "x4", " 4", "4 ", "+4", "4.0", "2147483648", "0x10", "-"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_integer(bad).has_value());
  }
  CHECK(parse_int_at_least("0", "--max_restarts", 0) == 0);
  CHECK_THROWS_WITH_AS(parse_int_at_least("-1", "--max_restarts", 0),
                       "--max_restarts: invalid value '-1' (expected an integer >= 0)", UsageError);
}

TEST_CASE("values: seconds are finite, > 0 or >= 0") {
  CHECK(parse_seconds("0.5", "--monitor_interval", false) == 0.5);
  CHECK(parse_seconds("1e-1", "--monitor_interval", false) == doctest::Approx(0.1));
  CHECK(parse_seconds("0", "--shutdown_timeout", true) == 0);
  for (const char* bad : {"0", "-1", "nan", "inf", "1s", "", " 1"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_seconds(bad, "--monitor_interval", false),
                         doctest::Contains("--monitor_interval"), UsageError);
  }
  CHECK_THROWS_AS(parse_seconds("-0.5", "--shutdown_timeout", true), UsageError);
}

TEST_CASE("values: nproc_per_node is a positive count or a word") {
  using Kind = NprocSpec::Kind;
  CHECK(parse_nproc_per_node("4", "-") == NprocSpec{Kind::kCount, 4});
  CHECK(parse_nproc_per_node("auto", "-").kind == Kind::kAuto);
  CHECK(parse_nproc_per_node("cpu", "-").kind == Kind::kCpu);
  CHECK(parse_nproc_per_node("gpu", "-").kind == Kind::kGpu);
  for (const char* bad : {"0", "-2", "4x", "xpu", "GPU", ""}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_nproc_per_node(bad, "--nproc_per_node"),
                         doctest::Contains("--nproc_per_node: invalid value"), UsageError);
  }
}

TEST_CASE("values: nnodes is N or MIN:MAX") {
  CHECK(parse_nnodes("3", "-") == NodeRange{3, 3});
  CHECK(parse_nnodes("1:4", "-") == NodeRange{1, 4});
  CHECK(parse_nnodes("2:2", "-") == NodeRange{2, 2});
  for (const char* bad : {"0", "3:1", "a:b:c", "1:2:3", "2:", ":2", "0:2", "x", "", "-1"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_nnodes(bad, "--nnodes"), doctest::Contains("--nnodes"), UsageError);
  }
}

TEST_CASE("values: choices list what is accepted") {
  CHECK(parse_choice("fork", "--start_method", {"spawn", "fork", "forkserver"}) == "fork");
  CHECK_THROWS_WITH_AS(
      parse_choice("thread", "--start_method", {"spawn", "fork", "forkserver"}),
      "--start_method: invalid value 'thread' (expected spawn, fork or forkserver)", UsageError);
}

TEST_CASE("values: rendezvous config as torchrun parses it") {
  CHECK(parse_rdzv_conf("", "-").empty());
  CHECK(parse_rdzv_conf("  ", "-").empty());
  const auto conf = parse_rdzv_conf(" join_timeout = 600 ,is_host=1", "-");
  CHECK(conf.size() == 2);
  CHECK(conf.at("join_timeout") == "600");
  CHECK(conf.at("is_host") == "1");
  CHECK(parse_rdzv_conf("url=a=b", "-").at("url") == "a=b");
  for (const char* bad : {"a", "a=", "=1", "a=1,", "a=1,,b=2", "a=1,a=2", "a= "}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_rdzv_conf(bad, "--rdzv_conf"), doctest::Contains("--rdzv_conf"),
                         UsageError);
  }
}

TEST_CASE("values: local ranks filter") {
  CHECK_FALSE(parse_local_ranks_filter("", "-").has_value());
  CHECK(parse_local_ranks_filter("0", "-") == std::set<int>{0});
  CHECK(parse_local_ranks_filter("3, 1,3", "-") == std::set<int>{1, 3});
  for (const char* bad : {"a", "1,,2", "-1", "1,", "1.5", ","}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_local_ranks_filter(bad, "--local_ranks_filter"),
                         doctest::Contains("--local_ranks_filter"), UsageError);
  }
}

TEST_CASE("values: environment assignments") {
  CHECK(parse_env_assignment("NCCL_DEBUG=INFO", "-") ==
        std::pair<std::string, std::string>{"NCCL_DEBUG", "INFO"});
  CHECK(parse_env_assignment("A=", "-").second.empty());
  CHECK(parse_env_assignment("_X1=a=b", "-").second == "a=b");
  for (const char* bad : {"A", "=1", "1A=2", "A-B=1", ""}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_env_assignment(bad, "--env"), doctest::Contains("--env"),
                         UsageError);
  }
}

TEST_CASE("values: messages stay on one line") {
  CHECK(quote("a\nb") == "'a\\x0ab'");
  CHECK_THROWS_WITH_AS(
      parse_nnodes("1\n2", "--nnodes"),
      "--nnodes: invalid value '1\\x0a2' (expected N or MIN:MAX with 1 <= MIN <= MAX)", UsageError);
}
