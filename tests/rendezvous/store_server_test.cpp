// Raw-socket conformance of StoreServer against the reference's golden vectors
// (shared/reference/tcpstore-protocol.md, appendix), for both torch dialects.
#include "rendezvous/store_server.hpp"

#include <chrono>
#include <string>
#include <thread>
#include <system_error>
#include <vector>

#include <doctest/doctest.h>

#include "rendezvous/key_space.hpp"
#include "rendezvous/server_core.hpp"
#include "tests/rendezvous/raw_socket.hpp"
#include "tests/rendezvous/server_fixture.hpp"
#include "tests/rendezvous/wire_bytes.hpp"

using namespace dlaunch::rendezvous;
using namespace dlaunch::rendezvous::test;

namespace {

// One request and the exact reply it must get (empty: none).
struct Exchange {
  std::string request;
  std::string reply;
};

// The reference's v2 (torch 2.6) golden vectors, plus the ops it has no capture of.
std::vector<Exchange> v2_golden() {
  return {
      {kValidate + B({0x0D, 0xFA, 0x48, 0x00, 0x00}), B({0xFA, 0x48, 0x00, 0x00})},
      {B({0x04}) + S("init/") + L(1), L(1)},
      {B({0x01}) + S("/k") + S("v"), ""},
      {B({0x06}) + L(1) + S("/k"), B({0x00})},
      {B({0x03}) + S("/k"), S("v")},
      {B({0x04}) + S("/cnt") + L(5), L(5)},
      {B({0x04}) + S("/cnt") + L(-2), L(3)},
      {B({0x02}) + S("/cs") + S("") + S("new"), S("new")},
      {B({0x02}) + S("/cs2") + S("x") + S("y"), S("x")},
      {B({0x05}) + L(1) + S("/nokey"), B({0x01})},
      {B({0x07}), L(4)},  // init/, /k, /cnt, /cs
      {B({0x08}) + S("/k"), L(1)},
      {B({0x08}) + S("/k"), L(0)},
      {B({0x0B}) + L(2) + S("/m1") + S("x") + S("/m2") + S("yy"), ""},
      {B({0x0A}) + L(2) + S("/m1") + S("/m2"), S("x") + S("yy")},
      {B({0x03}) + S("/missing"), L(0)},  // GET of a missing key: empty, not a dropped socket
      {B({0x09}) + S("/ap") + S("a"), ""},
      {B({0x09}) + S("/ap") + S("b"), ""},
      {B({0x03}) + S("/ap"), S("ab")},
      {B({0x05}) + L(2) + S("/ap") + S("/m1"), B({0x00})},
      {B({0x0E}) + S("/q") + S("one"), ""},
      {B({0x10}) + S("/q"), L(1)},
      {B({0x0F}) + S("/q"), L(1) + S("one")},
      {B({0x0F}) + S("/q"), L(0)},
      {B({0x12}) + S("/bar") + L(1), B({0x00})},  // a barrier of one
      {B({0x0C}), B({0x01})},                     // CANCEL_WAIT with nothing pending
  };
}

std::string all_requests(const std::vector<Exchange>& exchanges) {
  std::string bytes;
  for (const auto& e : exchanges) bytes += e.request;
  return bytes;
}
std::string all_replies(const std::vector<Exchange>& exchanges) {
  std::string bytes;
  for (const auto& e : exchanges) bytes += e.reply;
  return bytes;
}

void run_in_lockstep(RawSocket& socket, const std::vector<Exchange>& exchanges, bool bytewise) {
  for (const auto& e : exchanges) {
    CAPTURE(hex(e.request));
    bytewise ? socket.send_bytewise(e.request) : socket.send(e.request);
    if (!e.reply.empty()) CHECK(hex(socket.recv(e.reply.size())) == hex(e.reply));
  }
  CHECK(socket.silent_for(50));
}

std::vector<Exchange> v1_golden() {
  return {
      {B({0x03}) + S("init/") + L(1), L(1)},
      {B({0x00}) + S("/k") + S("v"), ""},
      {B({0x05}) + L(1) + S("/k"), B({0x00})},
      {B({0x02}) + S("/k"), S("v")},
      {B({0x01}) + S("/cs") + S("") + S("new"), S("new")},
      {B({0x06}), L(3)},
      {B({0x08}) + S("/k"), L(1)},
      {B({0x04}) + L(1) + S("/cs"), B({0x00})},  // CHECK (v1 4)
  };
}

}  // namespace

