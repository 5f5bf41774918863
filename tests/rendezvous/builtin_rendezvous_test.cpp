// The built-in backend through the Rendezvous interface the agent uses, over real sockets on
// loopback: one node serves, the others connect with StoreClients. The leader's direct
// channel: status documents in nodes_view(), and requests to every node with a deadline.
#include "rendezvous/builtin_rendezvous.hpp"

#include <map>
#include <memory>

#include <doctest/doctest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "tests/rendezvous/fast_settings.hpp"

using namespace dlaunch::rendezvous;
using namespace std::chrono_literals;

namespace {

struct Node {
  std::shared_ptr<Rendezvous> rdzv;
  std::vector<RoundPlan> plans;
  std::vector<StopReason> stops;
  std::optional<int> code;
  bool closed = false;
  std::vector<bool> leadership;
};

RendezvousSettings settings_for(int min_nodes, int max_nodes, bool dynamic) {
  auto s = dlaunch::rendezvous::test::fast_settings(min_nodes, max_nodes, dynamic);
  s.endpoint = Endpoint{"127.0.0.1", 0};  // the first node binds a free port
  s.join_timeout = 5s;
  s.last_call_timeout = 0ms;
  s.heartbeat_timeout = 500ms;  // real sockets on a busy machine
  return s;
}

class Job {
 public:
  explicit Job(RendezvousSettings settings) : settings_(std::move(settings)) {}

  // The first node added serves (static node rank 0, or is_host); the others join its port.
  Node& add(const std::string& id, int node_rank = -1) {
    auto settings = settings_;
    settings.node_rank = node_rank;
    const bool first = nodes.empty();
    if (settings.dynamic) settings.is_host = first;
    if (!first) settings.endpoint.port = port();
    NodeInfo info;
    info.id = id;
    info.run_id = settings.run_id;
    info.hostname = id;
    info.nproc = 2;
    info.nnodes = settings.nnodes_text();
    info.node_rank = node_rank;
    auto& node = nodes[id];
    Node* n = &node;
    Rendezvous::Events events;
    events.round_started = [n](const RoundPlan& plan, const PlanMember&) {
      n->plans.push_back(plan);
    };
    events.round_stopped = [n](const StopReason& reason) {
      n->stops.push_back(reason);
      RoundResult result;
      result.succeeded = reason.kind == StopReason::Kind::kDone;
      n->rdzv->report_result(result);
    };
    events.finished = [n](int code, const std::string&) { n->code = code; };
    events.closed = [n] { n->closed = true; };
    events.leadership_changed = [n](bool leader) { n->leadership.push_back(leader); };
    node.rdzv = make_rendezvous(io, settings, info, events);
    node.rdzv->start();
    if (first) first_ = std::dynamic_pointer_cast<BuiltinRendezvous>(node.rdzv);
    return node;
  }

  std::uint16_t port() const { return first_->served_store()->port(); }
  Rendezvous& leader() { return *first_; }

