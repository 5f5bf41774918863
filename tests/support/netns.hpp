#pragma once
// NetnsHosts: N test "hosts" (network namespaces on a private bridge, see scripts/netns.sh),
// made in the constructor and removed, with everything still running in them, in the
// destructor. Needs root. Each test process gets its own names and subnet.

#include <string>
#include <vector>

namespace dlaunch::testing {

class NetnsHosts {
 public:
  explicit NetnsHosts(int hosts);
  ~NetnsHosts();
  NetnsHosts(const NetnsHosts&) = delete;
  NetnsHosts& operator=(const NetnsHosts&) = delete;

  int size() const { return hosts_; }
  // Host i is 1-based: address(1) is the first host's eth0 address.
  std::string address(int i) const;
  // Prefix that runs a command on host i: {"ip", "netns", "exec", "<name>-h<i>"}.
  std::vector<std::string> exec_prefix(int i) const;
  // argv run on host i.
  std::vector<std::string> on_host(int i, const std::vector<std::string>& argv) const;
  // Cuts (or restores) host i's link.
  void set_link(int i, bool up) const;
  const std::string& name() const { return name_; }

 private:
  int hosts_;
  std::string name_;
  std::string subnet_;
};

// True when this process may make network namespaces (root).
bool can_make_netns();

}  // namespace dlaunch::testing
