// HTTP on the store port (told apart from both torch dialects by the first byte) and on an
// HttpServer of its own (TCP, and the abstract local socket), with http_get() as the client:
// answers, tokens, and every limit that keeps garbage away from the store's workers.
#include "rendezvous/http_server.hpp"

#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "rendezvous/http_client.hpp"
#include "rendezvous/store_server.hpp"
#include "tests/rendezvous/raw_socket.hpp"
#include "tests/rendezvous/server_fixture.hpp"
#include "tests/rendezvous/wire_bytes.hpp"

using namespace dlaunch::rendezvous;
using namespace dlaunch::rendezvous::test;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<HttpRoutes> test_routes(const std::string& token = "") {
  auto routes = std::make_shared<HttpRoutes>(token);
  routes->add("/livez", HttpRoutes::Access::kOpen, HttpRoutes::SyncHandler([](const HttpRequest&) {
                return HttpResponse::text(200, "ok\n");
              }));
  routes->add("/status", HttpRoutes::Access::kToken,
              HttpRoutes::SyncHandler([](const HttpRequest& r) {
                return HttpResponse::json(
                    "{\"peer_trusted\":" + std::string(r.trusted_peer ? "true" : "false") + "}");
              }));
  return routes;
}

HttpTarget tcp_target(std::uint16_t port) {
  return parse_http_target("127.0.0.1:" + std::to_string(port));
}

// A v2 worker connection that has said VALIDATE; add() is one round trip.
struct V2Worker {
  explicit V2Worker(std::uint16_t port) : socket(port) { socket.send(kValidate); }
  std::int64_t add(const std::string& key, std::int64_t delta) {
    socket.send(B({0x04}) + S(key) + L(delta));
    const std::string reply = socket.recv(8);
    return static_cast<std::int64_t>(get_u64(reply.data()));
  }
  RawSocket socket;
};

