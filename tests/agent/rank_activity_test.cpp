// The shared per-rank model: its JSON is the wire form between nodes, so every field must
// survive a round trip, and a reader must cope with documents from older or newer agents.
#include "agent/rank_activity.hpp"

#include <doctest/doctest.h>

using namespace dlaunch::agent;

TEST_CASE("rank activity: every field survives the JSON round trip") {
  RankActivity r;
  r.rank = 17;
  r.local_rank = 1;
  r.node_rank = 8;
  r.host = "node-b";
  r.attempt = 2;
  r.pid = 4242;
  r.log_path = "/job/logs/70_driver_log_17.txt";
  r.phase = RankPhase::kFailed;
  r.start_time = from_epoch_ms(1'790'000'000'123);
  r.end_time = from_epoch_ms(1'790'000'100'456);
  r.exit = "exit code 3";
  r.exit_code = 3;
  r.touch(ProgressSource::kOutput, from_epoch_ms(1'790'000'050'000));
  r.touch(ProgressSource::kStore, from_epoch_ms(1'790'000'060'000));
  r.bytes_logged = 123456789012ULL;
  r.last_line = "epoch 3 step 120 loss 0.41";
  r.store_ops = 99;
  r.store_waiting_key = "/default_pg/0//cuda//0";
  r.store_waiting_since = from_epoch_ms(1'790'000'070'000);
  r.open_scopes.push_back({"step", from_epoch_ms(1'790'000'080'000)});
  r.cpu_seconds = 12.5;
  r.cpu_percent = 99.5;
  r.proc_state = 'D';
  r.wchan = "futex_wait_queue";
  r.processes = 3;
  r.verdict = "suspect";

  const RankActivity back = rank_activity_from_json(nlohmann::json::parse(to_json(r).dump()));
  CHECK(back.rank == 17);
  CHECK(back.local_rank == 1);
  CHECK(back.node_rank == 8);
  CHECK(back.host == "node-b");
  CHECK(back.attempt == 2);
  CHECK(back.pid == 4242);
  CHECK(back.log_path == r.log_path);
  CHECK(back.phase == RankPhase::kFailed);
  CHECK(back.start_time == r.start_time);
  CHECK(back.end_time == r.end_time);
  CHECK(back.exit == "exit code 3");
  REQUIRE(back.exit_code);
  CHECK(*back.exit_code == 3);
  CHECK(back.progress(ProgressSource::kOutput) == from_epoch_ms(1'790'000'050'000));
  CHECK(back.progress(ProgressSource::kStore) == from_epoch_ms(1'790'000'060'000));
  CHECK(back.progress(ProgressSource::kTimer) == WallClock::time_point{});
  CHECK(back.last_any_progress() == from_epoch_ms(1'790'000'060'000));
  CHECK(back.bytes_logged == 123456789012ULL);
  CHECK(back.last_line == r.last_line);
  CHECK(back.store_ops == 99);
  CHECK(back.store_waiting_key == r.store_waiting_key);
  CHECK(back.store_waiting_since == r.store_waiting_since);
  REQUIRE(back.open_scopes.size() == 1);
  CHECK(back.open_scopes[0].scope == "step");
  CHECK(back.open_scopes[0].expires == from_epoch_ms(1'790'000'080'000));
  CHECK(back.cpu_seconds == doctest::Approx(12.5));
  CHECK(back.cpu_percent == doctest::Approx(99.5));
  CHECK(back.proc_state == 'D');
  CHECK(back.wchan == "futex_wait_queue");
  CHECK(back.processes == 3);
  CHECK(back.verdict == "suspect");
}