TEST_CASE("server: v2 golden vectors, request by request") {
  ServerFixture fixture;
  RawSocket client(fixture.port());
  run_in_lockstep(client, v2_golden(), false);
}

TEST_CASE("server: v2 golden vectors with 1-byte fragmentation") {
  ServerFixture fixture;
  RawSocket client(fixture.port());
  run_in_lockstep(client, v2_golden(), true);
}

TEST_CASE("server: v2 golden vectors pipelined in one write") {
  ServerFixture fixture;
  RawSocket client(fixture.port());
  const auto golden = v2_golden();
  client.send(all_requests(golden));
  const auto expected = all_replies(golden);
  CHECK(hex(client.recv(expected.size())) == hex(expected));
}

TEST_CASE("server: v1 (torch 1.13) golden vectors, lockstep, bytewise and pipelined") {
  ServerFixture fixture;
  {
    RawSocket client(fixture.port());
    run_in_lockstep(client, v1_golden(), false);
  }
  fixture.on_loop([&] {
    fixture.server().begin_worker_epoch();
    return 0;
  });
  {
    RawSocket client(fixture.port());
    run_in_lockstep(client, v1_golden(), true);
  }
  fixture.on_loop([&] {
    fixture.server().begin_worker_epoch();
    return 0;
  });
  RawSocket client(fixture.port());
  client.send(all_requests(v1_golden()));
  const auto expected = all_replies(v1_golden());
  CHECK(hex(client.recv(expected.size())) == hex(expected));
}

TEST_CASE("server: v1 with torch 2.1's additions (APPEND, MULTI_*, CANCEL_WAIT)") {
  ServerFixture fixture;
  RawSocket client(fixture.port());
  run_in_lockstep(client,
                  {
                      {B({0x09}) + S("/ap") + S("a"), ""},
                      {B({0x09}) + S("/ap") + S("b"), ""},
                      {B({0x02}) + S("/ap"), S("ab")},
                      {B({0x0B}) + L(2) + S("/m1") + S("x") + S("/m2") + S("yy"), ""},
                      {B({0x0A}) + L(2) + S("/m1") + S("/m2"), S("x") + S("yy")},
                      {B({0x0C}), B({0x01})},
                  },
                  true);
  client.send(B({0x05}) + L(1) + S("/never"));
  CHECK(client.silent_for(100));
  client.send(B({0x0C}));
  CHECK(client.recv(1) == B({0x01}));
  CHECK(client.silent_for(50));
}

TEST_CASE("server: v1 and v2 clients share one key space") {
  ServerFixture fixture;
  RawSocket old_client(fixture.port());
  RawSocket new_client(fixture.port());
  new_client.send(kValidate + B({0x04}) + S("init/") + L(1));
  CHECK(new_client.recv(8) == L(1));
  old_client.send(B({0x03}) + S("init/") + L(1));
  CHECK(old_client.recv(8) == L(2));
}

TEST_CASE("server: WAIT is answered when its keys appear, from another connection") {
  ServerFixture fixture;
  RawSocket waiter(fixture.port());
  RawSocket writer(fixture.port());
  waiter.send(kValidate + B({0x06}) + L(2) + S("/a") + S("/b"));
  writer.send(kValidate + B({0x01}) + S("/a") + S("1"));
  CHECK(waiter.silent_for(100));
  writer.send(B({0x04}) + S("/b") + L(1));
  CHECK(writer.recv(8) == L(1));
  CHECK(waiter.recv(1) == B({0x00}));
}

TEST_CASE("server: a v2 WAIT timeout is cancelled with CANCEL_WAIT (golden)") {
  ServerFixture fixture;
  RawSocket client(fixture.port());
  client.send(kValidate + B({0x06}) + L(1) + S("/never"));
  CHECK(client.silent_for(300));
  client.send(B({0x0C}));
  CHECK(client.recv(1) == B({0x01}));
  // The cancelled wait leaves nothing behind: setting the key later sends nothing.
  RawSocket writer(fixture.port());
  writer.send(kValidate + B({0x01}) + S("/never") + S("x"));
  CHECK(client.silent_for(100));
  client.send(B({0x03}) + S("/never"));
  CHECK(client.recv(9) == S("x"));
}

