#pragma once
// Request: one parsed store operation, dialect-neutral. Which fields are filled depends on the
// op (see RequestParser): keys for every keyed op, values for SET/COMPARE_SET (expected,
// desired)/APPEND/MULTI_SET/QUEUE_PUSH, number for ADD's delta and BARRIER's world size, nonce
// for PING and VALIDATE.

#include <cstdint>
#include <string>
#include <vector>

#include "rendezvous/wire.hpp"

namespace dlaunch::rendezvous {

struct Request {
  Op op = Op::kGetNumKeys;
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::int64_t number = 0;
  std::uint32_t nonce = 0;
};

}  // namespace dlaunch::rendezvous
