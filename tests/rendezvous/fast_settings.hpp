#pragma once
// Rendezvous settings with timeouts short enough for tests (a lost node is noticed in 300 ms).

#include <chrono>

#include "rendezvous/rendezvous_settings.hpp"

namespace dlaunch::rendezvous::test {

inline RendezvousSettings fast_settings(int min_nodes, int max_nodes, bool dynamic) {
  using namespace std::chrono_literals;
  RendezvousSettings s;
  s.run_id = "job";
  s.dynamic = dynamic;
  s.min_nodes = min_nodes;
  s.max_nodes = max_nodes;
  s.endpoint = Endpoint{"10.0.0.1", 6105};
  s.join_timeout = 2s;
  s.last_call_timeout = 200ms;
  s.close_timeout = 2s;
  s.keep_alive_interval = 50ms;
  s.heartbeat_timeout = 300ms;
  s.shutdown_timeout = 1s;
  return s;
}

}  // namespace dlaunch::rendezvous::test
