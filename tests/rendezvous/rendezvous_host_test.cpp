// The rendezvous protocol with no sockets: a RendezvousHost and several RendezvousMembers on
// LocalStores over one key space, driven by one io_context (what each node's agent would do
// is played by the test: start, fail, report).
#include "rendezvous/rendezvous_host.hpp"

#include <map>
#include <memory>

#include <doctest/doctest.h>
#include <boost/asio/io_context.hpp>

#include "rendezvous/key_space.hpp"
#include "rendezvous/local_store.hpp"
#include "rendezvous/rendezvous_member.hpp"
#include "tests/rendezvous/fast_settings.hpp"

using namespace dlaunch::rendezvous;
using namespace std::chrono_literals;

namespace {

struct Node {
  std::shared_ptr<RendezvousMember> member;
  std::vector<RoundPlan> plans;
  std::vector<PlanMember> me;
  std::vector<StopReason> stops;
  std::optional<int> code;
  std::string why;
  bool auto_report = true;  // report a result as soon as the round stops
  bool ok = true;
};

class Cluster {
 public:
  explicit Cluster(RendezvousSettings settings) : settings_(std::move(settings)) {
    space_ = std::make_shared<KeySpace>();
  }

  std::shared_ptr<AsyncStore> store() {
    return std::make_shared<LocalStore>(io, space_, next_client_++);
  }

  void start_host(const std::string& self_id = "host") {
    RendezvousHost::Server server;
    server.begin_worker_epoch = [this] { ++epochs; };
    host = std::make_shared<RendezvousHost>(
        io, store(), settings_, self_id, server,
        RendezvousHost::Events{
            [this](const RendezvousHost::RoundEnd& end) { rounds.push_back(end); },
            [this] { closed = true; }});
    host->start();
  }

  Node& add(const std::string& id, int node_rank, int nproc,
            const std::string& addr = "127.0.0.1") {
    auto& node = nodes[id];
    NodeInfo info;
    info.id = id;
    info.run_id = settings_.run_id;
    info.hostname = id;
    info.addr = addr;
    info.nproc = nproc;
    info.nnodes = settings_.nnodes_text();
    info.node_rank = node_rank;
    info.sockets = {id + ":1"};
    Node* n = &node;
    node.member = std::make_shared<RendezvousMember>(
        io, store(), store(), settings_, info,
        RendezvousMember::Events{[n](const RoundPlan& plan, const PlanMember& me) {
                                   n->plans.push_back(plan);
                                   n->me.push_back(me);
                                 },
                                 [n](const StopReason& reason) {
                                   n->stops.push_back(reason);
                                   if (n->auto_report) {
                                     RoundResult result;
                                     result.succeeded =
                                         n->ok && reason.kind == StopReason::Kind::kDone;
                                     n->member->report_result(result);
                                   }
                                 },
                                 [n](int code, const std::string& why) {
                                   n->code = code;
                                   n->why = why;
                                 }});
    node.member->join();
    return node;
  }

  template <class F>
  bool run_until(F done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
    return done();
  }

  bool all_finished() const {
    for (const auto& [id, node] : nodes) {
      if (!node.code) return false;
    }
    return true;
  }

  boost::asio::io_context io;
  std::shared_ptr<RendezvousHost> host;
  std::map<std::string, Node> nodes;
  std::vector<RendezvousHost::RoundEnd> rounds;
  int epochs = 0;
  bool closed = false;

 private:
  RendezvousSettings settings_;
  std::shared_ptr<KeySpace> space_;
  ClientId next_client_ = 1;
};

RendezvousSettings fast(int min_nodes, int max_nodes, bool dynamic) {
  return dlaunch::rendezvous::test::fast_settings(min_nodes, max_nodes, dynamic);
}

void succeed_all(Cluster& cluster) {
  for (auto& [id, node] : cluster.nodes) {
    RoundResult result;
    result.succeeded = true;
    node.member->report_result(result);
  }
}

}  // namespace

