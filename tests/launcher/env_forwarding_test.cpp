#include "launcher/env_forwarding.hpp"

#include <doctest/doctest.h>

#include "tests/support/temp_dir.hpp"

using namespace dlaunch::launcher;
using dlaunch::testing::TempDir;
using dlaunch::testing::write_file;

TEST_CASE("env forwarding: the allow-list") {
  for (const char* name : {"NCCL_SOCKET_IFNAME", "NCCL_DEBUG", "CUDA_HOME", "CUDA_LAUNCH_BLOCKING",
                           "OMP_NUM_THREADS", "PYTHONPATH", "PYTHON_EXEC", "PYTHONUNBUFFERED",
                           "DLAUNCH_RDZV_TOKEN", "DLAUNCH_LOG_LEVEL", "PET_MAX_RESTARTS"}) {
    CAPTURE(name);
    CHECK(forwarded_by_default(name));
  }
  // CUDA_VISIBLE_DEVICES describes the launching machine's devices, not the hosts'.
  for (const char* name : {"CUDA_VISIBLE_DEVICES", "PATH", "HOME", "LD_LIBRARY_PATH", "MASTER_ADDR",
                           "RANK", "WORLD_SIZE", "NCCL", "OMP", "XNCCL_DEBUG", "nccl_debug"}) {
    CAPTURE(name);
    CHECK_FALSE(forwarded_by_default(name));
  }
}

TEST_CASE("env forwarding: .dlaunch_env lines") {
  const auto vars = parse_env_file(
      "# comment\n"
      "\n"
      "A=1\n"
      "  B=indented\n"
      "export C=with spaces\r\n"
      "D=\"quoted value\"\n"
      "E='single'\n"
      "F=a=b=c\n"
      "G=\n"
      "H=\"unbalanced\n"
      "I='$HOME'\n"
      "   # indented comment\n"
      "exporter=not the keyword",
      "/h/.dlaunch_env");
  const std::vector<ForwardedVar> expected = {
      {"A", "1", "/h/.dlaunch_env:3"},
      {"B", "indented", "/h/.dlaunch_env:4"},
      {"C", "with spaces", "/h/.dlaunch_env:5"},
      {"D", "quoted value", "/h/.dlaunch_env:6"},
      {"E", "single", "/h/.dlaunch_env:7"},
      {"F", "a=b=c", "/h/.dlaunch_env:8"},
      {"G", "", "/h/.dlaunch_env:9"},
      {"H", "\"unbalanced", "/h/.dlaunch_env:10"},
      {"I", "$HOME", "/h/.dlaunch_env:11"},
      {"exporter", "not the keyword", "/h/.dlaunch_env:13"},
  };
  CHECK(vars == expected);
}

TEST_CASE("env forwarding: a bad .dlaunch_env line names file:line and quotes it") {
  CHECK_THROWS_WITH_AS(parse_env_file("A=1\nno equals here\n", "f"),
                       "f:2: expected KEY=VALUE, not 'no equals here'", std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_env_file("B = x\n", "f"),
                       "f:1: 'B ' is not a variable name in 'B = x'", std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_env_file("1X=y\n", "f"), doctest::Contains("f:1: '1X'"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_env_file("=y\n", "f"), doctest::Contains("f:1: ''"),
                       std::invalid_argument);
}

TEST_CASE("env forwarding: environment < $HOME/.dlaunch_env < ./.dlaunch_env") {
  TempDir home, work;
  write_file(home / ".dlaunch_env", "NCCL_DEBUG=WARN\nFROM_HOME=h\nBOTH=home\n");
  write_file(work / ".dlaunch_env", "BOTH=work\nFROM_WORK=w\n");
  const Environment env = {{"HOME", home.path().string()}, {"NCCL_DEBUG", "INFO"},
                           {"OMP_NUM_THREADS", "4"},       {"PATH", "/bin"},
                           {"CUDA_VISIBLE_DEVICES", "0"},  {"PYTHONPATH", "/src"}};
  const auto vars = forwarded_environment(env, work.path().string());
  const std::string home_file = (home / ".dlaunch_env").string();
  const std::string work_file = (work / ".dlaunch_env").string();
  const std::vector<ForwardedVar> expected = {
      {"BOTH", "work", work_file + ":1"},      {"FROM_HOME", "h", home_file + ":2"},
      {"FROM_WORK", "w", work_file + ":2"},    {"NCCL_DEBUG", "WARN", home_file + ":1"},
      {"OMP_NUM_THREADS", "4", "environment"}, {"PYTHONPATH", "/src", "environment"},
  };
  CHECK(vars == expected);
}

TEST_CASE("env forwarding: no files is fine, the cwd being $HOME reads the file once") {
  TempDir home;
  CHECK(forwarded_environment({{"HOME", home.path().string()}}, home.path().string()).empty());
  write_file(home / ".dlaunch_env", "X=1\n");
  const auto vars = forwarded_environment({{"HOME", home.path().string()}}, home.path().string());
  REQUIRE(vars.size() == 1);
  CHECK(vars[0].origin == (home / ".dlaunch_env").string() + ":1");
  CHECK(forwarded_environment({}, "/nonexistent").empty());
}

TEST_CASE("env forwarding: a bad file is a usage error naming it") {
  TempDir work;
  write_file(work / ".dlaunch_env", "OK=1\noops\n");
  CHECK_THROWS_WITH_AS(forwarded_environment({}, work.path().string()),
                       doctest::Contains(".dlaunch_env:2: expected KEY=VALUE"), UsageError);
  std::filesystem::remove(work / ".dlaunch_env");
  std::filesystem::create_directory(work / ".dlaunch_env");
  CHECK_THROWS_WITH_AS(forwarded_environment({}, work.path().string()),
                       doctest::Contains("it is a directory"), UsageError);
}
