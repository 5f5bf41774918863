#include "tests/support/launched_node.hpp"

#include "tests/support/temp_dir.hpp"

namespace dlaunch::testing {

LaunchedNode::LaunchedNode(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env,
                           const std::filesystem::path& dir, const std::string& name)
    : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
  process_ = std::make_unique<Subprocess>(argv, env, out_, err_);
}

std::optional<int> LaunchedNode::wait(std::chrono::milliseconds timeout) {
  return process_->wait_for(timeout);
}

std::string LaunchedNode::out() const {
  return read_file(out_);
}
std::string LaunchedNode::err() const {
  return read_file(err_);
}

std::uint16_t LaunchedNode::served_port(std::chrono::milliseconds timeout) const {
  const std::string marker = "rendezvous on ";
  std::uint16_t port = 0;
  eventually(
      [&] {
        const std::string text = err();
        const auto at = text.find(marker);
        if (at == std::string::npos) return false;
        const auto end = text.find(' ', at + marker.size());
        const std::string endpoint = text.substr(at + marker.size(), end - at - marker.size());
        port = static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
        return true;
      },
      timeout);
  return port;
}

bool LaunchedNode::logged(const std::string& text, std::chrono::milliseconds timeout) const {
  return eventually([&] { return err().find(text) != std::string::npos; }, timeout);
}

}  // namespace dlaunch::testing
