#include "rendezvous/request_parser.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tests/rendezvous/wire_bytes.hpp"

using namespace dlaunch::rendezvous;
using namespace dlaunch::rendezvous::test;

namespace {

struct Parsed {
  std::vector<Request> requests;
  int hellos = 0;
  bool http = false;
  bool error = false;
  std::string message;
};

// Feeds `bytes` in chunks of `chunk` (0 = all at once) and collects the events.
Parsed feed(RequestParser& parser, const std::string& bytes, std::size_t chunk = 0) {
  Parsed parsed;
  std::size_t offset = 0;
  while (offset < bytes.size() && !parsed.error && !parsed.http) {
    const std::size_t n =
        chunk == 0 ? bytes.size() - offset : std::min(chunk, bytes.size() - offset);
    std::string_view input(bytes.data() + offset, n);
    offset += n;
    while (!input.empty()) {
      const auto result = parser.parse(input);
      input.remove_prefix(result.consumed);
      if (result.event == RequestParser::Event::kRequest)
        parsed.requests.push_back(parser.take_request());
      if (result.event == RequestParser::Event::kAgentHello) ++parsed.hellos;
      if (result.event == RequestParser::Event::kError) {
        parsed.error = true;
        parsed.message = parser.error();
        break;
      }
      if (result.event == RequestParser::Event::kHttp) {
        parsed.http = true;
        break;
      }
      if (result.event == RequestParser::Event::kNeedMore) CHECK(input.empty());
    }
  }
  return parsed;
}

Parsed feed_new(const std::string& bytes, std::size_t chunk = 0) {
  RequestParser parser;
  return feed(parser, bytes, chunk);
}

// Every v2 op of the reference's golden vectors, pipelined after VALIDATE + PING.
const std::string kV2Session = kValidate + B({0x0D, 0xFA, 0x48, 0x00, 0x00}) +  // PING
                               B({0x04}) + S("init/") + L(1) +                  // ADD init/ +1
                               B({0x01}) + S("/k") + S("v") +                   // SET
                               B({0x06}) + L(1) + S("/k") +                     // WAIT
                               B({0x03}) + S("/k") +                            // GET
                               B({0x04}) + S("/cnt") + L(-2) +                  // ADD -2
                               B({0x02}) + S("/cs") + S("") + S("new") +        // COMPARE_SET
                               B({0x05}) + L(1) + S("/nokey") +                 // CHECK
                               B({0x07}) +                                      // GETNUMKEYS
                               B({0x08}) + S("/k") +                            // DELETE_KEY
                               B({0x0B}) + L(2) + S("/m1") + S("x") + S("/m2") +
                               S("yy") +                                  // MULTI_SET
                               B({0x0A}) + L(2) + S("/m1") + S("/m2") +   // MULTI_GET
                               B({0x0C}) +                                // CANCEL_WAIT
                               B({0x09}) + S("/ap") + S("z") +            // APPEND
                               B({0x0E}) + S("q") + S("item") +           // QUEUE_PUSH
                               B({0x0F}) + S("q") + B({0x10}) + S("q") +  // QUEUE_POP, QUEUE_LEN
                               B({0x11}) +                                // LIST_KEYS
                               B({0x12}) + S("/bar") + L(4);              // BARRIER

void check_v2_session(const Parsed& parsed) {
  REQUIRE_FALSE(parsed.error);
  const std::vector<Op> ops = {Op::kPing,       Op::kAdd,       Op::kSet,        Op::kWait,
                               Op::kGet,        Op::kAdd,       Op::kCompareSet, Op::kCheck,
                               Op::kGetNumKeys, Op::kDeleteKey, Op::kMultiSet,   Op::kMultiGet,
                               Op::kCancelWait, Op::kAppend,    Op::kQueuePush,  Op::kQueuePop,
                               Op::kQueueLen,   Op::kListKeys,  Op::kBarrier};
  REQUIRE(parsed.requests.size() == ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) CHECK(parsed.requests[i].op == ops[i]);
  CHECK(parsed.requests[0].nonce == 0x48FA);
  CHECK(parsed.requests[1].keys == std::vector<std::string>{"init/"});
  CHECK(parsed.requests[1].number == 1);
  CHECK(parsed.requests[2].values == std::vector<std::string>{"v"});
  CHECK(parsed.requests[5].number == -2);
  CHECK(parsed.requests[6].values == std::vector<std::string>{"", "new"});
  CHECK(parsed.requests[10].keys == std::vector<std::string>{"/m1", "/m2"});
  CHECK(parsed.requests[10].values == std::vector<std::string>{"x", "yy"});
  CHECK(parsed.requests[11].keys == std::vector<std::string>{"/m1", "/m2"});
  CHECK(parsed.requests[18].keys == std::vector<std::string>{"/bar"});
  CHECK(parsed.requests[18].number == 4);
}

}  // namespace