TEST_CASE("server: CANCEL_WAIT racing the wake-up yields 00 01 or 01, never a torn stream") {
  ServerFixture fixture;
  RawSocket writer(fixture.port());
  writer.send(kValidate);
  for (int i = 0; i < 50; ++i) {
    RawSocket client(fixture.port());
    const std::string key = "/race" + std::to_string(i);
    client.send(kValidate + B({0x06}) + L(1) + S(key));
    // The SET and the CANCEL_WAIT cross on the wire in either order.
    writer.send(B({0x01}) + S(key) + S("v"));
    client.send(B({0x0C}));
    const auto first = client.recv(1);
    if (first == B({0x00}))
      CHECK(client.recv(1) == B({0x01}));
    else
      CHECK(first == B({0x01}));
    writer.send(B({0x07}));  // a round trip: the SET is applied
    writer.recv(8);
    client.send(B({0x03}) + S(key));
    CHECK(client.recv(9) == S("v"));
  }
}

TEST_CASE("server: a stale v1 WAIT never answers into a later request (torch 1.13 bug)") {
  ServerFixture fixture;
  RawSocket client(fixture.port());
  RawSocket writer(fixture.port());
  client.send(B({0x05}) + L(1) + S("/abandoned"));  // 1.13 gives up silently on timeout
  CHECK(client.silent_for(100));
  client.send(B({0x00}) + S("/other") + S("v"));  // any later request abandons that wait
  writer.send(B({0x00}) + S("/abandoned") + S("late"));
  client.send(B({0x02}) + S("/other"));
  CHECK(hex(client.recv(9)) == hex(S("v")));
  CHECK(client.silent_for(50));
  SUBCASE("a new WAIT replaces the stale one") {
    client.send(B({0x05}) + L(1) + S("/first"));
    client.send(B({0x05}) + L(1) + S("/second"));
    writer.send(B({0x00}) + S("/first") + S("1"));
    CHECK(client.silent_for(100));
    writer.send(B({0x00}) + S("/second") + S("2"));
    CHECK(client.recv(1) == B({0x00}));
    CHECK(client.silent_for(50));
  }
}

TEST_CASE("server: a client that disconnects during WAIT leaves no waiter behind") {
  ServerFixture fixture;
  {
    RawSocket gone(fixture.port());
    gone.send(kValidate + B({0x06}) + L(1) + S("/k"));
    RawSocket reset(fixture.port());
    reset.send(B({0x05}) + L(1) + S("/k"));
    CHECK(gone.silent_for(50));
    reset.abort();
  }
  RawSocket writer(fixture.port());
  writer.send(kValidate + B({0x07}));  // GETNUMKEYS as a round trip
  CHECK(writer.recv(8) == L(0));
  CHECK(fixture.on_loop([&] { return fixture.server().worker_keys().waiter_count(); }) == 0);
  writer.send(B({0x01}) + S("/k") + S("v") + B({0x07}));
  CHECK(writer.recv(8) == L(1));
  CHECK(fixture.on_loop([&] { return fixture.server().stats().connections; }) == 1);
}

TEST_CASE("server: bad input closes that one connection, everyone else keeps working") {
  ServerFixture fixture;
  RawSocket bystander(fixture.port());
  bystander.send(kValidate + B({0x06}) + L(1) + S("/release"));  // mid-WAIT the whole time
  RawSocket worker(fixture.port());
  worker.send(B({0x03}) + S("/n") + L(1));
  CHECK(worker.recv(8) == L(1));

  SUBCASE("garbage on a fresh connection") {
    RawSocket bad(fixture.port());
    bad.send("\x7f\x45LF\x02\x01\x01");
    CHECK(bad.closed_by_peer());
  }
  SUBCASE("HTTP while no HTTP is served") {
    RawSocket bad(fixture.port());
    bad.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(bad.closed_by_peer());
  }
  SUBCASE("unknown opcode") {
    RawSocket bad(fixture.port());
    bad.send(kValidate + B({0x20}));
    CHECK(bad.closed_by_peer());
  }
  SUBCASE("oversize key length") {
    RawSocket bad(fixture.port());
    bad.send(kValidate + B({0x03}) + L(std::int64_t{1} << 40));
    CHECK(bad.closed_by_peer());
  }
  SUBCASE("oversize value length") {
    RawSocket bad(fixture.port());
    bad.send(B({0x00}) + S("/k") + L(9 * 1024 * 1024));
    CHECK(bad.closed_by_peer());
  }
  SUBCASE("too many keys in one WAIT") {
    RawSocket bad(fixture.port());
    bad.send(kValidate + B({0x06}) + L(200000));
    CHECK(bad.closed_by_peer());
  }
  SUBCASE("ADD on a value that is not a number") {
    RawSocket bad(fixture.port());
    bad.send(kValidate + B({0x01}) + S("/txt") + S("abc") + B({0x04}) + S("/txt") + L(1));
    CHECK(bad.closed_by_peer());
  }
  SUBCASE("WATCH_KEY (v1) is refused") {
    RawSocket bad(fixture.port());
    bad.send(B({0x07}) + S("/watched"));
    CHECK(bad.closed_by_peer());
  }
  SUBCASE("a torn request then disconnect") {
    RawSocket bad(fixture.port());
    bad.send(kValidate + B({0x01}) + S("/half") + L(100) + "abc");
    bad.close();
  }

  worker.send(B({0x03}) + S("/n") + L(1));
  CHECK(worker.recv(8) == L(2));
  worker.send(B({0x00}) + S("/release") + S("go"));
  CHECK(bystander.recv(1) == B({0x00}));
}

