#pragma once
// Which addresses are this machine's: to decide whether this node hosts the c10d rendezvous
// (its endpoint names one of them, as torchrun's _matches_machine_hostname does), and which
// of its own addresses the workers' store must accept when it is restricted to agents' peers.

#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace dlaunch::rendezvous {

// Every address of this machine's interfaces (getifaddrs), loopback included.
std::vector<boost::asio::ip::address> local_addresses();

// True if `host` is "localhost", a loopback address, this machine's name, or resolves to an
// address of one of its interfaces. Name lookups are bounded by the resolver's own timeouts.
bool is_this_host(const std::string& host);

// A v4 address seen through a dual-stack socket (::ffff:a.b.c.d) as plain v4.
boost::asio::ip::address unmapped(const boost::asio::ip::address& address);

}  // namespace dlaunch::rendezvous
