#include "tests/support/netns.hpp"

#include <unistd.h>

#include <atomic>
#include <stdexcept>

#include "tests/support/subprocess.hpp"

namespace dlaunch::testing {
namespace {

std::string netns_script() { return source_path("scripts/netns.sh").string(); }

void must_run(const std::vector<std::string>& argv) {
  const auto result = run(argv, {}, {}, std::chrono::seconds(30));
  if (result.exit_code != 0) {
    throw std::runtime_error("'" + argv[1] + "' failed: " + result.err);
  }
}

}  // namespace

bool can_make_netns() { return ::geteuid() == 0; }

NetnsHosts::NetnsHosts(int hosts) : hosts_(hosts) {
  static std::atomic<int> serial{0};
  const int pid = static_cast<int>(::getpid());
  const int n = serial++;
  // Short names (interfaces are "<name>-v<i>", at most 15 characters), distinct per process.
  name_ = "dl" + std::to_string(pid % 100000) + "n" + std::to_string(n % 10);
  subnet_ = "10." + std::to_string(200 + (pid % 50)) + "." + std::to_string((pid / 50 + n) % 250);
  must_run({netns_script(), "up", name_, std::to_string(hosts_), subnet_});
}

NetnsHosts::~NetnsHosts() {
  run({netns_script(), "down", name_, std::to_string(hosts_)}, {}, {}, std::chrono::seconds(30));
}

std::string NetnsHosts::address(int i) const { return subnet_ + "." + std::to_string(i); }

std::vector<std::string> NetnsHosts::exec_prefix(int i) const {
  return {"ip", "netns", "exec", name_ + "-h" + std::to_string(i)};
}

std::vector<std::string> NetnsHosts::on_host(int i, const std::vector<std::string>& argv) const {
  auto full = exec_prefix(i);
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

void NetnsHosts::set_link(int i, bool up) const {
  must_run({netns_script(), "link", name_, std::to_string(i), up ? "up" : "down"});
}

}  // namespace dlaunch::testing