TEST_CASE("server: a reply is never reordered behind a pending WAIT") {
  ServerFixture fixture;
  RawSocket client(fixture.port());
  RawSocket writer(fixture.port());
  client.send(kValidate + B({0x06}) + L(1) + S("/late") + B({0x07}));
  CHECK(client.silent_for(100));  // GETNUMKEYS ran (0 keys) but its answer waits behind WAIT's
  writer.send(kValidate + B({0x01}) + S("/late") + S("x"));
  CHECK(hex(client.recv(9)) == hex(B({0x00}) + L(0)));
}

TEST_CASE("server: BARRIER releases all waiters at the count") {
  ServerFixture fixture;
  RawSocket a(fixture.port()), b(fixture.port()), c(fixture.port());
  a.send(kValidate + B({0x12}) + S("/b") + L(3));
  b.send(kValidate + B({0x12}) + S("/b") + L(3));
  CHECK(a.silent_for(100));
  c.send(kValidate + B({0x12}) + S("/b") + L(3));
  CHECK(c.recv(1) == B({0x00}));
  CHECK(a.recv(1) == B({0x00}));
  CHECK(b.recv(1) == B({0x00}));
}

TEST_CASE("server: a new worker epoch wipes keys and closes the previous attempt") {
  ServerFixture fixture;
  RawSocket old_worker(fixture.port());
  old_worker.send(kValidate + B({0x04}) + S("init/") + L(1) + B({0x01}) + S("/0//cpu//0/0") +
                  S("stale-gloo-address"));
  CHECK(old_worker.recv(8) == L(1));
  RawSocket old_waiter(fixture.port());
  old_waiter.send(B({0x05}) + L(1) + S("/never"));
  RawSocket silent(fixture.port());  // connected, not yet classified
  RawSocket agent(fixture.port());
  agent.send(agent_hello("") + B({0x01}) + S("rdzv/round") + S("1"));
  CHECK(agent.recv(1) == B({kAgentAccepted}));

  CHECK(fixture.on_loop([&] { return fixture.server().begin_worker_epoch(); }) == 1);
  CHECK(old_worker.closed_by_peer());
  CHECK(old_waiter.closed_by_peer());
  silent.send(kValidate + B({0x07}));  // accepted before the epoch: refused
  CHECK(silent.closed_by_peer());

  RawSocket new_worker(fixture.port());
  new_worker.send(kValidate + B({0x07}) + B({0x03}) + S("/0//cpu//0/0") + B({0x04}) + S("init/") +
                  L(1));
  CHECK(hex(new_worker.recv(8 + 8 + 8)) == hex(L(0) + L(0) + L(1)));
  // The agents' space and connection survive the epoch.
  agent.send(B({0x03}) + S("rdzv/round"));
  CHECK(agent.recv(9) == S("1"));
}

TEST_CASE("server: the agent space is unreachable from worker connections") {
  ServerFixture fixture(StoreServerOptions{"job-token"});
  RawSocket agent(fixture.port());
  agent.send(agent_hello("job-token") + B({0x01}) + S("/secret") + S("agent-data") + B({0x07}));
  CHECK(agent.recv(1) == B({kAgentAccepted}));
  CHECK(agent.recv(8) == L(1));

  RawSocket worker(fixture.port());
  worker.send(kValidate + B({0x03}) + S("/secret") + B({0x07}) + B({0x11}) + B({0x05}) + L(1) +
              S("/secret"));
  CHECK(hex(worker.recv(8 + 8 + 8 + 1)) == hex(L(0) + L(0) + L(0) + B({0x01})));
  worker.send(B({0x01}) + S("/secret") + S("worker-data"));
  agent.send(B({0x03}) + S("/secret"));
  CHECK(agent.recv(8 + 10) == S("agent-data"));

  SUBCASE("wrong token: refused and closed") {
    RawSocket intruder(fixture.port());
    intruder.send(agent_hello("guess") + B({0x03}) + S("/secret"));
    CHECK(intruder.recv(1) == B({kAgentRefused}));
    CHECK(intruder.closed_by_peer());
  }
  SUBCASE("the in-process agent store sees the same space") {
    auto value =
        fixture.on_loop([&] { return fixture.server().worker_keys().get("/secret").value_or(""); });
    CHECK(value == "worker-data");
  }
}

