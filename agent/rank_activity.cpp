#include "agent/rank_activity.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace dlaunch::agent {
namespace {

constexpr std::array<const char*, 5> kPhaseNames = {"starting", "running", "succeeded", "failed",
                                                    "stopped"};
constexpr std::array<const char*, kProgressSources> kSourceNames = {"output", "store", "timer"};

std::int64_t ms_or_zero(WallClock::time_point t) {
  return t == WallClock::time_point{} ? 0 : to_epoch_ms(t);
}

template <typename T>
T value_or(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

WallClock::time_point time_at(const nlohmann::json& j, const char* key) {
  return from_epoch_ms(value_or<std::int64_t>(j, key, 0));
}

}  // namespace

const char* phase_name(RankPhase phase) {
  return kPhaseNames.at(static_cast<std::size_t>(phase));
}

std::optional<RankPhase> phase_from_name(const std::string& name) {
  for (std::size_t i = 0; i < kPhaseNames.size(); ++i) {
    if (name == kPhaseNames[i]) return static_cast<RankPhase>(i);
  }
  return std::nullopt;
}

const char* source_name(ProgressSource source) {
  return kSourceNames.at(static_cast<std::size_t>(source));
}

std::int64_t to_epoch_ms(WallClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

WallClock::time_point from_epoch_ms(std::int64_t ms) {
  return WallClock::time_point{
      std::chrono::duration_cast<WallClock::duration>(std::chrono::milliseconds(ms))};
}

WallClock::time_point RankActivity::last_any_progress() const {
  return *std::max_element(std::begin(last_progress), std::end(last_progress));
}

void RankActivity::touch(ProgressSource source, WallClock::time_point when) {
  auto& last = last_progress[static_cast<int>(source)];
  last = std::max(last, when);
}

nlohmann::json to_json(const RankActivity& r) {
  nlohmann::json progress = nlohmann::json::object();
  for (int i = 0; i < kProgressSources; ++i) {
    progress[kSourceNames[i]] = ms_or_zero(r.last_progress[i]);
  }
  nlohmann::json scopes = nlohmann::json::array();
  for (const auto& s : r.open_scopes) {
    scopes.push_back({{"scope", s.scope}, {"expires_ms", ms_or_zero(s.expires)}});
  }
  nlohmann::json j = {
      {"rank", r.rank},
      {"local_rank", r.local_rank},
      {"node_rank", r.node_rank},
      {"host", r.host},
      {"attempt", r.attempt},
      {"pid", r.pid},
      {"log", r.log_path},
      {"error_file", r.error_file},
      {"state", phase_name(r.phase)},
      {"start_ms", ms_or_zero(r.start_time)},
      {"end_ms", ms_or_zero(r.end_time)},
      {"exit", r.exit},
      {"progress_ms", progress},
      {"bytes_logged", r.bytes_logged},
      {"last_line", r.last_line},
      {"store_ops", r.store_ops},
      {"store_waiting_key", r.store_waiting_key},
      {"store_waiting_since_ms", ms_or_zero(r.store_waiting_since)},
      {"open_scopes", scopes},
      {"cpu_seconds", r.cpu_seconds},
      {"cpu_percent", r.cpu_percent},
      {"proc_state", std::string(1, r.proc_state)},
      {"wchan", r.wchan},
      {"processes", r.processes},
      {"verdict", r.verdict},
  };
  j["exit_code"] = r.exit_code ? nlohmann::json(*r.exit_code) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json to_json(const NodeActivity& n) {
  nlohmann::json ranks = nlohmann::json::array();
  for (const auto& r : n.ranks) ranks.push_back(to_json(r));
  return {{"node_rank", n.node_rank}, {"host", n.host}, {"addr", n.addr},
          {"attempt", n.attempt},     {"ranks", ranks}, {"sampled_ms", ms_or_zero(n.sampled_at)}};
}

RankActivity rank_activity_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("a rank's activity is not a JSON object");
  RankActivity r;
  r.rank = j.at("rank").get<int>();
  r.local_rank = value_or(j, "local_rank", 0);
  r.node_rank = value_or(j, "node_rank", 0);
  r.host = value_or<std::string>(j, "host", "");
  r.attempt = value_or(j, "attempt", 0);
  r.pid = value_or(j, "pid", -1);
  r.log_path = value_or<std::string>(j, "log", "");
  r.error_file = value_or<std::string>(j, "error_file", "");
  const auto phase = phase_from_name(value_or<std::string>(j, "state", "starting"));
  if (!phase) throw std::invalid_argument("unknown rank state in " + j.dump());
  r.phase = *phase;
  r.start_time = time_at(j, "start_ms");
  r.end_time = time_at(j, "end_ms");
  r.exit = value_or<std::string>(j, "exit", "");
  if (j.contains("exit_code") && !j["exit_code"].is_null()) r.exit_code = j["exit_code"].get<int>();
  if (auto it = j.find("progress_ms"); it != j.end() && it->is_object()) {
    for (int i = 0; i < kProgressSources; ++i) {
      r.last_progress[i] = time_at(*it, kSourceNames[i]);
    }
  }
  r.bytes_logged = value_or<std::uint64_t>(j, "bytes_logged", 0);
  r.last_line = value_or<std::string>(j, "last_line", "");
  r.store_ops = value_or<std::uint64_t>(j, "store_ops", 0);
  r.store_waiting_key = value_or<std::string>(j, "store_waiting_key", "");
  r.store_waiting_since = time_at(j, "store_waiting_since_ms");
  if (auto it = j.find("open_scopes"); it != j.end() && it->is_array()) {
    for (const auto& s : *it) {
      r.open_scopes.push_back({s.at("scope").get<std::string>(), time_at(s, "expires_ms")});
    }
  }
  r.cpu_seconds = value_or(j, "cpu_seconds", 0.0);
  r.cpu_percent = value_or(j, "cpu_percent", 0.0);
  const auto state = value_or<std::string>(j, "proc_state", "?");
  r.proc_state = state.empty() ? '?' : state[0];
  r.wchan = value_or<std::string>(j, "wchan", "");
  r.processes = value_or(j, "processes", 0);
  r.verdict = value_or<std::string>(j, "verdict", "");
  return r;
}

NodeActivity node_activity_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("a node's activity is not a JSON object");
  NodeActivity n;
  n.node_rank = j.at("node_rank").get<int>();
  n.host = value_or<std::string>(j, "host", "");
  n.addr = value_or<std::string>(j, "addr", "");
  n.attempt = value_or(j, "attempt", 0);
  n.sampled_at = time_at(j, "sampled_ms");
  for (const auto& r : j.at("ranks")) n.ranks.push_back(rank_activity_from_json(r));
  return n;
}

}  // namespace dlaunch::agent
