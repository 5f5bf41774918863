#pragma once
// How a line a remote dlaunch printed is shown on the launching console. The remote agent
// already tags its workers' lines "[<rank>]: "; the fan-out puts the host in that tag,
// "[<host>:<rank>]: ", and tags every other line (the remote agent's own log lines, its
// summary) "[<host>]: ". Lines keep their bytes; only the tag changes.

#include <string>
#include <string_view>

namespace dlaunch::launcher {

struct HostTagged {
  std::string prefix;     // "[node-b:5]: " or "[node-b]: "
  std::string_view body;  // the line without the remote's "[5]: "
};

HostTagged tag_remote_line(std::string_view host, std::string_view line);

}  // namespace dlaunch::launcher