TEST_CASE("parser: v2 golden vectors, pipelined in one read") {
  RequestParser parser;
  const auto parsed = feed(parser, kV2Session);
  CHECK(parser.dialect() == Dialect::kV2);
  check_v2_session(parsed);
}

TEST_CASE("parser: v2 golden vectors, one byte at a time and in odd chunks") {
  for (std::size_t chunk : {1, 2, 3, 5, 7, 13}) {
    CAPTURE(chunk);
    check_v2_session(feed_new(kV2Session, chunk));
  }
}

TEST_CASE("parser: v1 (torch 1.13) golden vectors, whole and byte by byte") {
  const std::string session = B({0x03}) + S("init/") + L(1) +          // ADD
                              B({0x00}) + S("/k") + S("v") +           // SET
                              B({0x05}) + L(1) + S("/k") +             // WAIT
                              B({0x02}) + S("/k") +                    // GET
                              B({0x06}) +                              // GETNUMKEYS
                              B({0x08}) + S("/k") +                    // DELETE_KEY
                              B({0x01}) + S("/cs") + S("") + S("n") +  // COMPARE_SET
                              B({0x07}) + S("/w");                     // WATCH_KEY (refused later)
  for (std::size_t chunk : {0, 1}) {
    RequestParser parser;
    const auto parsed = feed(parser, session, chunk);
    REQUIRE_FALSE(parsed.error);
    CHECK(parser.dialect() == Dialect::kV1);
    const std::vector<Op> ops = {Op::kAdd,        Op::kSet,       Op::kWait,       Op::kGet,
                                 Op::kGetNumKeys, Op::kDeleteKey, Op::kCompareSet, Op::kWatchKey};
    REQUIRE(parsed.requests.size() == ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) CHECK(parsed.requests[i].op == ops[i]);
  }
}

TEST_CASE("parser: a v1 connection opening with SET is not mistaken for VALIDATE") {
  // 00 then a key length: the sniffed five bytes become the start of the SET.
  const auto parsed = feed_new(B({0x00}) + S("/key") + S("value"), 1);
  REQUIRE(parsed.requests.size() == 1);
  CHECK(parsed.requests[0].op == Op::kSet);
  CHECK(parsed.requests[0].keys[0] == "/key");
  CHECK(parsed.requests[0].values[0] == "value");
}

TEST_CASE("parser: a lone v1 GETNUMKEYS byte is a complete first request") {
  RequestParser parser;
  const auto parsed = feed(parser, B({0x06}));
  REQUIRE(parsed.requests.size() == 1);
  CHECK(parsed.requests[0].op == Op::kGetNumKeys);
}

TEST_CASE("parser: agent hello then v2 ops") {
  RequestParser parser;
  const auto parsed = feed(parser, agent_hello("s3cret") + B({0x03}) + S("node/0"), 1);
  REQUIRE_FALSE(parsed.error);
  CHECK(parsed.hellos == 1);
  CHECK(parser.dialect() == Dialect::kAgent);
  CHECK(parser.token() == "s3cret");
  REQUIRE(parsed.requests.size() == 1);
  CHECK(parsed.requests[0].op == Op::kGet);
}

