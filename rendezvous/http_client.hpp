#pragma once
// http_get(): one blocking HTTP/1.1 GET, for command-line tools (`dlaunch status`, `dlaunch
// stacks`) that ask an agent: over TCP to host:port, or over the agent's abstract local socket.
// Runs its own io_context, bounded by `timeout`; throws std::runtime_error with one line that
// names the address when it cannot connect, send or read. Any thread.

#include <chrono>
#include <cstdint>
#include <string>

namespace dlaunch::rendezvous {

// Where an agent answers: "http://HOST:PORT[/...]" (or "HOST:PORT") or "unix:@NAME".
struct HttpTarget {
  std::string host;
  std::uint16_t port = 0;
  std::string local_name;  // the abstract socket's name, without '@'; set for unix:@NAME
  std::string path = "/";  // from the URL, when it has one

  bool local() const { return !local_name.empty(); }
  std::string describe() const;  // "http://h:p" or "unix:@name"
};
// Throws std::invalid_argument with a one-line reason.
HttpTarget parse_http_target(const std::string& text);

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string body;
};

// GET `path` (with its query) from `target`; `token`, when not empty, goes as a Bearer token.
HttpResult http_get(const HttpTarget& target, const std::string& path, const std::string& token,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace dlaunch::rendezvous
