#include "launcher/hostlist.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using dlaunch::launcher::expand_hostlist;
using Hosts = std::vector<std::string>;

TEST_CASE("hostlist: what scontrol show hostnames prints") {
  struct Case {
    const char* list;
    Hosts hosts;
  };
  const std::vector<Case> cases = {
      {"node1", {"node1"}},
      {"node[01-04,07]", {"node01", "node02", "node03", "node04", "node07"}},
      {"gnode[10,20,25,37]", {"gnode10", "gnode20", "gnode25", "gnode37"}},
      {"n[8-11]", {"n8", "n9", "n10", "n11"}},
      {"n[098-101]", {"n098", "n099", "n100", "n101"}},
      {"a[1-2]b[3-4]", {"a1b3", "a1b4", "a2b3", "a2b4"}},
      {"rack[1-2]-node[01-02].cluster",
       {"rack1-node01.cluster", "rack1-node02.cluster", "rack2-node01.cluster",
        "rack2-node02.cluster"}},
      {"login,gpu[1-2],cpu[001-002]", {"login", "gpu1", "gpu2", "cpu001", "cpu002"}},
      {"[1-3]", {"1", "2", "3"}},
      {"x[5]", {"x5"}},
  };
  for (const auto& test : cases) {
    CAPTURE(test.list);
    CHECK(expand_hostlist(test.list) == test.hosts);
  }
}

TEST_CASE("hostlist: malformed lists are one clear error quoting the list") {
  for (const char* bad : {"node[1-", "node]1[", "node[]", "node[3-1]", "node[a-b]", "node[1-2-3]",
                          "a,,b", "", "n[[1]]", "n[1,]", "n[1-2]]", "n[-2]"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(expand_hostlist(bad),
                         doctest::Contains(("invalid hostlist '" + std::string(bad) + "'").c_str()),
                         std::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(expand_hostlist("n[3-1]"), doctest::Contains("goes down"),
                       std::invalid_argument);
}

TEST_CASE("hostlist: huge expansions stop at the limit instead of eating memory") {
  CHECK_THROWS_WITH_AS(expand_hostlist("n[0-999999999]"),
                       doctest::Contains("more than 100000 hosts"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(expand_hostlist("a[0-999]b[0-999]"),
                       doctest::Contains("more than 100000 hosts"), std::invalid_argument);
  CHECK_THROWS_AS(expand_hostlist("n[0-99999999999999999999999]"), std::invalid_argument);
  CHECK(expand_hostlist("n[1-50000],m[1-50000]").size() == 100000);
}
