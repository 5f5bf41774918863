#include "rendezvous/http_routes.hpp"

#include <cctype>

#include "rendezvous/job_token.hpp"

namespace dlaunch::rendezvous {
namespace {

bool starts_with_word(const std::string& text, const std::string& word) {
  if (text.size() <= word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != word[i]) return false;
  }
  return text[word.size()] == ' ';
}

std::string after_scheme(const std::string& header, std::size_t scheme_length) {
  std::size_t from = scheme_length;
  while (from < header.size() && header[from] == ' ') ++from;
  std::size_t to = header.size();
  while (to > from && header[to - 1] == ' ') --to;
  return header.substr(from, to - from);
}

HttpResponse unauthorized() {
  auto r = HttpResponse::text(401, "this job needs its token: Authorization: Bearer <token>\n");
  // Bearer for scripts; Basic makes a browser ask (any user name, the token as the password).
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"dlaunch\"");
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"dlaunch\", charset=\"UTF-8\"");
  return r;
}

}  // namespace

std::string base64_decode(const std::string& text, bool* ok) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned bits = 0;
  int count = 0;
  bool good = true;
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '=') --end;
  for (std::size_t i = 0; i < end; ++i) {
    const int v = value(text[i]);
    if (v < 0) {
      good = false;
      break;
    }
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  if (ok) *ok = good;
  return good ? out : std::string();
}

void HttpRoutes::add(const std::string& path, Access access, Handler handler) {
  routes_[path] = Route{access, std::move(handler)};
}

void HttpRoutes::add(const std::string& path, Access access, SyncHandler handler) {
  add(path, access,
      Handler([handler = std::move(handler)](const HttpRequest& request, Respond respond) {
        respond(handler(request));
      }));
}

bool HttpRoutes::authorized(const HttpRequest& request) const {
  if (token_.empty() || request.trusted_peer) return true;
  const std::string& header = request.authorization;
  if (starts_with_word(header, "bearer")) {
    return token_matches(after_scheme(header, 6), token_);
  }
  if (starts_with_word(header, "basic")) {
    bool ok = false;
    const std::string pair = base64_decode(after_scheme(header, 5), &ok);
    const auto colon = pair.find(':');
    return ok && colon != std::string::npos && token_matches(pair.substr(colon + 1), token_);
  }
  return false;
}

void HttpRoutes::dispatch(const HttpRequest& request, Respond respond) const {
  if (request.method != "GET" && request.method != "HEAD") {
    auto r = HttpResponse::text(405, "only GET and HEAD: nothing here can change the job\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return respond(std::move(r));
  }
  const auto it = routes_.find(request.path);
  if (it == routes_.end()) {
    std::string known;
    for (const auto& [path, route] : routes_) known += path + "\n";
    return respond(HttpResponse::text(404, "no such path; these exist:\n" + known));
  }
  if (it->second.access == Access::kToken && !authorized(request)) return respond(unauthorized());
  it->second.handler(request, std::move(respond));
}

std::vector<std::string> HttpRoutes::paths() const {
  std::vector<std::string> out;
  for (const auto& [path, route] : routes_) out.push_back(path);
  return out;
}

}  // namespace dlaunch::rendezvous
