#include "launcher/hostfile.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

using dlaunch::launcher::HostfileEntry;
using dlaunch::launcher::parse_hostfile;
using dlaunch::launcher::read_hostfile;

TEST_CASE("hostfile: DeepSpeed format with comments, blank lines and plain hosts") {
  const auto entries = parse_hostfile(
      "# hosts of the job\n"
      "worker-0 slots=4\n"
      "\n"
      "   \t\n"
      "worker-1\tslots=2   # the small one\n"
      "10.0.0.7\n"
      "worker-3 slots=8 max_slots=8\r\n"
      "  # indented comment\n"
      "fe80::1 slots=1",
      "hosts", 3);
  CHECK(entries == std::vector<HostfileEntry>{{"worker-0", 4, 2},
                                              {"worker-1", 2, 5},
                                              {"10.0.0.7", 3, 6},
                                              {"worker-3", 8, 7},
                                              {"fe80::1", 1, 9}});
}

TEST_CASE("hostfile: every bad line names file:line") {
  struct Case {
    const char* text;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"a slots=4\nb slots=\n", "hosts:2: slots= needs a whole number >= 1, not ''"},
      {"a slots=x\n", "hosts:1: slots= needs a whole number >= 1, not 'x'"},
      {"a slots=0\n", "hosts:1: slots= needs a whole number >= 1, not '0'"},
      {"a slots=-2\n", "hosts:1: slots= needs a whole number >= 1, not '-2'"},
      {"\n\na gpus=4\n", "hosts:3: unexpected 'gpus=4'"},
      {"a slots=4 slots=2\n", "hosts:1: unexpected 'slots=2'"},
      {"a 4\n", "hosts:1: unexpected '4'"},
      {"a slots=2\n# x\na slots=4\n", "hosts:3: duplicate host 'a' (first at line 1)"},
      {"root@a slots=2\n", "hosts:1: 'user@host' is not supported"},
      {"slots=2\n", "hosts:1: the line must start with a host name"},
      {"a max_slots=z\n", "hosts:1: max_slots= needs a whole number >= 1"},
  };
  for (const auto& test : cases) {
    CAPTURE(test.text);
    CHECK_THROWS_WITH_AS(parse_hostfile(test.text, "hosts", 1), doctest::Contains(test.message),
                         std::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(parse_hostfile("a slots=1\nb  slots=q\n", "hosts", 1),
                       doctest::Contains("in 'b  slots=q'"), std::invalid_argument);
}

TEST_CASE("hostfile: no hosts is an error, never a silent local run") {
  CHECK_THROWS_WITH_AS(parse_hostfile("", "hosts", 1), "hosts: no hosts in the hostfile",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_hostfile("# only\n\n", "hosts", 1), "hosts: no hosts in the hostfile",
                       std::invalid_argument);
  CHECK_THROWS_AS(parse_hostfile("a\n", "hosts", 0), std::invalid_argument);
}

TEST_CASE("hostfile: read_hostfile reads a file and refuses a missing one") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("dlaunch_hostfile_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "hosts").string();
  {
    std::ofstream out(path);
    out << "node1 slots=2\nnode2\n";
  }
  CHECK(read_hostfile(path, 8) == std::vector<HostfileEntry>{{"node1", 2, 1}, {"node2", 8, 2}});
  {
    std::ofstream out(path);
    out << "node1 slots=2\nnode1\n";
  }
  CHECK_THROWS_WITH_AS(read_hostfile(path, 8),
                       doctest::Contains((path + ":2: duplicate host 'node1'").c_str()),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      read_hostfile((dir / "missing").string(), 8),
      doctest::Contains(("cannot read hostfile '" + (dir / "missing").string() + "'").c_str()),
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(read_hostfile(dir.string(), 8), doctest::Contains("is a directory"),
                       std::invalid_argument);
  std::filesystem::remove_all(dir);
}
