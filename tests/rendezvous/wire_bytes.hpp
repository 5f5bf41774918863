#pragma once
// Builders for golden byte vectors in tests, in the reference's notation: L(n) is an 8-byte
// little-endian length, S("k") is L(len) + the bytes, B(...) raw bytes.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "rendezvous/wire.hpp"

namespace dlaunch::rendezvous::test {

inline std::string B(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}
inline std::string L(std::int64_t n) {
  std::string out;
  put_i64(out, n);
  return out;
}
inline std::string U32(std::uint32_t n) {
  std::string out;
  put_u32(out, n);
  return out;
}
inline std::string S(std::string_view s) {
  return L(static_cast<std::int64_t>(s.size())) + std::string(s);
}

inline const std::string kValidate = B({0x00, 0xCE, 0xF7, 0x85, 0x3C});

// Agent hello: magic + token.
inline std::string agent_hello(std::string_view token) {
  return std::string(kAgentMagic) + S(token);
}

inline std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace dlaunch::rendezvous::test
