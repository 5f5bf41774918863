#include "rendezvous/local_address.hpp"

#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace dlaunch::rendezvous {
namespace asio = boost::asio;

namespace {

std::optional<asio::ip::address> from_sockaddr(const sockaddr* sa) {
  if (!sa) return std::nullopt;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    asio::ip::address_v4::bytes_type bytes;
    std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
    return asio::ip::address(asio::ip::address_v4(bytes));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
    return asio::ip::address(asio::ip::address_v6(bytes, in6->sin6_scope_id));
  }
  return std::nullopt;
}

std::vector<asio::ip::address> resolve(const std::string& host) {
  std::vector<asio::ip::address> addresses;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &results) != 0) return addresses;
  for (const addrinfo* ai = results; ai; ai = ai->ai_next) {
    if (auto address = from_sockaddr(ai->ai_addr)) addresses.push_back(unmapped(*address));
  }
  ::freeaddrinfo(results);
  return addresses;
}

}  // namespace

asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::vector<asio::ip::address> local_addresses() {
  std::vector<asio::ip::address> addresses;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return addresses;
  for (const ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    if (auto address = from_sockaddr(entry->ifa_addr)) addresses.push_back(*address);
  }
  ::freeifaddrs(list);
  return addresses;
}

bool is_this_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code error;
  const auto literal = asio::ip::make_address(host, error);
  if (!error && unmapped(literal).is_loopback()) return true;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0 && host == name) return true;
  const auto mine = local_addresses();
  const auto candidates = error ? resolve(host) : std::vector<asio::ip::address>{unmapped(literal)};
  return std::any_of(candidates.begin(), candidates.end(), [&](const asio::ip::address& a) {
    return a.is_loopback() || std::find(mine.begin(), mine.end(), a) != mine.end();
  });
}

}  // namespace dlaunch::rendezvous