TEST_CASE("parser: an HTTP method's first byte is the HTTP dialect, told from both torch dialects") {
  for (const std::string method : {"GET", "HEAD", "POST", "PUT", "OPTIONS", "TRACE", "CONNECT"}) {
    INFO(method);
    RequestParser parser;
    const auto result = parser.parse(method + " / HTTP/1.1\r\n\r\n");
    CHECK(result.event == RequestParser::Event::kHttp);
    CHECK(result.consumed == 1);
    CHECK(parser.dialect() == Dialect::kHttp);
    CHECK_FALSE(parser.mid_request());
    // Nothing after it is the parser's.
    CHECK(parser.parse("ET / HTTP/1.1").consumed == 0);
  }
  // Byte by byte the decision is the same, at the first byte.
  CHECK(feed_new("GET /status HTTP/1.1\r\n\r\n", 1).http);
  // No opcode of either numbering, and no agent hello, opens like a method.
  for (int byte = 0; byte <= 0x12; ++byte) CHECK_FALSE(opens_http(static_cast<std::uint8_t>(byte)));
  CHECK_FALSE(opens_http(static_cast<std::uint8_t>(kAgentMagic[0])));
}

TEST_CASE("parser: garbage, unknown opcodes and oversize lengths are errors") {
  SUBCASE("bytes that are neither HTTP nor TCPStore") {
    const auto parsed = feed_new("\x7f\x45LF garbage");
    CHECK(parsed.error);
    CHECK(parsed.message.find("garbage") != std::string::npos);
  }
  SUBCASE("a D that is not the agent magic") {
    CHECK(feed_new("DELETE everything").error);
  }
  SUBCASE("unknown v2 opcode") {
    const auto parsed = feed_new(kValidate + B({0x20}));
    CHECK(parsed.error);
    CHECK(parsed.message.find("unknown opcode 0x20") != std::string::npos);
  }
  SUBCASE("v2 op 13 (PING) does not exist in v1") {
    CHECK(feed_new(B({0x06, 0x0D})).error);
  }
  SUBCASE("key over 8 KiB") {
    const auto parsed = feed_new(kValidate + B({0x03}) + L(8 * 1024 + 1));
    CHECK(parsed.error);
    CHECK(parsed.message.find("key length") != std::string::npos);
  }
  SUBCASE("value over 8 MiB, refused before its body arrives") {
    CHECK(feed_new(kValidate + B({0x01}) + S("/k") + L(8 * 1024 * 1024 + 1)).error);
  }
  SUBCASE("too many keys") {
    CHECK(feed_new(kValidate + B({0x06}) + L(128 * 1024 + 1)).error);
  }
  SUBCASE("negative MULTI_SET count") {
    CHECK(feed_new(kValidate + B({0x0B}) + L(-1)).error);
  }
  SUBCASE("the torch 2.6 opening parsed by a v1-only server would be a 2^54 key; ours is v2") {
    CHECK_FALSE(feed_new(B({0x00, 0xCE, 0xF7, 0x85, 0x3C, 0x0D, 0xFA, 0x48, 0x00, 0x00})).error);
  }
  SUBCASE("oversize agent token") {
    CHECK(feed_new(std::string(kAgentMagic) + L(4096)).error);
  }
}

TEST_CASE("parser: limits are inclusive") {
  const std::string key(8 * 1024, 'k');
  const auto parsed = feed_new(kValidate + B({0x03}) + S(key));
  REQUIRE(parsed.requests.size() == 1);
  CHECK(parsed.requests[0].keys[0] == key);
}

TEST_CASE("parser: mid_request tells a torn request from a clean boundary") {
  RequestParser parser;
  CHECK_FALSE(parser.mid_request());
  feed(parser, kValidate + B({0x03}) + L(2) + "/");
  CHECK(parser.mid_request());
  feed(parser, "k");
  CHECK_FALSE(parser.mid_request());
}
