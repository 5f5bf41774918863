#pragma once
// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with everything in it when
// the test is over. Plus small file helpers the suites share.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace dlaunch::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // The directory, or `child` inside it, as a string (for APIs that take one).
  std::string str(const std::string& child = "") const {
    return child.empty() ? path_.string() : (path_ / child).string();
  }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content, bool executable = false);
std::vector<std::string> read_lines(const std::filesystem::path& path);
// KEY=VALUE lines (as `env` prints them, or a worker's dump) as a map; other lines skipped.
std::map<std::string, std::string> parse_env_file(const std::filesystem::path& path);
// True while a process with this pid exists (zombies count as gone).
bool process_alive(int pid);

}  // namespace dlaunch::testing
