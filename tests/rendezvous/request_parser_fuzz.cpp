// libFuzzer target: the store's parser and request execution on arbitrary bytes.
// Oracles: no crash or sanitizer report; the requests (and the error, if any) do not depend on
// how the stream is fragmented; every request executes on a key space without tripping a check.
// Built by scripts/fuzz_store_parser.sh (clang, -DDLAUNCH_FUZZ=ON, ASan + UBSan).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "rendezvous/key_space.hpp"
#include "rendezvous/request_executor.hpp"
#include "rendezvous/request_parser.hpp"

using namespace dlaunch::rendezvous;

namespace {

struct Parse {
  std::vector<Request> requests;
  bool error = false;
  bool http = false;  // handed to the HTTP server: the parser reads no further
  std::string token;
};

Parse parse(std::string_view bytes, std::size_t chunk) {
  Parse out;
  RequestParser parser;
  while (!bytes.empty() && !out.error && !out.http) {
    std::string_view piece = bytes.substr(0, chunk);
    bytes.remove_prefix(piece.size());
    while (!piece.empty()) {
      const auto result = parser.parse(piece);
      if (result.consumed > piece.size()) std::abort();
      piece.remove_prefix(result.consumed);
      if (result.event == RequestParser::Event::kRequest)
        out.requests.push_back(parser.take_request());
      if (result.event == RequestParser::Event::kAgentHello) out.token = parser.token();
      if (result.event == RequestParser::Event::kError) {
        out.error = true;
        break;
      }
      if (result.event == RequestParser::Event::kHttp) {
        out.http = true;
        break;
      }
    }
  }
  return out;
}

bool same(const Request& a, const Request& b) {
  return a.op == b.op && a.keys == b.keys && a.values == b.values && a.number == b.number &&
         a.nonce == b.nonce;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks a fragmentation to compare against reading everything at once.
  const std::size_t chunk = 1 + data[0] % 16;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  Parse whole = parse(bytes, bytes.size() + 1);
  const Parse pieces = parse(bytes, chunk);
  if (whole.error != pieces.error || whole.http != pieces.http || whole.token != pieces.token ||
      whole.requests.size() != pieces.requests.size()) {
    std::abort();
  }
  for (std::size_t i = 0; i < whole.requests.size(); ++i) {
    if (!same(whole.requests[i], pieces.requests[i])) std::abort();
  }

  KeySpace space;
  int wakes = 0;
  const auto make_wake = [&wakes]() -> Wake { return [&wakes](bool) { ++wakes; }; };
  for (auto& request : whole.requests) {
    switch (request.op) {
      case Op::kValidate:
      case Op::kWatchKey:
        continue;
      case Op::kCancelWait:
        space.cancel_waits(1);
        continue;
      default:
        break;
    }
    const Outcome outcome = execute(space, 1, request, make_wake);
    if (outcome.kind == Outcome::Kind::kClose && outcome.error.empty()) std::abort();
  }
  space.clear();
  if (space.waiter_count() != 0) std::abort();
  return 0;
}
