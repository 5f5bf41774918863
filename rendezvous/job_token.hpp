#pragma once
// The job token's one comparison: constant time in the token's content, so a peer cannot guess
// it byte by byte from response times. Used by the agents' hello and the HTTP endpoints.

#include <string_view>

namespace dlaunch::rendezvous {

inline bool token_matches(std::string_view given, std::string_view token) {
  if (given.size() != token.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  }
  return diff == 0;
}

}  // namespace dlaunch::rendezvous
