#include "rendezvous/store_client.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rendezvous/key_space.hpp"
#include "rendezvous/store_error.hpp"
#include "rendezvous/store_server.hpp"

using namespace dlaunch::rendezvous;
using namespace std::chrono_literals;

namespace {

// Runs the loop until `done` is true, at most 10 s.
template <class Pred>
bool run_until(boost::asio::io_context& io, Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(5ms);
  }
  return done();
}

// The result of one async call: its error and value, once it has come.
template <class T>
struct Result {
  bool done = false;
  std::error_code error;
  T value{};
  AsyncStore::Handler<T> handler() {
    return [this](std::error_code e, T v) {
      done = true;
      error = e;
      value = std::move(v);
    };
  }
};
struct Done {
  bool done = false;
  std::error_code error;
  AsyncStore::DoneHandler handler() {
    return [this](std::error_code e) {
      done = true;
      error = e;
    };
  }
};

std::shared_ptr<StoreClient> connected_client(boost::asio::io_context& io, std::uint16_t port,
                                              StoreClient::Options options = {}) {
  auto client = StoreClient::create(io, options);
  Done connected;
  client->connect(Endpoint{"127.0.0.1", port}, connected.handler());
  REQUIRE(run_until(io, [&] { return connected.done; }));
  REQUIRE_FALSE(connected.error);
  return client;
}

}  // namespace

TEST_CASE("client: every operation against the server") {
  boost::asio::io_context io;
  StoreServer server(io, Endpoint{"127.0.0.1", 0});
  auto client = connected_client(io, server.port());

  Done set;
  Result<std::string> get, cas, missing;
  Result<std::int64_t> add, keys, qlen;
  Result<bool> check, check_missing, deleted;
  Result<std::vector<std::string>> multi, listed;
  Result<std::optional<std::string>> popped, empty_pop;
  Done appended, multi_set, pushed, waited, barrier;
  client->set("a", "1", set.handler());
  client->wait({"a"}, 1s, waited.handler());
  client->get("a", get.handler());
  client->get("nope", missing.handler());
  client->add("n", 5, add.handler());
  client->compare_set("cs", "", "new", cas.handler());
  client->check({"a", "n"}, check.handler());
  client->check({"a", "nope"}, check_missing.handler());
  client->append("a", "2", appended.handler());
  client->multi_set({"m1", "m2"}, {"x", "yy"}, multi_set.handler());
  client->multi_get({"m1", "m2", "a"}, multi.handler());
  client->delete_key("m1", deleted.handler());
  client->num_keys(keys.handler());
  client->list_keys(listed.handler());
  client->queue_push("q", "item", pushed.handler());
  client->queue_len("q", qlen.handler());
  client->queue_pop("q", popped.handler());
  client->queue_pop("q", empty_pop.handler());
  client->barrier("bar", 1, 1s, barrier.handler());
  REQUIRE(run_until(io, [&] { return barrier.done; }));

  CHECK(set.done);
  CHECK_FALSE(set.error);
  CHECK_FALSE(waited.error);
  CHECK(get.value == "1");
  CHECK(missing.value.empty());
  CHECK(add.value == 5);
  CHECK(cas.value == "new");
  CHECK(check.value);
  CHECK_FALSE(check_missing.value);
  CHECK(multi.value == std::vector<std::string>{"x", "yy", "12"});
  CHECK(deleted.value);
  CHECK(keys.value == 4);  // a, n, cs, m2
  std::sort(listed.value.begin(), listed.value.end());
  CHECK(listed.value == std::vector<std::string>{"a", "cs", "m2", "n"});
  CHECK(qlen.value == 1);
  CHECK(popped.value == std::optional<std::string>("item"));
  CHECK_FALSE(empty_pop.value.has_value());
  CHECK_FALSE(barrier.error);
}

TEST_CASE("client: a WAIT timeout cancels on the server and the connection goes on") {
  boost::asio::io_context io;
  StoreServer server(io, Endpoint{"127.0.0.1", 0});
  auto client = connected_client(io, server.port());
  Done timed_out, later_wait;
  Result<std::string> held;
  const auto start = std::chrono::steady_clock::now();
  client->wait({"never"}, 200ms, timed_out.handler());
  client->get("k", held.handler());  // held back until the WAIT ends, then answered in order
  REQUIRE(run_until(io, [&] { return held.done; }));
  CHECK(timed_out.error == StoreError::kTimeout);
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);
  CHECK_FALSE(held.error);
  CHECK(server.worker_keys().waiter_count() == 0);

  // A wait that is answered succeeds, also when it was queued behind another.
  auto writer = connected_client(io, server.port());
  client->wait({"k1"}, 5s, timed_out.handler());
  client->wait({"k2"}, 5s, later_wait.handler());
  Done w1, w2;
  writer->set("k1", "x", w1.handler());
  writer->set("k2", "y", w2.handler());
  REQUIRE(run_until(io, [&] { return later_wait.done; }));
  CHECK_FALSE(timed_out.error);
  CHECK_FALSE(later_wait.error);
}

