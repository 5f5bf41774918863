#include "trainer/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace dlaunch::trainer {
namespace {

std::atomic<int> g_rank{0};
std::mutex g_mutex;

void write(const char* level, const std::string& message) {
  std::string line = "dtrain[" + std::to_string(g_rank.load()) + "]: " + level + message + "\n";
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

void set_log_rank(int rank) { g_rank = rank; }
void log_info(const std::string& message) { write("", message); }
void log_warning(const std::string& message) { write("warning: ", message); }
void log_error(const std::string& message) { write("error: ", message); }

}  // namespace dlaunch::trainer
