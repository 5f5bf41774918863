#pragma once
// The Prometheus exposition of `GET /metrics` (text format 0.0.4): the same model as /status,
// as metric families built on each scrape and written by prometheus-cpp's core serializer (its
// pull part, with civetweb server threads of its own, is not used: the agent's loop serves).
// Names follow Prometheus' rules: a dlaunch_ prefix, base units (_seconds, _bytes), _total for
// counters, no host label (the scraper adds instance). Job-wide families (workers, nodes) come
// from the node that serves the store; per-rank families only for this node's own ranks (at most
// its local world size of series). README "Metrics" explains each. Functions only.

#include <string>

#include "agent/job_status.hpp"

namespace dlaunch::agent {

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string metrics_text(const StatusInputs& in, WallClock::time_point now = WallClock::now());

}  // namespace dlaunch::agent
