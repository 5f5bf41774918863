#include "rendezvous/http_routes.hpp"

#include <optional>

#include <doctest/doctest.h>

#include "rendezvous/http_connection.hpp"

using namespace dlaunch::rendezvous;

namespace {

HttpRequest get(const std::string& path, const std::string& authorization = "") {
  HttpRequest request;
  request.method = "GET";
  request.target = path;
  split_target(path, request.path, request.query);
  request.authorization = authorization;
  return request;
}

HttpResponse answer(const HttpRoutes& routes, const HttpRequest& request) {
  std::optional<HttpResponse> got;
  int calls = 0;
  routes.dispatch(request, [&](HttpResponse r) {
    got = std::move(r);
    ++calls;
  });
  REQUIRE(calls == 1);
  return *got;
}

HttpRoutes sample(const std::string& token) {
  HttpRoutes routes(token);
  routes.add("/livez", HttpRoutes::Access::kOpen, HttpRoutes::SyncHandler([](const HttpRequest&) {
               return HttpResponse::text(200, "ok\n");
             }));
  routes.add("/status", HttpRoutes::Access::kToken,
             HttpRoutes::SyncHandler([](const HttpRequest& r) {
               return HttpResponse::json("{\"ranks\":\"" + r.get("ranks", "all") + "\"}");
             }));
  return routes;
}

}  // namespace

TEST_CASE("http routes: paths, methods and the query") {
  const auto routes = sample("");
  CHECK(answer(routes, get("/livez")).body == "ok\n");
  CHECK(answer(routes, get("/status?ranks=0")).body == "{\"ranks\":\"0\"}");
  CHECK(answer(routes, get("/status")).body == "{\"ranks\":\"all\"}");
  const auto missing = answer(routes, get("/nope"));
  CHECK(missing.status == 404);
  CHECK(missing.body.find("/status") != std::string::npos);  // says what exists
  auto post = get("/status");
  post.method = "POST";
  const auto refused = answer(routes, post);
  CHECK(refused.status == 405);
  CHECK(refused.headers.at(0) == std::pair<std::string, std::string>{"Allow", "GET, HEAD"});
}

TEST_CASE("http routes: the token guards everything but the open routes") {
  const auto routes = sample("s3cret");
  CHECK(answer(routes, get("/livez")).status == 200);
  const auto refused = answer(routes, get("/status"));
  CHECK(refused.status == 401);
  CHECK(refused.headers.size() == 2);  // a Bearer and a Basic challenge (browsers ask for Basic)
  CHECK(answer(routes, get("/status", "Bearer wrong")).status == 401);
  CHECK(answer(routes, get("/status", "Bearer s3cre")).status == 401);
  CHECK(answer(routes, get("/status", "Bearer s3cret")).status == 200);
  CHECK(answer(routes, get("/status", "bearer   s3cret ")).status == 200);
  // Basic: any user, the token as the password ("me:s3cret", "x:wrong").
  CHECK(answer(routes, get("/status", "Basic bWU6czNjcmV0")).status == 200);
  CHECK(answer(routes, get("/status", "Basic eDp3cm9uZw==")).status == 401);
  CHECK(answer(routes, get("/status", "Basic !!!")).status == 401);
  auto local = get("/status");
  local.trusted_peer = true;
  CHECK(answer(routes, local).status == 200);
}

TEST_CASE("http routes: a handler may answer later, and a later add replaces a route") {
  HttpRoutes routes;
  HttpRoutes::Respond parked;
  routes.add("/slow", HttpRoutes::Access::kOpen,
             [&](const HttpRequest&, HttpRoutes::Respond respond) { parked = std::move(respond); });
  std::optional<HttpResponse> got;
  routes.dispatch(get("/slow"), [&](HttpResponse r) { got = std::move(r); });
  CHECK_FALSE(got);
  parked(HttpResponse::text(200, "late\n"));
  REQUIRE(got);
  CHECK(got->body == "late\n");
  routes.add("/slow", HttpRoutes::Access::kOpen, HttpRoutes::SyncHandler([](const HttpRequest&) {
               return HttpResponse::text(200, "now\n");
             }));
  CHECK(answer(routes, get("/slow")).body == "now\n");
}

TEST_CASE("http target: path and query are decoded") {
  std::string path;
  std::map<std::string, std::string> query;
  split_target("/a%20b?x=1&y&z=a+b%26c#frag", path, query);
  CHECK(path == "/a b");
  CHECK(query.at("x") == "1");
  CHECK(query.at("y") == "");
  CHECK(query.at("z") == "a b&c");
  split_target("/bad%zz%", path, query);
  CHECK(path == "/bad%zz%");
  CHECK(query.empty());
}

TEST_CASE("base64: decodes with or without padding, refuses other bytes") {
  CHECK(base64_decode("bWU6czNjcmV0") == "me:s3cret");
  CHECK(base64_decode("YQ==") == "a");
  CHECK(base64_decode("YQ") == "a");
  bool ok = true;
  CHECK(base64_decode("Y$Q", &ok).empty());
  CHECK_FALSE(ok);
}