TEST_CASE("server: worker peer restriction keeps loopback and listed addresses") {
  ServerFixture fixture;
  fixture.on_loop([&] {
    fixture.server().restrict_worker_peers({boost::asio::ip::make_address("10.1.2.3")});
    return 0;
  });
  RawSocket local(fixture.port());
  local.send(kValidate + B({0x07}));
  CHECK(local.recv(8) == L(0));
}

TEST_CASE("server: a busy port is one clear error naming host:port") {
  ServerFixture fixture;
  boost::asio::io_context io;
  const Endpoint taken{"127.0.0.1", fixture.port()};
  try {
    StoreServer second(io, taken);
    FAIL("bound a busy port");
  } catch (const std::system_error& error) {
    const std::string what = error.what();
    CHECK(what.find(taken.to_string()) != std::string::npos);
    CHECK(what.find("in use") != std::string::npos);
    CHECK(what.find('\n') == std::string::npos);
  }
  CHECK_THROWS_AS(StoreServer(io, Endpoint{"no-such-host.invalid", 0}), std::system_error);
}

TEST_CASE("server: port 0 picks an ephemeral port and close() frees it") {
  boost::asio::io_context io;
  auto server = std::make_unique<StoreServer>(io, Endpoint{"127.0.0.1", 0});
  const auto port = server->port();
  CHECK(port != 0);
  server->close();
  StoreServer again(io, Endpoint{"127.0.0.1", port});
  CHECK(again.port() == port);
}

TEST_CASE("server: worker peer filter decisions") {
  boost::asio::io_context io;
  auto core = std::make_shared<ServerCore>(io, "");
  const auto addr = [](const char* text) { return boost::asio::ip::make_address(text); };
  CHECK(core->worker_peer_allowed(addr("192.0.2.7")));  // no restriction: everyone
  core->allow_worker_peer(addr("192.0.2.7"));           // no-op without a restriction
  core->set_worker_peers(std::vector{addr("::ffff:192.0.2.9")});
  CHECK(core->worker_peer_allowed(addr("127.0.0.1")));
  CHECK(core->worker_peer_allowed(addr("127.4.5.6")));
  CHECK(core->worker_peer_allowed(addr("::1")));
  CHECK(core->worker_peer_allowed(addr("192.0.2.9")));         // listed as v4-mapped
  CHECK(core->worker_peer_allowed(addr("::ffff:192.0.2.9")));  // seen on a dual-stack socket
  CHECK_FALSE(core->worker_peer_allowed(addr("192.0.2.7")));
  core->allow_worker_peer(addr("192.0.2.7"));
  CHECK(core->worker_peer_allowed(addr("192.0.2.7")));
  CHECK_FALSE(core->worker_peer_allowed(addr("2001:db8::1")));
  core->set_worker_peers(std::nullopt);
  CHECK(core->worker_peer_allowed(addr("2001:db8::1")));
}

TEST_CASE("server: an 8 MiB value round-trips, and a client that reads late gets every reply") {
  ServerFixture fixture;
  RawSocket client(fixture.port());
  std::string value(8 * 1024 * 1024, 'v');
  for (std::size_t i = 0; i < value.size(); i += 4096) value[i] = static_cast<char>('a' + i % 26);
  client.send(kValidate + B({0x01}) + S("/big") + S(value));
  // 6 GETs = 48 MiB of replies, requested before reading any: the server stops reading from
  // this client while its replies pile up, and resumes once they are read.
  std::string gets;
  for (int i = 0; i < 6; ++i) gets += B({0x03}) + S("/big");
  client.send(gets);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  client.send(B({0x07}));  // arrives while the server is not reading this client
  for (int i = 0; i < 6; ++i) {
    CHECK(client.recv(8) == L(static_cast<std::int64_t>(value.size())));
    CHECK(client.recv(value.size()) == value);
  }
  CHECK(client.recv(8) == L(1));
}