TEST_CASE(
    "rank activity: missing fields default, unknown ones are ignored, a bad state is refused") {
  const auto r = rank_activity_from_json({{"rank", 3}, {"from_a_newer_agent", true}});
  CHECK(r.rank == 3);
  CHECK(r.phase == RankPhase::kStarting);
  CHECK(r.pid == -1);
  CHECK_FALSE(r.exit_code);
  CHECK(r.last_any_progress() == WallClock::time_point{});
  CHECK_THROWS(rank_activity_from_json({{"rank", 3}, {"state", "dancing"}}));
  CHECK_THROWS(rank_activity_from_json(nlohmann::json::array()));
  CHECK_THROWS(rank_activity_from_json({{"pid", 3}}));  // no rank
}

TEST_CASE("rank activity: progress only moves forward") {
  RankActivity r;
  r.touch(ProgressSource::kTimer, from_epoch_ms(2000));
  r.touch(ProgressSource::kTimer, from_epoch_ms(1000));
  CHECK(r.progress(ProgressSource::kTimer) == from_epoch_ms(2000));
}

TEST_CASE("node activity: a node's rows round-trip in local-rank order") {
  NodeActivity n;
  n.node_rank = 2;
  n.host = "node-c";
  n.addr = "10.0.0.3";
  n.attempt = 1;
  n.sampled_at = from_epoch_ms(5000);
  for (int i = 0; i < 3; ++i) {
    RankActivity r;
    r.rank = 6 + i;
    r.local_rank = i;
    r.phase = RankPhase::kRunning;
    n.ranks.push_back(r);
  }
  const NodeActivity back = node_activity_from_json(to_json(n));
  CHECK(back.node_rank == 2);
  CHECK(back.host == "node-c");
  CHECK(back.addr == "10.0.0.3");
  CHECK(back.attempt == 1);
  CHECK(back.sampled_at == from_epoch_ms(5000));
  REQUIRE(back.ranks.size() == 3);
  CHECK(back.ranks[2].rank == 8);
  CHECK(back.ranks[2].running());
  CHECK(phase_from_name("stopped") == RankPhase::kStopped);
  CHECK_FALSE(phase_from_name("bogus"));
}

#include "agent/job_activity.hpp"

namespace {

NodeActivity node_with(int node_rank, int first_rank, int n, std::int64_t progress_ms) {
  NodeActivity node;
  node.node_rank = node_rank;
  for (int i = 0; i < n; ++i) {
    RankActivity r;
    r.rank = first_rank + i;
    r.local_rank = i;
    r.node_rank = node_rank;
    r.phase = RankPhase::kRunning;
    r.start_time = from_epoch_ms(1000);
    r.touch(ProgressSource::kOutput, from_epoch_ms(progress_ms + i));
    node.ranks.push_back(r);
  }
  return node;
}

}  // namespace

TEST_CASE("job activity: nodes merge by global rank, latest rows win, a new round starts afresh") {
  JobActivity job;
  job.begin_round(0, 6);
  job.update(node_with(1, 3, 3, 5000));
  job.update(node_with(0, 0, 3, 2000));
  CHECK(job.unreported_ranks().empty());
  const auto ranks = job.ranks();
  REQUIRE(ranks.size() == 6);
  for (int i = 0; i < 6; ++i) CHECK(ranks[i].rank == i);
  CHECK(job.last_progress() == from_epoch_ms(5002));
  CHECK(job.any_running());
  REQUIRE(job.find_rank(4));
  CHECK(job.find_rank(4)->node_rank == 1);
  CHECK(job.find_rank(9) == nullptr);
  CHECK(job.received(1).has_value());

  job.update(node_with(1, 3, 3, 9000));  // node 1 again: replaces its rows
  CHECK(job.ranks().size() == 6);
  CHECK(job.last_progress() == from_epoch_ms(9002));

  job.drop_node(1);
  CHECK(job.unreported_ranks() == std::vector<int>{3, 4, 5});
  CHECK_FALSE(job.received(1).has_value());

  job.begin_round(1, 3);
  CHECK(job.round() == 1);
  CHECK(job.nodes().empty());
  CHECK(job.last_progress() == WallClock::time_point{});
  CHECK_FALSE(job.any_running());
}
