#include "agent/rank_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "agent/logging.hpp"

namespace dlaunch::agent {

std::filesystem::path RankLog::path_for(const std::filesystem::path& log_dir, int rank) {
  return log_dir / ("70_driver_log_" + std::to_string(rank) + ".txt");
}

RankLog::RankLog(std::filesystem::path path) : path_(std::move(path)) {
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot open log file " + path_.string());
  }
  fd_.reset(fd);
}

UniqueFd RankLog::open_for_writer() const {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot open log file " + path_.string());
  }
  return UniqueFd(fd);
}

void RankLog::append(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (lost_bytes_ == 0) {
        log().error("cannot write {}: {}", path_.string(), std::strerror(errno));
      }
      lost_bytes_ += data.size();
      return;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string tail_of_file(const std::filesystem::path& path, int max_lines) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  const off_t size = ::lseek(fd.get(), 0, SEEK_END);
  constexpr off_t kWindow = 64 * 1024;
  const off_t start = size > kWindow ? size - kWindow : 0;
  std::string data(static_cast<std::size_t>(size - start), '\0');
  const ssize_t n = ::pread(fd.get(), data.data(), data.size(), start);
  data.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  if (!data.empty() && data.back() == '\n') data.pop_back();
  std::size_t pos = data.size();
  for (int lines = 0; lines < max_lines && pos != std::string::npos && pos > 0; ++lines) {
    pos = data.rfind('\n', pos - 1);
  }
  return pos == std::string::npos || pos == 0 ? data : data.substr(pos + 1);
}

}  // namespace dlaunch::agent
