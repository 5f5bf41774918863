#include "rendezvous/logging.hpp"

#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace dlaunch {
namespace {

std::mutex registry_mutex;
spdlog::level::level_enum current_level = spdlog::level::info;

spdlog::sink_ptr shared_stderr_sink() {
  // One sink for all loggers so their lines never interleave mid-line.
  static const auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

}  // namespace

std::shared_ptr<spdlog::logger> named_logger(const std::string& name) {
  std::lock_guard lock(registry_mutex);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, shared_stderr_sink());
  logger->set_pattern("[dlaunch %H:%M:%S.%e %^%l%$] %v");
  logger->set_level(current_level);
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

void set_log_level(spdlog::level::level_enum level) {
  std::lock_guard lock(registry_mutex);
  current_level = level;
  spdlog::set_level(level);
}

}  // namespace dlaunch