  template <class F>
  bool run_until(F done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
    return done();
  }
  void run_for(std::chrono::milliseconds time) {
    const auto deadline = std::chrono::steady_clock::now() + time;
    while (std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
  }

  boost::asio::io_context io;
  std::map<std::string, Node> nodes;

 private:
  RendezvousSettings settings_;
  std::shared_ptr<BuiltinRendezvous> first_;
};

bool all_in_round(Job& job, std::size_t rounds = 1) {
  for (auto& [id, node] : job.nodes) {
    if (node.plans.size() < rounds) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("builtin rendezvous: every node's latest status document reaches the leader's view") {
  Job job(settings_for(3, 3, false));
  job.add("n0", 0);
  job.add("n1", 1);
  job.add("n2", 2);
  REQUIRE(job.run_until([&] { return all_in_round(job); }));
  CHECK(job.nodes["n0"].leadership == std::vector<bool>{true});
  CHECK(job.nodes["n1"].leadership.empty());
  for (int i = 0; i < 5; ++i) {
    for (auto& [id, node] : job.nodes) {
      node.rdzv->publish_node_status({{"node", id}, {"step", i}, {"pad", std::string(4096, 'x')}});
    }
  }
  const auto latest = [&] {
    const auto view = job.leader().nodes_view();
    if (!view) return false;
    for (const auto& node : view->nodes) {
      if (!node.status.is_object() || node.status.value("step", -1) != 4) return false;
    }
    return view->nodes.size() == 3;
  };
  REQUIRE(job.run_until(latest));
  const auto view = *job.leader().nodes_view();
  CHECK(view.round == 0);
  CHECK(view.phase == "running");
  CHECK(view.restarts_used == 0);
  CHECK(view.restarts_left() == 0);
  for (int rank = 0; rank < 3; ++rank) {
    const auto& node = view.nodes[rank];
    CHECK(node.node_rank == rank);
    CHECK(node.state == NodeView::State::kMember);
    CHECK(node.status["node"] == "n" + std::to_string(rank));
    REQUIRE(node.last_seen_age.has_value());
    CHECK(*node.last_seen_age < 2s);
  }
  CHECK_FALSE(job.nodes["n1"].rdzv->nodes_view().has_value());
  const auto j = to_json(view);
  CHECK(j["nodes"][2]["state"] == "member");
  CHECK(j["nodes"][2]["status"]["step"] == 4);
}

TEST_CASE(
    "builtin rendezvous: the leader asks every node and gathers their answers, and a silent node "
    "is absent at the deadline") {
  Job job(settings_for(3, 3, false));
  job.add("n0", 0);
  job.add("n1", 1);
  job.add("n2", 2);
  REQUIRE(job.run_until([&] { return all_in_round(job); }));
  std::vector<std::unique_ptr<boost::asio::steady_timer>> timers;
  for (auto& [id, node] : job.nodes) {
    const std::string name = id;
    node.rdzv->set_request_handler([&, name](const nlohmann::json& request,
                                             std::chrono::steady_clock::time_point deadline,
                                             Rendezvous::Reply reply) {
      CHECK(deadline > std::chrono::steady_clock::now());
      if (name == "n2" && request["what"] == "stacks") return;  // never answers
      // Answer later, from another handler, as a stack capture would.
      timers.push_back(std::make_unique<boost::asio::steady_timer>(job.io, 20ms));
      timers.back()->async_wait([reply, name, request](const boost::system::error_code&) {
        reply({{"from", name}, {"echo", request["what"]}});
      });
    });
  }
  job.run_for(100ms);  // the handlers' links wait for requests

  std::optional<Rendezvous::Answers> answers;
  REQUIRE(job.leader().broadcast_request({{"what", "ping"}}, 2s,
                                         [&](Rendezvous::Answers a) { answers = std::move(a); }));
  REQUIRE(job.run_until([&] { return answers.has_value(); }, 1s));
  REQUIRE(answers->size() == 3);
  for (const auto& [id, answer] : *answers) {
    CHECK(answer["from"] == id);
    CHECK(answer["echo"] == "ping");
  }

  answers.reset();
  const auto asked = std::chrono::steady_clock::now();
  REQUIRE(job.leader().broadcast_request({{"what", "stacks"}}, 300ms,
                                         [&](Rendezvous::Answers a) { answers = std::move(a); }));
  REQUIRE(job.run_until([&] { return answers.has_value(); }, 2s));
  const auto took = std::chrono::steady_clock::now() - asked;
  CHECK(took >= 290ms);
  CHECK(took < 1500ms);
  CHECK(answers->size() == 2);
  CHECK(answers->count("n0") == 1);
  CHECK(answers->count("n1") == 1);
  CHECK(answers->count("n2") == 0);

  CHECK_FALSE(job.nodes["n1"].rdzv->broadcast_request({}, 1s, [](Rendezvous::Answers) {}));
}

TEST_CASE("builtin rendezvous: the view shows a spare beyond MAX and a node lost mid-round") {
  auto settings = settings_for(2, 2, true);
  settings.min_nodes = 1;  // elastic 1:2
  Job job(settings);
  job.add("h");
  job.add("a");
  REQUIRE(job.run_until([&] { return all_in_round(job); }));
  job.add("spare");
  auto state_of = [&](const std::string& id) -> std::optional<NodeView::State> {
    const auto view = job.leader().nodes_view();
    for (const auto& node : view->nodes) {
      if (node.info.id == id) return node.state;
    }
    return std::nullopt;
  };
  REQUIRE(job.run_until([&] { return state_of("spare") == NodeView::State::kSpare; }));
  CHECK(state_of("a") == NodeView::State::kMember);
  CHECK(job.nodes["spare"].plans.empty());

  const int round = job.leader().nodes_view()->round;
  job.nodes["a"].rdzv->close();  // as if killed: its connections close
  REQUIRE(job.run_until([&] { return state_of("a") == NodeView::State::kLost; }));
  // The spare takes its place in the next round, free of the budget.
  REQUIRE(job.run_until([&] { return job.nodes["spare"].plans.size() == 1; }));
  const auto view = *job.leader().nodes_view();
  CHECK(view.round == round + 1);
  CHECK(view.restarts_used == 0);
  const auto lost = std::find_if(view.nodes.begin(), view.nodes.end(),
                                 [](const NodeView& n) { return n.info.id == "a"; });
  REQUIRE(lost != view.nodes.end());
  CHECK(lost->lost_why.find("connection") != std::string::npos);
  CHECK_FALSE(lost->last_seen_age.has_value());
}

TEST_CASE("builtin rendezvous: a document published before joining is delivered once joined") {
  Job job(settings_for(2, 2, false));
  job.add("n0", 0);
  auto& n1 = job.add("n1", 1);
  n1.rdzv->publish_node_status({{"early", true}});
  REQUIRE(job.run_until([&] {
    const auto view = job.leader().nodes_view();
    return view && view->nodes.size() == 2 && view->nodes[1].status.value("early", false);
  }));
}
