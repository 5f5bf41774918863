#include "rendezvous/endpoint.hpp"

#include <charconv>
#include <stdexcept>

namespace dlaunch::rendezvous {

std::string Endpoint::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::uint16_t parse_port(std::string_view text, bool allow_zero) {
  unsigned long value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  const unsigned long low = allow_zero ? 0 : 1;
  if (text.empty() || ec != std::errc{} || ptr != end || value < low || value > 65535) {
    throw std::invalid_argument("invalid port '" + std::string(text) + "' (expected " +
                                std::to_string(low) + "-65535)");
  }
  return static_cast<std::uint16_t>(value);
}

Endpoint parse_endpoint(std::string_view text, std::uint16_t default_port) {
  Endpoint endpoint;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      throw std::invalid_argument("invalid endpoint '" + std::string(text) + "': missing ']'");
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      throw std::invalid_argument("invalid endpoint '" + std::string(text) + "'");
    }
  } else {
    const auto colon = text.rfind(':');
    // More than one colon without brackets is a bare IPv6 address with no port.
    if (colon != std::string_view::npos && text.find(':') == colon) {
      endpoint.host = std::string(text.substr(0, colon));
      rest = text.substr(colon);
    } else {
      endpoint.host = std::string(text);
    }
  }
  if (endpoint.host.empty()) {
    throw std::invalid_argument("invalid endpoint '" + std::string(text) + "': empty host");
  }
  endpoint.port = rest.empty() ? default_port : parse_port(rest.substr(1), /*allow_zero=*/true);
  return endpoint;
}

}  // namespace dlaunch::rendezvous