TEST_CASE(
    "rendezvous: static ranks with different nproc per node and success ends everywhere with 0") {
  Cluster cluster(fast(3, 3, false));
  cluster.start_host();
  cluster.add("host", 0, 1);
  cluster.add("b", 2, 3);
  cluster.add("a", 1, 2);
  REQUIRE(cluster.run_until([&] { return cluster.nodes["b"].plans.size() == 1; }));
  CHECK(cluster.epochs == 1);
  CHECK(cluster.nodes["host"].me.at(0).first_rank == 0);
  CHECK(cluster.nodes["a"].me.at(0).node_rank == 1);
  CHECK(cluster.nodes["a"].me.at(0).first_rank == 1);
  CHECK(cluster.nodes["b"].me.at(0).first_rank == 3);
  CHECK(cluster.nodes["b"].plans.at(0).world_size == 6);
  CHECK(cluster.nodes["b"].plans.at(0).master_addr == "10.0.0.1");
  succeed_all(cluster);
  REQUIRE(cluster.run_until([&] { return cluster.all_finished() && cluster.closed; }));
  for (auto& [id, node] : cluster.nodes) CHECK(*node.code == 0);
  REQUIRE(cluster.rounds.size() == 1);
  CHECK(cluster.rounds[0].results.size() == 3);
}

TEST_CASE("rendezvous: dynamic ranks are the host first then by address then join order") {
  Cluster cluster(fast(4, 4, true));
  cluster.start_host("h");
  cluster.add("c", -1, 1, "10.0.0.3");
  cluster.add("h", -1, 1, "10.0.0.9");
  cluster.add("b2", -1, 1, "10.0.0.2");
  cluster.add("b1", -1, 1, "10.0.0.2");
  REQUIRE(cluster.run_until([&] { return cluster.nodes["c"].plans.size() == 1; }));
  CHECK(cluster.nodes["h"].me.at(0).node_rank == 0);
  CHECK(cluster.nodes["b2"].me.at(0).node_rank == 1);
  CHECK(cluster.nodes["b1"].me.at(0).node_rank == 2);
  CHECK(cluster.nodes["c"].me.at(0).node_rank == 3);
}

TEST_CASE(
    "rendezvous: a failure on one node stops every node and without budget everyone exits with its "
    "code") {
  Cluster cluster(fast(3, 3, false));
  cluster.start_host();
  cluster.add("host", 0, 1);
  cluster.add("a", 1, 1);
  cluster.add("b", 2, 1);
  REQUIRE(cluster.run_until([&] { return cluster.nodes["b"].plans.size() == 1; }));
  StopReason failure;
  failure.kind = StopReason::Kind::kFailure;
  failure.node_rank = 2;
  failure.rank = 2;
  failure.code = 7;
  failure.what = "exit code 7";
  cluster.nodes["b"].member->report_stop(failure);
  REQUIRE(cluster.run_until([&] { return cluster.all_finished(); }));
  for (auto& [id, node] : cluster.nodes) {
    REQUIRE(node.stops.size() == 1);
    CHECK(node.stops[0].kind == StopReason::Kind::kFailure);
    CHECK(*node.code == 7);
    CHECK(node.why.find("rank 2 on node 2") != std::string::npos);
  }
}

TEST_CASE("rendezvous: the restart budget is the job's (one restart for 3 nodes then exit)") {
  auto settings = fast(3, 3, false);
  settings.max_restarts = 1;
  Cluster cluster(settings);
  cluster.start_host();
  cluster.add("host", 0, 1);
  cluster.add("a", 1, 1);
  cluster.add("b", 2, 1);
  StopReason failure;
  failure.kind = StopReason::Kind::kFailure;
  failure.code = 3;
  for (int round = 0; round < 2; ++round) {
    REQUIRE(cluster.run_until(
        [&] { return cluster.nodes["b"].plans.size() == std::size_t(round + 1); }));
    for (auto& [id, node] : cluster.nodes) CHECK(node.plans.back().round == round);
    // Round 0 fails on node a, round 1 on node b: each failure spends the one job-wide budget.
    cluster.nodes[round == 0 ? "a" : "b"].member->report_stop(failure);
  }
  REQUIRE(cluster.run_until([&] { return cluster.all_finished(); }));
  for (auto& [id, node] : cluster.nodes) CHECK(*node.code == 3);
  REQUIRE(cluster.rounds.size() == 2);
  CHECK(cluster.rounds[0].decision.restart);
  CHECK(cluster.rounds[0].decision.spends_budget);
  CHECK_FALSE(cluster.rounds[1].decision.restart);
  CHECK(cluster.epochs == 2);
}

