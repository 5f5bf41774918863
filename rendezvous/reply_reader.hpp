#pragma once
// decode_reply(): the client side of the wire: cuts one server reply of a known shape off the
// front of the bytes received so far. Socket-free; used by StoreClient and the tests. Lengths
// beyond the server's own limits are a protocol error rather than something to wait for.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dlaunch::rendezvous {

enum class ReplyKind : std::uint8_t {
  kByte,      // CHECK, WAIT, BARRIER, CANCEL_WAIT, agent hello
  kI64,       // ADD, GETNUMKEYS, DELETE_KEY, QUEUE_LEN
  kU32,       // PING
  kBytes,     // GET, COMPARE_SET
  kBytesN,    // MULTI_GET: `count` values, no count prefix
  kList,      // LIST_KEYS: i64 count, then strings
  kQueuePop,  // i64 length before the pop, then one value if it was > 0
};

struct Reply {
  std::uint8_t byte = 0;
  std::int64_t number = 0;
  std::uint32_t u32 = 0;
  std::vector<std::string> values;
};

struct Decoded {
  enum class Status { kNeedMore, kDone, kBad } status;
  std::size_t used = 0;  // bytes of the input the reply took (kDone)
};

Decoded decode_reply(ReplyKind kind, std::size_t count, std::string_view input, Reply& out);

}  // namespace dlaunch::rendezvous
