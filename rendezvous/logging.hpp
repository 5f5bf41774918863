#pragma once
// One named spdlog logger per folder ("rendezvous", "agent", "launcher"), all to stderr with
// the same pattern. Loggers are created on first use and live for the process; they are safe
// to call from any thread (spdlog's _mt sinks), though our daemons log from their one loop.

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace dlaunch {

// Returns the logger called `name`, creating it (stderr, shared pattern) on first use.
std::shared_ptr<spdlog::logger> named_logger(const std::string& name);

// Sets the level of every logger made by named_logger, now and later ("info", "debug", ...).
void set_log_level(spdlog::level::level_enum level);

}  // namespace dlaunch

namespace dlaunch::rendezvous {
inline spdlog::logger& log() {
  static const auto logger = named_logger("rendezvous");
  return *logger;
}
}  // namespace dlaunch::rendezvous
