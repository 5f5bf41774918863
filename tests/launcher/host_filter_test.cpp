#include "launcher/host_filter.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using namespace dlaunch::launcher;

namespace {

const std::vector<HostfileEntry> kHosts = {
    {"worker-0", 4, 1}, {"worker-1", 4, 2}, {"worker-2", 2, 3}, {"fe80::1", 2, 4}};

// "host:slots" per selected host, for compact expectations.
std::vector<std::string> summary(const std::vector<HostSlots>& hosts) {
  std::vector<std::string> out;
  for (const auto& host : hosts) out.push_back(host.host + ":" + host.visible_devices());
  return out;
}

}  // namespace

TEST_CASE("host_filter: DeepSpeed's --include / --exclude semantics") {
  struct Case {
    const char* include;
    const char* exclude;
    std::vector<std::string> selected;
  };
  const std::vector<Case> cases = {
      {"", "", {"worker-0:0,1,2,3", "worker-1:0,1,2,3", "worker-2:0,1", "fe80::1:0,1"}},
      // DeepSpeed's own docstring examples
      {"worker-0@worker-1:0,2", "", {"worker-0:0,1,2,3", "worker-1:0,2"}},
      {"", "worker-1:0", {"worker-0:0,1,2,3", "worker-1:1,2,3", "worker-2:0,1", "fe80::1:0,1"}},
      // the hostfile's order wins over the filter's; slots keep the order written, once each
      {"worker-2@worker-0:3,1,3", "", {"worker-0:3,1", "worker-2:0,1"}},
      {"", "worker-0@worker-2:1", {"worker-1:0,1,2,3", "worker-2:0", "fe80::1:0,1"}},
      // a host whose every slot is excluded disappears
      {"", "worker-2:0,1@worker-1:0,0", {"worker-0:0,1,2,3", "worker-1:1,2,3", "fe80::1:0,1"}},
      // IPv6 literal: exact host first, then the slots after the last ':'
      {"fe80::1", "", {"fe80::1:0,1"}},
      {"fe80::1:1", "", {"fe80::1:1"}},
  };
  for (const auto& test : cases) {
    CAPTURE(test.include);
    CAPTURE(test.exclude);
    CHECK(summary(select_hosts(kHosts, test.include, test.exclude)) == test.selected);
  }
}

TEST_CASE("host_filter: nproc, all_slots and the devices a filtered host must see") {
  const auto hosts = select_hosts(kHosts, "worker-0@worker-1:0,2", "");
  REQUIRE(hosts.size() == 2);
  CHECK(hosts[0].nproc() == 4);
  CHECK(hosts[0].all_slots());
  CHECK(hosts[1].nproc() == 2);
  CHECK_FALSE(hosts[1].all_slots());
  CHECK(hosts[1].visible_devices() == "0,2");
  CHECK(hosts[1].hostfile_slots == 4);
  // the same slots in another order are not "all slots": LOCAL_RANK 0 must get device 1
  CHECK_FALSE(select_hosts(kHosts, "worker-2:1,0", "")[0].all_slots());
}

TEST_CASE("host_filter: bad filters are one clear error") {
  struct Case {
    const char* include;
    const char* exclude;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"worker-0", "worker-1", "--include and --exclude are mutually exclusive"},
      {"worker-9", "", "--include 'worker-9': host 'worker-9' is not in the hostfile"},
      {"worker-1:4", "",
       "--include 'worker-1:4': no slot 4 on host 'worker-1' (slots=4: indices 0-3; slots are "
       "device indices, not counts)"},
      {"worker-1:", "", "--include 'worker-1:': empty slot list after 'worker-1:'"},
      {"worker-1:0,,1", "", "slot '' on host 'worker-1' is not a slot index"},
      {"worker-1:x", "", "slot 'x' on host 'worker-1' is not a slot index"},
      {"worker-1:-1", "", "slot '-1' on host 'worker-1' is not a slot index"},
      {"worker-0@@worker-1", "", "empty node spec"},
      {"worker-0@", "", "empty node spec"},
      {"worker-0@worker-0:1", "", "host 'worker-0' is named twice"},
      {":0", "", "empty host name in ':0'"},
      {"", "worker-0@worker-1@worker-2@fe80::1",
       "--exclude 'worker-0@worker-1@worker-2@fe80::1' leaves no host to run on"},
      {"", "nobody:0", "--exclude 'nobody:0': host 'nobody' is not in the hostfile"},
  };
  for (const auto& test : cases) {
    CAPTURE(test.include);
    CAPTURE(test.exclude);
    CHECK_THROWS_WITH_AS(select_hosts(kHosts, test.include, test.exclude),
                         doctest::Contains(test.message), std::invalid_argument);
  }
}
