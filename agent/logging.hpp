#pragma once
// The agent folder's logger ("agent"), see rendezvous/logging.hpp.
#include "rendezvous/logging.hpp"

namespace dlaunch::agent {
inline spdlog::logger& log() {
  static const auto logger = named_logger("agent");
  return *logger;
}
}  // namespace dlaunch::agent
