#pragma once
// The launcher folder's logger ("launcher"), see rendezvous/logging.hpp.
#include "rendezvous/logging.hpp"

namespace dlaunch::launcher {
inline spdlog::logger& log() {
  static const auto logger = named_logger("launcher");
  return *logger;
}
}  // namespace dlaunch::launcher
