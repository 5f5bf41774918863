#pragma once
// RankLog: the append-only file <log_dir>/70_driver_log_<rank>.txt of one global rank,
// shared by that rank's stdout and stderr pumps. It is opened once per attempt, in append
// mode, so earlier attempts (and earlier runs in the same directory) are never lost; each
// attempt begins with a marker line. Agent thread only.

#include <filesystem>
#include <string>
#include <string_view>

#include "agent/unique_fd.hpp"

namespace dlaunch::agent {

class RankLog {
 public:
  // Creates the directory if needed and opens the file. Throws std::system_error naming it.
  explicit RankLog(std::filesystem::path path);

  void append(std::string_view data);
  // A new write-only, append-mode descriptor of the file, for a worker that writes it
  // directly: its own open file description, so flags the worker sets on its stdout do
  // not reach ours. Throws std::system_error naming the file.
  UniqueFd open_for_writer() const;
  const std::filesystem::path& path() const { return path_; }
  // Bytes written since open; a failed write is reported once on stderr, then counted here.
  std::uint64_t lost_bytes() const { return lost_bytes_; }

  static std::filesystem::path path_for(const std::filesystem::path& log_dir, int rank);

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
  std::uint64_t lost_bytes_ = 0;
};

// The last `max_lines` lines of a file (at most the last 64 KiB are read).
std::string tail_of_file(const std::filesystem::path& path, int max_lines);

}  // namespace dlaunch::agent
