#pragma once
// SshHosts: N test hosts (network namespaces, see netns.hpp) each running its own Debian
// openssh-server, for whole-program tests of the ssh fan-out. The harness makes a throwaway
// host key and client key in a temporary directory, starts one `sshd -D` per namespace bound
// to that namespace's address (root login by key only, no PAM), and kills them at the end.
// Namespaces share the filesystem and the pid space: a test sees every host's processes in
// /proc and every host's files. Needs root, /usr/sbin/sshd, ssh and ssh-keygen.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/netns.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace dlaunch::testing {

class SshHosts {
 public:
  explicit SshHosts(int hosts);
  ~SshHosts();
  SshHosts(const SshHosts&) = delete;
  SshHosts& operator=(const SshHosts&) = delete;

  const NetnsHosts& net() const { return net_; }
  int size() const { return net_.size(); }
  std::string address(int i) const { return net_.address(i); }
  // A --ssh_cmd that logs in to any of the hosts with the harness's key, without known_hosts
  // or the user's ssh config, giving up on a connect after `connect_timeout` seconds and on a
  // silent peer after ~2 s. The key lives in a directory with a space in its name.
  std::string ssh_cmd(int connect_timeout = 2) const;
  // Stops host i's sshd (1-based): its address then refuses connections.
  void stop_sshd(int i);

 private:
  NetnsHosts net_;
  TempDir dir_;
  std::vector<std::unique_ptr<Subprocess>> sshd_;
};

// True when this machine can run SshHosts (root, sshd and ssh installed).
bool can_run_sshd();

}  // namespace dlaunch::testing
