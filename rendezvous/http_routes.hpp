#pragma once
// HttpRoutes: the table of dlaunch's HTTP endpoints, shared by every listener that speaks HTTP
// (node 0's store port, TORCHELASTIC_HEALTH_CHECK_PORT, the agent's local socket). A route is
// an exact path, whether it needs the job token, and a handler. dispatch() does the rest the
// same way for every route: GET and HEAD only (405 otherwise: nothing here can change the job),
// 404 for an unknown path, 401 without the token, HEAD answered like GET without the body.
//
// The token (the job's --rdzv_token) is accepted as `Authorization: Bearer <token>` (scripts,
// Prometheus' `authorization` scrape setting) or as the password of HTTP Basic (browsers ask
// for it themselves on the 401). A trusted peer (HttpRequest::trusted_peer: this user on the
// local socket) needs none.
//
// Handlers answer through `respond`, at once or later from another handler on the loop (a route
// that asks other nodes first); exactly once. Owned through shared_ptr by the agent and the
// listeners; add routes before serving. Loop thread only.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rendezvous/http_message.hpp"

namespace dlaunch::rendezvous {

class HttpRoutes {
 public:
  enum class Access { kOpen, kToken };
  using Respond = std::function<void(HttpResponse)>;
  using Handler = std::function<void(const HttpRequest&, Respond)>;
  using SyncHandler = std::function<HttpResponse(const HttpRequest&)>;

  // Empty token: every route is open.
  explicit HttpRoutes(std::string token = "") : token_(std::move(token)) {}

  // A later add() of the same path replaces the route.
  void add(const std::string& path, Access access, Handler handler);
  void add(const std::string& path, Access access, SyncHandler handler);

  // Answers `request` through `respond`, exactly once.
  void dispatch(const HttpRequest& request, Respond respond) const;
  // Whether `request` may see routes that need the token.
  bool authorized(const HttpRequest& request) const;
  std::vector<std::string> paths() const;
  bool has_token() const { return !token_.empty(); }

 private:
  struct Route {
    Access access;
    Handler handler;
  };
  std::string token_;
  std::map<std::string, Route> routes_;
};

// RFC 4648 base64 decoding (padding optional); nullopt-like empty result on bad input.
std::string base64_decode(const std::string& text, bool* ok = nullptr);

}  // namespace dlaunch::rendezvous
