#include "launcher/host_tag.hpp"

namespace dlaunch::launcher {

HostTagged tag_remote_line(std::string_view host, std::string_view line) {
  // "[<digits>]: " at the very start is the remote agent's rank tag.
  if (line.size() > 4 && line[0] == '[') {
    std::size_t i = 1;
    while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
    if (i > 1 && line.substr(i).starts_with("]: ")) {
      return {"[" + std::string(host) + ":" + std::string(line.substr(1, i - 1)) + "]: ",
              line.substr(i + 3)};
    }
  }
  return {"[" + std::string(host) + "]: ", line};
}

}  // namespace dlaunch::launcher
