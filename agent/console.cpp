#include "agent/console.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/agent_config.hpp"

namespace dlaunch::agent {

void Console::write_lines(int stream, std::string_view prefix, std::string_view lines) {
  const int index = stream == kStderr ? 1 : 0;
  if (closed_[index] || lines.empty()) return;
  scratch_.clear();
  while (!lines.empty()) {
    const auto* nl = static_cast<const char*>(std::memchr(lines.data(), '\n', lines.size()));
    const std::size_t len = nl ? static_cast<std::size_t>(nl - lines.data()) + 1 : lines.size();
    scratch_.append(prefix);
    scratch_.append(lines.substr(0, len));
    if (!nl) scratch_.push_back('\n');  // a final partial line still ends the console line
    lines.remove_prefix(len);
  }
  write_all(index, scratch_);
}

void Console::write_all(int index, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fds_[index], data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        // Someone made our stdout non-blocking: wait for it rather than drop lines.
        ::usleep(1000);
        continue;
      }
      closed_[index] = true;  // EPIPE and friends: nobody is reading any more
      return;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string line_prefix(const std::string& templ, const std::string& role, int local_rank,
                        int rank) {
  if (templ.empty()) return "[" + std::to_string(rank) + "]: ";
  std::string out;
  for (std::size_t i = 0; i < templ.size();) {
    auto try_var = [&](std::string_view name, const std::string& value) {
      const std::string token = "${" + std::string(name) + "}";
      if (templ.compare(i, token.size(), token) != 0) return false;
      out += value;
      i += token.size();
      return true;
    };
    if (try_var("rank", std::to_string(rank)) ||
        try_var("local_rank", std::to_string(local_rank)) || try_var("role_name", role)) {
      continue;
    }
    out.push_back(templ[i++]);
  }
  return out;
}

}  // namespace dlaunch::agent