TEST_CASE("client: agent dialect reaches the agent space, a wrong token is refused") {
  boost::asio::io_context io;
  StoreServer server(io, Endpoint{"127.0.0.1", 0}, StoreServerOptions{"tok"});
  StoreClient::Options agent_options;
  agent_options.agent = true;
  agent_options.agent_token = "tok";
  auto agent = connected_client(io, server.port(), agent_options);
  auto worker = connected_client(io, server.port());
  auto local = server.agent_store();

  Done set, local_wait;
  Result<std::string> from_worker, from_local;
  local->wait({"node/1"}, 5s, local_wait.handler());
  agent->set("node/1", "10.0.0.2", set.handler());
  worker->get("node/1", from_worker.handler());
  REQUIRE(run_until(io, [&] { return local_wait.done && from_worker.done; }));
  CHECK_FALSE(local_wait.error);
  CHECK(from_worker.value.empty());
  local->get("node/1", from_local.handler());
  REQUIRE(run_until(io, [&] { return from_local.done; }));
  CHECK(from_local.value == "10.0.0.2");

  agent_options.agent_token = "wrong";
  auto intruder = StoreClient::create(io, agent_options);
  Done refused;
  intruder->connect(Endpoint{"127.0.0.1", server.port()}, refused.handler());
  REQUIRE(run_until(io, [&] { return refused.done; }));
  CHECK(refused.error == StoreError::kRefused);
  Result<std::string> after;
  intruder->get("node/1", after.handler());
  REQUIRE(run_until(io, [&] { return after.done; }));
  CHECK(after.error == StoreError::kClosed);
}

TEST_CASE("client: connect retries until the server comes up, and times out when it never does") {
  boost::asio::io_context io;
  std::uint16_t port = 0;
  {
    StoreServer probe(io, Endpoint{"127.0.0.1", 0});
    port = probe.port();
  }
  auto client = StoreClient::create(io);
  Done connected;
  client->connect(Endpoint{"127.0.0.1", port}, connected.handler());
  std::unique_ptr<StoreServer> server;
  boost::asio::steady_timer later(io, 300ms);
  later.async_wait([&](const boost::system::error_code&) {
    server = std::make_unique<StoreServer>(io, Endpoint{"127.0.0.1", port});
  });
  REQUIRE(run_until(io, [&] { return connected.done; }));
  CHECK_FALSE(connected.error);
  server.reset();

  StoreClient::Options quick;
  quick.connect_timeout = 300ms;
  auto hopeless = StoreClient::create(io, quick);
  Done failed;
  const auto start = std::chrono::steady_clock::now();
  hopeless->connect(Endpoint{"127.0.0.1", port}, failed.handler());
  REQUIRE(run_until(io, [&] { return failed.done; }));
  CHECK(failed.error);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("client: the server going away ends pending requests with kClosed") {
  boost::asio::io_context io;
  auto server = std::make_unique<StoreServer>(io, Endpoint{"127.0.0.1", 0});
  auto client = connected_client(io, server->port());
  Done waiting;
  client->wait({"never"}, 10s, waiting.handler());
  io.restart();
  io.run_for(100ms);  // the WAIT reaches the server
  server->close();
  REQUIRE(run_until(io, [&] { return waiting.done; }));
  CHECK(waiting.error == StoreError::kClosed);
  CHECK_FALSE(client->ready());
}

TEST_CASE("local store: waits, timeouts, barrier, and the server closing under a wait") {
  boost::asio::io_context io;
  StoreServer server(io, Endpoint{"127.0.0.1", 0});
  auto a = server.agent_store();
  auto b = server.agent_store();
  Done timeout, released, bar_a, bar_b, aborted;
  Result<std::int64_t> added;
  a->wait({"x"}, 100ms, timeout.handler());
  REQUIRE(run_until(io, [&] { return timeout.done; }));
  CHECK(timeout.error == StoreError::kTimeout);

  a->wait({"y"}, 5s, released.handler());
  CHECK_FALSE(released.done);  // never inside the call
  b->add("y", 2, added.handler());
  REQUIRE(run_until(io, [&] { return released.done && added.done; }));
  CHECK_FALSE(released.error);
  CHECK(added.value == 2);

  a->barrier("b", 2, 5s, bar_a.handler());
  b->barrier("b", 2, 5s, bar_b.handler());
  REQUIRE(run_until(io, [&] { return bar_a.done && bar_b.done; }));
  CHECK_FALSE(bar_a.error);
  CHECK_FALSE(bar_b.error);

  a->wait({"z"}, 5s, aborted.handler());
  server.close();
  REQUIRE(run_until(io, [&] { return aborted.done; }));
  CHECK(aborted.error == StoreError::kClosed);
}

TEST_CASE("server: the agent observer sees agent connections open and close") {
  boost::asio::io_context io;
  StoreServer server(io, Endpoint{"127.0.0.1", 0}, StoreServerOptions{"t"});
  std::vector<std::pair<boost::asio::ip::tcp::endpoint, bool>> events;
  server.set_agent_observer([&](const boost::asio::ip::tcp::endpoint& peer, bool open) {
    events.emplace_back(peer, open);
  });
  StoreClient::Options options;
  options.agent = true;
  options.agent_token = "t";
  auto agent = connected_client(io, server.port(), options);
  auto worker = connected_client(io, server.port());  // workers are not reported
  REQUIRE(run_until(io, [&] { return events.size() == 1; }));
  CHECK(events[0].first == agent->local_endpoint());
  CHECK(events[0].second);
  agent->close();
  REQUIRE(run_until(io, [&] { return events.size() == 2; }));
  CHECK(events[1].first == events[0].first);
  CHECK_FALSE(events[1].second);
}
