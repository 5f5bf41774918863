#include "agent/job_metrics.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <sstream>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "rendezvous/store_server.hpp"
#include "rendezvous/wire.hpp"

#ifndef DLAUNCH_VERSION
#define DLAUNCH_VERSION "0"
#endif

namespace dlaunch::agent {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

constexpr std::array<RankPhase, 5> kRankPhases = {RankPhase::kStarting, RankPhase::kRunning,
                                                  RankPhase::kSucceeded, RankPhase::kFailed,
                                                  RankPhase::kStopped};
constexpr std::array<JobPhase, 7> kJobPhases = {
    JobPhase::kStarting,   JobPhase::kRendezvous, JobPhase::kRunning, JobPhase::kStopping,
    JobPhase::kRestarting, JobPhase::kSucceeded,  JobPhase::kFailed};

double unix_seconds(WallClock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

class Families {
 public:
  MetricFamily& family(const std::string& name, const std::string& help, MetricType type) {
    families_.push_back(MetricFamily{name, help, type, {}});
    return families_.back();
  }
  void gauge(const std::string& name, const std::string& help, double value, Labels labels = {}) {
    add(family(name, help, MetricType::Gauge), value, std::move(labels));
  }
  void counter(const std::string& name, const std::string& help, double value) {
    add(family(name, help, MetricType::Counter), value, {});
  }
  static void add(MetricFamily& f, double value, Labels labels) {
    ClientMetric m;
    m.label = std::move(labels);
    if (f.type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    f.metric.push_back(std::move(m));
  }
  std::string text() const {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families_);
    return out.str();
  }

 private:
  std::vector<MetricFamily> families_;
};

void job_families(Families& f, const StatusInputs& in, const std::vector<RankActivity>& ranks) {
  const auto& events = *in.events;
  f.gauge("dlaunch_build_info", "Always 1; the version label says which dlaunch serves.", 1,
          {{"version", DLAUNCH_VERSION}});
  auto& state =
      f.family("dlaunch_job_state", "1 for the phase the job is in as this agent sees it, else 0.",
               MetricType::Gauge);
  for (const auto phase : kJobPhases) {
    Families::add(state, events.phase() == phase ? 1 : 0, {{"state", phase_name(phase)}});
  }
  f.gauge("dlaunch_job_start_time_seconds", "When this agent started, as a Unix time.",
          unix_seconds(events.start_time()));
  f.gauge("dlaunch_attempt", "The current attempt (TORCHELASTIC_RESTART_COUNT).", events.attempt());
  if (events.attempt_start() != WallClock::time_point{}) {
    f.gauge("dlaunch_attempt_start_time_seconds", "When the current attempt began, as a Unix time.",
            unix_seconds(events.attempt_start()));
  }
  f.counter("dlaunch_restarts_total", "Restarts of the worker group the job has spent.",
            events.restarts_used());
  f.gauge("dlaunch_restart_budget_remaining", "Restarts left: max_restarts minus those spent.",
          events.restarts_left());
  f.counter("dlaunch_rendezvous_rounds_total", "Rendezvous rounds this agent took part in.",
            static_cast<double>(events.rounds()));
  const auto& rounds = events.round_durations();
  auto& duration =
      f.family("dlaunch_rendezvous_duration_seconds",
               "Time from starting to wait for a round until it formed.", MetricType::Histogram);
  ClientMetric h;
  h.histogram.sample_count = rounds.count;
  h.histogram.sample_sum = rounds.sum;
  for (std::size_t i = 0; i < JobEvents::kRoundBuckets.size(); ++i) {
    h.histogram.bucket.push_back({rounds.buckets[i], JobEvents::kRoundBuckets[i]});
  }
  h.histogram.bucket.push_back({rounds.count, std::numeric_limits<double>::infinity()});
  duration.metric.push_back(std::move(h));
  f.gauge("dlaunch_world_size", "Workers in the job's current round (WORLD_SIZE).",
          in.config->world_size);

  std::map<RankPhase, int> by_phase;
  for (const auto& r : ranks) ++by_phase[r.phase];
  auto& workers =
      f.family("dlaunch_workers",
               in.job_scope ? "Workers of the job by state (every node's, as last reported)."
                            : "Workers of this node by state.",
               MetricType::Gauge);
  for (const auto phase : kRankPhases) {
    Families::add(workers, by_phase[phase], {{"state", phase_name(phase)}});
  }
  f.counter("dlaunch_worker_starts_total", "Worker processes this agent started.",
            static_cast<double>(events.starts()));
  auto& exits = f.family("dlaunch_worker_exits_total",
                         "Worker processes of this agent that exited, by how they ended.",
                         MetricType::Counter);
  const auto& e = events.exits();
  Families::add(exits, static_cast<double>(e.success), {{"outcome", "success"}});
  Families::add(exits, static_cast<double>(e.exit_code), {{"outcome", "exit_code"}});
  Families::add(exits, static_cast<double>(e.signal), {{"outcome", "signal"}});
  Families::add(exits, static_cast<double>(e.stopped), {{"outcome", "stopped"}});
  f.counter("dlaunch_hang_verdicts_total", "Hang verdicts given on this node's workers.",
            static_cast<double>(events.hang_verdicts()));
}

void node_families(Families& f, const StatusInputs& in, const std::vector<RankActivity>& ranks) {
  if (!in.job_scope || in.nodes.empty()) return;
  std::map<std::string, int> by_state;
  std::optional<double> oldest;
  for (const auto& node : in.nodes) {
    std::vector<const RankActivity*> mine;
    for (const auto& r : ranks) {
      if (r.node_rank == node.node_rank) mine.push_back(&r);
    }
    ++by_state[node_state(node, mine)];
    if (node.heartbeat_age_s) oldest = std::max(oldest.value_or(0.0), *node.heartbeat_age_s);
  }
  auto& nodes = f.family("dlaunch_nodes", "Nodes of the job by state.", MetricType::Gauge);
  for (const char* state : {"running", "starting", "waiting", "failed", "stopped", "succeeded",
                            "spare", "joining", "lost"}) {
    Families::add(nodes, by_state[state], {{"state", state}});
  }
  if (oldest) {
    f.gauge("dlaunch_node_heartbeat_age_max_seconds",
            "The oldest heartbeat among the job's nodes: seconds since it came.", *oldest);
  }
}

void rank_families(Families& f, const StatusInputs& in, const std::vector<RankActivity>& ranks,
                   WallClock::time_point now) {
  auto& up =
      f.family("dlaunch_rank_up", "1 while this node's rank runs, else 0.", MetricType::Gauge);
  auto& code = f.family("dlaunch_rank_exit_code",
                        "Exit code of the rank's last attempt (128+N for signal N), once it ended.",
                        MetricType::Gauge);
  auto& output = f.family("dlaunch_rank_output_age_seconds",
                          "Seconds since the rank's last output line (since its start before one).",
                          MetricType::Gauge);
  auto& cpu = f.family("dlaunch_rank_cpu_seconds_total",
                       "CPU time of the rank's process tree in this attempt.", MetricType::Counter);
  auto& bytes = f.family("dlaunch_rank_log_bytes_total",
                         "Bytes the rank wrote to its log in this attempt.", MetricType::Counter);
  for (const auto& r : ranks) {
    if (r.node_rank != in.config->node_rank) continue;
    const Labels labels = {{"rank", std::to_string(r.rank)},
                           {"local_rank", std::to_string(r.local_rank)}};
    Families::add(up, r.phase == RankPhase::kRunning ? 1 : 0, labels);
    if (r.exit_code) Families::add(code, *r.exit_code, labels);
    const auto last = std::max(r.progress(ProgressSource::kOutput), r.start_time);
    if (last != WallClock::time_point{}) {
      Families::add(output, std::max(0.0, std::chrono::duration<double>(now - last).count()),
                    labels);
    }
    Families::add(cpu, r.cpu_seconds, labels);
    Families::add(bytes, static_cast<double>(r.bytes_logged), labels);
  }
}

void store_families(Families& f, const rendezvous::StoreServer& store) {
  const auto s = store.stats();
  auto& connections =
      f.family("dlaunch_store_connections",
               "Open connections to the store port by what they speak.", MetricType::Gauge);
  Families::add(connections, static_cast<double>(s.v1), {{"dialect", "v1"}});
  Families::add(connections, static_cast<double>(s.v2), {{"dialect", "v2"}});
  Families::add(connections, static_cast<double>(s.agent), {{"dialect", "agent"}});
  Families::add(connections, static_cast<double>(s.http), {{"dialect", "http"}});
  Families::add(connections, static_cast<double>(s.unclassified), {{"dialect", "unknown"}});
  auto& ops = f.family("dlaunch_store_requests_total", "Store requests served, by operation.",
                       MetricType::Counter);
  for (std::size_t i = 0; i < rendezvous::kOpCount; ++i) {
    Families::add(ops, static_cast<double>(s.ops_total[i]),
                  {{"op", lower(rendezvous::op_name(static_cast<rendezvous::Op>(i)))}});
  }
  auto& waiting = f.family("dlaunch_store_waiting_clients",
                           "Blocked WAIT and BARRIER requests, by key space.", MetricType::Gauge);
  Families::add(waiting, static_cast<double>(s.worker_waiters), {{"space", "workers"}});
  Families::add(waiting, static_cast<double>(s.agent_waiters), {{"space", "agents"}});
  auto& keys = f.family("dlaunch_store_keys", "Keys held, by key space.", MetricType::Gauge);
  Families::add(keys, static_cast<double>(s.worker_keys), {{"space", "workers"}});
  Families::add(keys, static_cast<double>(s.agent_keys), {{"space", "agents"}});
  auto& held =
      f.family("dlaunch_store_held_bytes",
               "Bytes of keys, values and queued items held, by key space.", MetricType::Gauge);
  Families::add(held, static_cast<double>(s.worker_bytes), {{"space", "workers"}});
  Families::add(held, static_cast<double>(s.agent_bytes), {{"space", "agents"}});
  f.counter("dlaunch_store_connections_accepted_total", "Connections the store port accepted.",
            static_cast<double>(s.accepted_total));
  f.counter("dlaunch_store_connections_refused_total",
            "Connections closed at their opening: garbage, a wrong token, a refused peer, a stale "
            "epoch, or HTTP over its limit.",
            static_cast<double>(s.refused_total));
  f.counter("dlaunch_http_requests_total", "HTTP requests answered on the store port.",
            static_cast<double>(s.http_service.requests));
}

}  // namespace

std::string metrics_text(const StatusInputs& in, WallClock::time_point now) {
  const auto ranks = in.activity->ranks();
  Families f;
  job_families(f, in, ranks);
  node_families(f, in, ranks);
  rank_families(f, in, ranks, now);
  if (in.store) store_families(f, *in.store);
  return f.text();
}

}  // namespace dlaunch::agent