template <class F>
bool eventually_true(F condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// A loopback port nobody listens on (bound, then released).
std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

std::string status_line(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

}  // namespace

TEST_CASE("store port: HTTP is answered beside v1 and v2 workers on the same port") {
  ServerFixture fixture;
  fixture.on_loop([&] { fixture.server().serve_http(test_routes()); });
  V2Worker v2(fixture.port());
  RawSocket v1(fixture.port());
  v1.send(B({0x03}) + S("/n") + L(5));  // v1 ADD
  CHECK(get_u64(v1.recv(8).data()) == 5);
  CHECK(v2.add("/n", 1) == 6);

  const auto live = http_get(tcp_target(fixture.port()), "/livez", "");
  CHECK(live.status == 200);
  CHECK(live.body == "ok\n");
  const auto status = http_get(tcp_target(fixture.port()), "/status", "");
  CHECK(status.status == 200);
  CHECK(status.content_type == "application/json");
  CHECK(status.body == "{\"peer_trusted\":false}");
  CHECK(v2.add("/n", 1) == 7);

  const auto stats = fixture.on_loop([&] { return fixture.server().stats(); });
  CHECK(stats.v1 == 1);
  CHECK(stats.v2 == 1);
  CHECK(stats.http_service.accepted == 2);
  CHECK(stats.http_service.requests == 2);
  CHECK(stats.ops_total[static_cast<std::size_t>(Op::kAdd)] == 3);
  CHECK(stats.worker_keys == 1);
  CHECK(stats.worker_bytes == 3);  // "/n" and "7"
}

TEST_CASE("store port: HEAD, keep-alive and a byte-by-byte request") {
  ServerFixture fixture;
  fixture.on_loop([&] { fixture.server().serve_http(test_routes()); });
  RawSocket client(fixture.port());
  client.send_bytewise("HEAD /livez HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string head = client.recv(1);
  // Read the rest of the head response's headers.
  std::string response = head;
  while (response.find("\r\n\r\n") == std::string::npos) response += client.recv(1);
  CHECK(status_line(response) == "HTTP/1.1 200 OK");
  CHECK(response.find("Content-Length: 3\r\n") != std::string::npos);
  // Kept alive: a second request on the same connection gets its body.
  client.send("GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string second = client.recv_until_close();
  CHECK(status_line(second) == "HTTP/1.1 200 OK");
  CHECK(second.size() >= 3);
  CHECK(second.substr(second.size() - 3) == "ok\n");
}

TEST_CASE(
    "store port: oversized, malformed and slow HTTP is answered or closed, and workers go on") {
  HttpLimits limits;
  limits.request_timeout = 300ms;
  limits.max_connections = 4;
  ServerFixture fixture;
  fixture.on_loop([&] { fixture.server().serve_http(test_routes(), limits); });
  V2Worker worker(fixture.port());
  RawSocket waiter(fixture.port());
  waiter.send(kValidate + B({0x06}) + L(1) + S("/release"));  // blocked in WAIT throughout

  SUBCASE("a header over 8 KiB") {
    RawSocket bad(fixture.port());
    bad.try_send("GET /livez HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
    CHECK(status_line(bad.recv_until_close()) == "HTTP/1.1 431 Request Header Fields Too Large");
  }
  SUBCASE("a body nobody asked for") {
    RawSocket bad(fixture.port());
    bad.try_send("GET /livez HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" +
                 std::string(100000, 'b'));
    CHECK(status_line(bad.recv_until_close()) == "HTTP/1.1 413 Payload Too Large");
  }
  SUBCASE("bytes that start like a method and are not HTTP") {
    RawSocket bad(fixture.port());
    bad.send("G\x01\x02\x03\r\n\r\n");
    CHECK(status_line(bad.recv_until_close()) == "HTTP/1.1 400 Bad Request");
  }
  SUBCASE("a client that never finishes its request (slowloris)") {
    RawSocket slow(fixture.port());
    slow.send("GET /livez HTTP/1.1\r\nHost: x\r\n");
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3 && slow.try_send("X-A: b\r\n"); ++i) std::this_thread::sleep_for(50ms);
    CHECK(slow.closed_by_peer(3000));
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  }
  SUBCASE("more connections than the limit get 503") {
    std::vector<std::unique_ptr<RawSocket>> held;
    for (int i = 0; i < 4; ++i) {
      held.push_back(std::make_unique<RawSocket>(fixture.port()));
      held.back()->send("G");  // an HTTP connection, its request unfinished
    }
    REQUIRE(eventually_true(
        [&] { return fixture.on_loop([&] { return fixture.server().stats().http; }) == 4; }));
    RawSocket extra(fixture.port());
    extra.send("GET /livez HTTP/1.1\r\n\r\n");
    CHECK(status_line(extra.recv_until_close()) == "HTTP/1.1 503 Service Unavailable");
  }
  SUBCASE("a POST changes nothing") {
    RawSocket post(fixture.port());
    post.send("POST /status HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    CHECK(status_line(post.recv_until_close()) == "HTTP/1.1 405 Method Not Allowed");
  }
  CHECK(worker.add("/still", 1) == 1);
  worker.socket.send(B({0x01}) + S("/release") + S("x"));
  CHECK(waiter.recv(1) == B({0x00}));
  const auto stats = fixture.on_loop([&] { return fixture.server().stats(); });
  CHECK(stats.v2 == 2);
}

TEST_CASE("store port: a route that does not answer in time gets 504") {
  HttpLimits limits;
  limits.handler_timeout = 200ms;
  auto routes = std::make_shared<HttpRoutes>();
  routes->add("/never", HttpRoutes::Access::kOpen,
              [](const HttpRequest&, HttpRoutes::Respond) {});  // drops `respond`
  ServerFixture fixture;
  fixture.on_loop([&] { fixture.server().serve_http(routes, limits); });
  const auto result = http_get(tcp_target(fixture.port()), "/never", "", 5s);
  CHECK(result.status == 504);
}

TEST_CASE("http server: TCP needs the token, this user on the local socket does not") {
  boost::asio::io_context io;
  const std::string name = "dlaunch-test-" + std::to_string(::getpid());
  auto routes = test_routes("tok");
  auto tcp = HttpServer::listen_tcp(io, Endpoint{"127.0.0.1", 0}, routes);
  auto local = HttpServer::listen_local(io, name, routes);
  std::thread loop([&] { io.run_for(10s); });
  const auto refused = http_get(tcp_target(tcp->port()), "/status", "");
  const auto allowed = http_get(tcp_target(tcp->port()), "/status", "tok");
  const auto live = http_get(tcp_target(tcp->port()), "/livez", "");
  const auto trusted = http_get(parse_http_target("unix:@" + name), "/status", "");
  CHECK(refused.status == 401);
  CHECK(allowed.status == 200);
  CHECK(allowed.body == "{\"peer_trusted\":false}");
  CHECK(live.status == 200);
  CHECK(trusted.status == 200);
  CHECK(trusted.body == "{\"peer_trusted\":true}");
  // A second server cannot take the same local name.
  CHECK_THROWS_AS(HttpServer::listen_local(io, name, routes), std::system_error);
  boost::asio::post(io, [&] {
    tcp->close();
    local->close();
    io.stop();
  });
  loop.join();
}

TEST_CASE("http client: one line that names the address when nobody answers") {
  const auto port = closed_port();
  try {
    http_get(tcp_target(port), "/status", "", 2s);
    FAIL("no exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) ==
          "cannot connect to http://127.0.0.1:" + std::to_string(port) + ": Connection refused");
  }
  CHECK_THROWS_WITH_AS(parse_http_target("https://h:1"), doctest::Contains("https is not served"),
                       std::invalid_argument);
  CHECK_THROWS_AS(parse_http_target("h"), std::invalid_argument);
  const auto target = parse_http_target("http://[::1]:6105/status?ranks=1");
  CHECK(target.host == "::1");
  CHECK(target.port == 6105);
  CHECK(target.path == "/status?ranks=1");
  CHECK(parse_http_target("unix:@dlaunch-1").local_name == "dlaunch-1");
}
