#pragma once
// RawSocket: a blocking loopback TCP socket for conformance tests that speak the wire byte by
// byte. Every read is bounded (kTimeout), so a missing reply fails the test instead of hanging.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dlaunch::rendezvous::test {

class RawSocket {
 public:
  static constexpr int kTimeoutMs = 5000;

  explicit RawSocket(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("connect failed");
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawSocket() { close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Sends one byte per send() call, as torch 1.13's field-by-field writes do at worst.
  void send_bytewise(std::string_view bytes) {
    for (char c : bytes) send(std::string_view(&c, 1));
  }

  // Reads exactly n bytes; throws on timeout or close.
  std::string recv(std::size_t n, int timeout_ms = kTimeoutMs) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (out.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !readable(static_cast<int>(left.count()))) {
        throw std::runtime_error("timed out waiting for " + std::to_string(n) + " bytes, got " +
                                 std::to_string(out.size()));
      }
      char buffer[4096];
      const auto got = ::recv(fd_, buffer, std::min(sizeof buffer, n - out.size()), 0);
      if (got <= 0) throw std::runtime_error("connection closed");
      out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
  }
  // True if nothing arrives within `ms` (the connection stays open and silent).
  bool silent_for(int ms) { return !readable(ms); }
  // True if the peer closes (EOF or reset) within the timeout.
  bool closed_by_peer(int timeout_ms = kTimeoutMs) {
    if (!readable(timeout_ms)) return false;
    char buffer[256];
    while (true) {
      const auto got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) return true;
      if (!readable(timeout_ms)) return false;
    }
  }
  // Everything the peer sends until it closes; throws when it stays open past the timeout.
  std::string recv_until_close(int timeout_ms = kTimeoutMs) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !readable(static_cast<int>(left.count()))) {
        throw std::runtime_error("still open after " + std::to_string(timeout_ms) + " ms, got " +
                                 std::to_string(out.size()) + " bytes");
      }
      char buffer[4096];
      const auto got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) return out;
      out.append(buffer, static_cast<std::size_t>(got));
    }
  }
  // send() that reports a peer which already closed instead of throwing.
  bool try_send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Sends RST instead of FIN on close.
  void abort() {
    linger option{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof option);
    close();
  }

 private:
  bool readable(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) > 0;
  }
  int fd_ = -1;
};

}  // namespace dlaunch::rendezvous::test
