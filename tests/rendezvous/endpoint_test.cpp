#include "rendezvous/endpoint.hpp"

#include <stdexcept>

#include <doctest/doctest.h>

using dlaunch::rendezvous::Endpoint;
using dlaunch::rendezvous::parse_endpoint;
using dlaunch::rendezvous::parse_port;

TEST_CASE("endpoint: host, host:port and bracketed IPv6") {
  CHECK(parse_endpoint("node0", 6105) == Endpoint{"node0", 6105});
  CHECK(parse_endpoint("10.0.0.4:29400", 6105) == Endpoint{"10.0.0.4", 29400});
  CHECK(parse_endpoint("[::1]:7000", 6105) == Endpoint{"::1", 7000});
  CHECK(parse_endpoint("[fe80::1]", 6105) == Endpoint{"fe80::1", 6105});
  CHECK(parse_endpoint("fe80::1", 6105) == Endpoint{"fe80::1", 6105});
  CHECK(parse_endpoint("localhost:0", 6105).port == 0);
  CHECK(Endpoint{"::1", 80}.to_string() == "[::1]:80");
  CHECK(Endpoint{"h", 80}.to_string() == "h:80");
}

TEST_CASE("endpoint: bad input is an exception that quotes it") {
  CHECK_THROWS_WITH_AS(parse_endpoint("host:70000", 1), doctest::Contains("70000"),
                       std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint(":6105", 1), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("[::1", 1), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("host:", 1), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("host:12x", 1), std::invalid_argument);
  CHECK_THROWS_AS(parse_port("0", false), std::invalid_argument);
  CHECK(parse_port("0", true) == 0);
  CHECK(parse_port("65535", false) == 65535);
  CHECK_THROWS_AS(parse_port("-1", true), std::invalid_argument);
}