TEST_CASE(
    "rendezvous: nodes that never come give one error after join_timeout naming how many came") {
  auto settings = fast(3, 3, false);
  settings.join_timeout = 300ms;
  Cluster cluster(settings);
  cluster.start_host();
  cluster.add("host", 0, 1);
  cluster.add("a", 1, 1);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(cluster.run_until([&] { return cluster.all_finished(); }));
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(*cluster.nodes["a"].code == 1);
  CHECK(cluster.nodes["a"].why.find("2 of 3 nodes joined") != std::string::npos);
  CHECK(cluster.nodes["a"].why.find("missing node rank 2") != std::string::npos);
}

TEST_CASE("rendezvous: a duplicate static node rank and a foreign run id are refused") {
  Cluster cluster(fast(2, 2, false));
  cluster.start_host();
  cluster.add("host", 0, 1);
  cluster.add("dup", 0, 1);
  REQUIRE(cluster.run_until([&] { return cluster.nodes["dup"].code.has_value(); }));
  CHECK(cluster.nodes["dup"].why.find("node rank 0 is already taken") != std::string::npos);
}

TEST_CASE("rendezvous: a member whose heartbeats stop is lost and the others stop at once") {
  Cluster cluster(fast(3, 3, false));
  cluster.start_host();
  cluster.add("host", 0, 1);
  cluster.add("a", 1, 1);
  cluster.add("b", 2, 1);
  REQUIRE(cluster.run_until([&] { return cluster.nodes["b"].plans.size() == 1; }));
  cluster.nodes["b"].member->close();  // as if killed: no heartbeat, no goodbye
  cluster.nodes["b"].code = -1;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(cluster.run_until([&] { return !cluster.nodes["a"].stops.empty(); }));
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  CHECK(cluster.nodes["a"].stops[0].kind == StopReason::Kind::kLost);
  CHECK(cluster.nodes["a"].stops[0].node_rank == 2);
  REQUIRE(cluster.run_until([&] { return cluster.all_finished(); }));
  CHECK(*cluster.nodes["a"].code == 1);
  CHECK(cluster.nodes["a"].why.find("node 2 (b, 127.0.0.1) was lost: no heartbeat") !=
        std::string::npos);
}

TEST_CASE("rendezvous: a closed agent connection is a lost node at once") {
  Cluster cluster(fast(2, 2, false));
  cluster.start_host();
  cluster.add("host", 0, 1);
  cluster.add("a", 1, 1);
  REQUIRE(cluster.run_until([&] { return cluster.nodes["a"].plans.size() == 1; }));
  cluster.nodes["a"].member->close();
  cluster.nodes["a"].code = -1;
  cluster.host->connection_closed("a:1");
  REQUIRE(cluster.run_until([&] { return !cluster.nodes["host"].stops.empty(); }, 100ms));
  CHECK(cluster.nodes["host"].stops[0].kind == StopReason::Kind::kLost);
  CHECK(cluster.nodes["host"].stops[0].what.find("connection") != std::string::npos);
}

TEST_CASE(
    "rendezvous: elastic 2:3 a third node joins a running job and all restart with the budget "
    "untouched") {
  Cluster cluster(fast(2, 3, true));
  cluster.start_host();
  cluster.add("host", -1, 1);
  cluster.add("a", -1, 1);
  REQUIRE(cluster.run_until([&] { return cluster.nodes["a"].plans.size() == 1; }));
  CHECK(cluster.nodes["a"].plans[0].members.size() == 2);
  cluster.add("b", -1, 1);
  REQUIRE(cluster.run_until([&] { return cluster.nodes["b"].plans.size() == 1; }));
  CHECK(cluster.nodes["host"].stops.at(0).kind == StopReason::Kind::kJoined);
  CHECK(cluster.nodes["b"].plans[0].round == 1);
  CHECK(cluster.nodes["b"].plans[0].members.size() == 3);
  CHECK(cluster.nodes["a"].plans.size() == 2);
  CHECK(cluster.host->restarts_used() == 0);
  succeed_all(cluster);
  REQUIRE(cluster.run_until([&] { return cluster.all_finished(); }));
  for (auto& [id, node] : cluster.nodes) CHECK(*node.code == 0);
}

