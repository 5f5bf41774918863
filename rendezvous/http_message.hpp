#pragma once
// HttpRequest and HttpResponse: what a route handler of dlaunch's read-only HTTP endpoints sees
// and answers (http_routes.hpp). Plain values, free of Beast: the connection (http_connection.*)
// fills a request from the parsed message and turns a response into bytes. Header-only.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace dlaunch::rendezvous {

struct HttpRequest {
  std::string method;                        // "GET", "HEAD", ...
  std::string target;                        // as sent: "/status?ranks=0"
  std::string path;                          // percent-decoded, without the query: "/status"
  std::map<std::string, std::string> query;  // decoded; a key without '=' maps to ""
  std::string authorization;                 // the Authorization header, "" when absent
  std::string accept;                        // the Accept header
  std::string peer;                          // "10.0.0.2:51234", or "local" on a Unix socket
  // The peer is this machine's user that runs the agent (or root), proven by the kernel
  // (SO_PEERCRED on the agent's local socket): it needs no token.
  bool trusted_peer = false;

  bool has(const std::string& key) const { return query.count(key) > 0; }
  // The query value for `key`, or `fallback` when absent.
  std::string get(const std::string& key, std::string fallback = "") const {
    auto it = query.find(key);
    return it == query.end() ? std::move(fallback) : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones

  static HttpResponse text(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static HttpResponse json(std::string body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
  }
};

}  // namespace dlaunch::rendezvous
