#pragma once
// Hostfile: the hosts an ssh fan-out starts one agent on, read from `--hostfile FILE`.
// Accepted lines (DeepSpeed's format, which is Open MPI's, plus plain host lists):
//   host slots=N            N workers on host
//   host slots=N max_slots=M  Open MPI's max_slots is accepted and ignored
//   host                    --nproc_per_node workers on host
//   # comment, blank lines, and trailing "# ..." comments
// Host names are passed to ssh as they are; "user@host" is refused (the '@' is the node
// separator of --include/--exclude), put the user in ~/.ssh/config or --ssh_cmd instead.
// Every error names "file:line" and quotes the line. A missing or empty file is an error:
// there is never a silent fallback to the local machine.

#include <string>
#include <string_view>
#include <vector>

namespace dlaunch::launcher {

struct HostfileEntry {
  std::string host;
  int slots = 0;  // workers on this host (>= 1)
  int line = 0;   // 1-based line in the file, for later messages

  bool operator==(const HostfileEntry&) const = default;
};

// Parses hostfile text. `origin` names the file in messages; `default_slots` (>= 1) is used for
// lines without slots=. Throws std::invalid_argument "origin:line: ..." on a bad line, a
// duplicate host ("... (first at line K)"), or no host at all.
std::vector<HostfileEntry> parse_hostfile(std::string_view text, std::string_view origin,
                                          int default_slots);

// Reads and parses the file at `path`. A file that is missing or unreadable is an error too.
std::vector<HostfileEntry> read_hostfile(const std::string& path, int default_slots);

}  // namespace dlaunch::launcher