TEST_CASE("rendezvous: elastic 2:3 losing one of 3 restarts into 2 with the budget untouched") {
  Cluster cluster(fast(2, 3, true));
  cluster.start_host();
  cluster.add("host", -1, 1);
  cluster.add("a", -1, 1);
  cluster.add("b", -1, 1);
  REQUIRE(cluster.run_until([&] { return cluster.nodes["b"].plans.size() == 1; }));
  CHECK(cluster.nodes["b"].plans[0].members.size() == 3);
  cluster.nodes["b"].member->close();
  cluster.nodes["b"].code = -1;
  cluster.host->connection_closed("b:1");
  REQUIRE(cluster.run_until([&] { return cluster.nodes["a"].plans.size() == 2; }));
  CHECK(cluster.nodes["a"].plans[1].members.size() == 2);
  CHECK(cluster.nodes["a"].plans[1].world_size == 2);
  CHECK(cluster.host->restarts_used() == 0);
}

TEST_CASE("rendezvous: round policy") {
  RoundOutcome o;
  o.stop.kind = StopReason::Kind::kFailure;
  o.stop.code = 9;
  o.max_restarts = 2;
  o.restarts_used = 2;
  auto d = decide_after_round(o);
  CHECK_FALSE(d.restart);
  CHECK(d.code == 9);
  o.restarts_used = 1;
  d = decide_after_round(o);
  CHECK(d.restart);
  CHECK(d.spends_budget);
  o.stop.kind = StopReason::Kind::kSignal;
  o.stop.code = 143;
  d = decide_after_round(o);
  CHECK_FALSE(d.restart);
  CHECK(d.code == 143);
  o.stop.kind = StopReason::Kind::kLost;
  o.member_lost = true;
  o.restarts_used = 2;
  d = decide_after_round(o);
  CHECK_FALSE(d.restart);
  CHECK(d.code == 1);
  o.elastic = true;
  d = decide_after_round(o);
  CHECK(d.restart);
  CHECK_FALSE(d.spends_budget);
}

TEST_CASE("rendezvous: --rdzv_conf keys and their errors") {
  RendezvousSettings s;
  const auto warnings = apply_rdzv_conf(s, {{"join_timeout", "5"},
                                            {"last_call_timeout", "0.5"},
                                            {"keep_alive_interval", "0.25"},
                                            {"keep_alive_max_attempt", "4"},
                                            {"is_host", "yes"},
                                            {"bogus", "1"}});
  CHECK(s.join_timeout == 5000ms);
  CHECK(s.last_call_timeout == 500ms);
  CHECK(s.heartbeat_timeout == 1000ms);
  CHECK(s.is_host == true);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("bogus") != std::string::npos);
  CHECK_THROWS_WITH_AS(apply_rdzv_conf(s, {{"join_timeout", "soon"}}),
                       "--rdzv_conf join_timeout=soon: expected seconds > 0",
                       std::invalid_argument);
  CHECK_THROWS_AS(apply_rdzv_conf(s, {{"heartbeat_timeout", "0.1"}, {"keep_alive_interval", "1"}}),
                  std::invalid_argument);
}

TEST_CASE("rendezvous: a stop reason reads back as written, and garbage still stops the round") {
  StopReason failure;
  failure.kind = StopReason::Kind::kFailure;
  failure.node_rank = 2;
  failure.hostname = "b";
  failure.addr = "10.0.0.3";
  failure.rank = 5;
  failure.local_rank = 1;
  failure.code = 7;
  failure.what = "exit code 7";
  const StopReason back = stop_from_text(to_json(failure).dump());
  CHECK(back.kind == StopReason::Kind::kFailure);
  CHECK(back.node_rank == 2);
  CHECK(back.hostname == "b");
  CHECK(back.addr == "10.0.0.3");
  CHECK(back.rank == 5);
  CHECK(back.local_rank == 1);
  CHECK(back.code == 7);
  CHECK(back.what == "exit code 7");

  for (const std::string text : {"", "{not json", R"({"kind":"failure"})"}) {
    const StopReason unreadable = stop_from_text(text);
    CHECK(unreadable.kind == StopReason::Kind::kBarrier);
    CHECK(unreadable.what.find("unreadable stop reason") == 0);
  }
}
