#pragma once
// Endpoint: a host and a TCP port, as users write them ("host", "host:port", "[::1]:6105").
// Parsing is strict: a bad port or an empty host is an exception with a message that quotes
// the input, for the CLI to print as its one error line.

#include <cstdint>
#include <string>
#include <string_view>

namespace dlaunch::rendezvous {

struct Endpoint {
  std::string host;  // name or literal address, IPv6 without brackets
  std::uint16_t port = 0;

  // "host:port", with brackets around IPv6 literals.
  std::string to_string() const;
  bool operator==(const Endpoint&) const = default;
};

// Parses "host[:port]" or "[v6]:port". `default_port` is used when the text has no port.
// Throws std::invalid_argument (port outside 0..65535, empty host, stray brackets).
Endpoint parse_endpoint(std::string_view text, std::uint16_t default_port);

// Parses a port number 0..65535 (allow_zero) or 1..65535. Throws std::invalid_argument.
std::uint16_t parse_port(std::string_view text, bool allow_zero);

}  // namespace dlaunch::rendezvous
