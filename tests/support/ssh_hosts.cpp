#include "tests/support/ssh_hosts.hpp"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>

namespace dlaunch::testing {
namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";

void must_run(const std::vector<std::string>& argv) {
  const auto result = run(argv, {}, {}, std::chrono::seconds(30));
  if (result.exit_code != 0) {
    throw std::runtime_error("'" + argv[0] + "' failed: " + result.err);
  }
}

std::string sshd_config(const std::filesystem::path& dir, const std::string& address, int i) {
  return "ListenAddress " + address +
         ":22\n"
         "HostKey " +
         (dir / "host_key").string() +
         "\n"
         "AuthorizedKeysFile " +
         (dir / "authorized_keys").string() +
         "\n"
         "PidFile " +
         (dir / ("sshd_" + std::to_string(i) + ".pid")).string() +
         "\n"
         "UsePAM no\n"
         "PermitRootLogin yes\n"
         "StrictModes no\n"
         "PubkeyAuthentication yes\n"
         "PasswordAuthentication no\n"
         "KbdInteractiveAuthentication no\n"
         "PrintMotd no\n"
         "PrintLastLog no\n"
         "UseDNS no\n"
         "MaxStartups 100\n"
         // A client whose link is cut is dropped within ~2 s, so its session ends.
         "ClientAliveInterval 1\n"
         "ClientAliveCountMax 2\n"
         "LogLevel ERROR\n";
}

}  // namespace

bool can_run_sshd() {
  return ::geteuid() == 0 && ::access(kSshd, X_OK) == 0 && ::access("/usr/bin/ssh", X_OK) == 0 &&
         ::access("/usr/bin/ssh-keygen", X_OK) == 0;
}

SshHosts::SshHosts(int hosts) : net_(hosts) {
  const auto dir = dir_.path();
  std::filesystem::create_directories(dir / "key dir");
  must_run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dlaunch-test-host", "-f",
            (dir / "host_key").string()});
  must_run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dlaunch-test-client", "-f",
            (dir / "key dir" / "client_key").string()});
  write_file(dir / "authorized_keys", read_file(dir / "key dir" / "client_key.pub"));
  // sshd's privilege separation directory.
  std::filesystem::create_directories("/run/sshd");
  for (int i = 1; i <= hosts; ++i) {
    const auto config = dir / ("sshd_config_" + std::to_string(i));
    write_file(config, sshd_config(dir, address(i), i));
    sshd_.push_back(std::make_unique<Subprocess>(
        net_.on_host(i, {kSshd, "-D", "-e", "-f", config.string()}),
        std::map<std::string, std::string>{}, dir / ("sshd_" + std::to_string(i) + ".out"),
        dir / ("sshd_" + std::to_string(i) + ".err")));
  }
  for (int i = 1; i <= hosts; ++i) {
    const auto pid_file = dir / ("sshd_" + std::to_string(i) + ".pid");
    // sshd writes its pid file once it listens.
    if (!eventually([&] { return std::filesystem::exists(pid_file); }, std::chrono::seconds(10))) {
      throw std::runtime_error("sshd on host " + std::to_string(i) + " did not start: " +
                               read_file(dir / ("sshd_" + std::to_string(i) + ".err")));
    }
  }
}

SshHosts::~SshHosts() {
  for (auto& sshd : sshd_) {
    if (!sshd) continue;
    sshd->signal(SIGKILL);
    sshd->wait_for(std::chrono::seconds(5));
  }
}

std::string SshHosts::ssh_cmd(int connect_timeout) const {
  return "ssh -F /dev/null -i '" + (dir_.path() / "key dir" / "client_key").string() +
         "' -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes"
         " -o LogLevel=ERROR -o ConnectTimeout=" +
         std::to_string(connect_timeout) + " -o ServerAliveInterval=1 -o ServerAliveCountMax=2";
}

void SshHosts::stop_sshd(int i) {
  auto& sshd = sshd_.at(static_cast<std::size_t>(i - 1));
  if (!sshd) return;
  sshd->signal(SIGKILL);
  sshd->wait_for(std::chrono::seconds(5));
  sshd.reset();
}

}  // namespace dlaunch::testing
