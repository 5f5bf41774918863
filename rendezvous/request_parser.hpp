#pragma once
// RequestParser: the incremental, socket-free parser of one connection's byte stream. It tells
// the dialect from the first bytes (v2: 00 CE F7 85 3C; agent: kAgentMagic + token; HTTP: the
// first letter of a method, see opens_http(); v1: any other opcode 0..12), then cuts the stream into Requests, whatever the fragmentation: bytes
// may arrive one at a time or many requests per read. Lengths are checked against the limits as
// soon as they are read, before any body is buffered; a violation is a permanent error.
//
// Owned by one connection; not thread-safe. Usage:
//   while (!input.empty()) {
//     auto r = parser.parse(input);  input.remove_prefix(r.consumed);
//     switch (r.event) { kRequest: use parser.take_request(); kAgentHello: check parser.token();
//                        kError: log parser.error() and close; kNeedMore: read more;
//                        kHttp: hand the connection, from its first byte, to an HTTP server }
//   }

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rendezvous/request.hpp"
#include "rendezvous/wire.hpp"

namespace dlaunch::rendezvous {

// Largest sum of key and value bytes one request may carry (a MULTI_SET of many 8 MiB values
// would otherwise let one client make us buffer a terabyte).
inline constexpr std::uint64_t kMaxRequestBytes = 64 * 1024 * 1024;

class RequestParser {
 public:
  enum class Event { kNeedMore, kRequest, kAgentHello, kHttp, kError };
  struct Result {
    Event event;
    std::size_t consumed;  // bytes of the input used, also on kError
  };

  // Consumes input up to and including the next event.
  Result parse(std::string_view input);

  // The request completed by the last kRequest; moves it out.
  Request take_request() { return std::move(done_); }
  // Known once the first bytes have been seen.
  std::optional<Dialect> dialect() const { return dialect_; }
  // The agent hello's token (after kAgentHello).
  const std::string& token() const { return token_; }
  // What went wrong (after kError), one line.
  const std::string& error() const { return error_; }
  // True while part of a request (or of the handshake) has arrived but not all of it.
  bool mid_request() const {
    return stage_ != Stage::kOpcode && stage_ != Stage::kSniff && stage_ != Stage::kFailed &&
           stage_ != Stage::kHttp;
  }

 private:
  enum class Stage {
    kSniff,
    kSniffV2,
    kAgentMagic,
    kAgentTokenLength,
    kAgentToken,
    kOpcode,
    kFields,
    kHttp,  // not ours to parse: every later byte is the HTTP server's
    kFailed
  };
  enum class Field : std::uint8_t { kKey, kValue, kI64, kU32, kKeyVector, kPairVector };

  // Called when the current primitive (an integer or a body) is complete; sets up the next one.
  Event on_primitive_done();
  Event on_sniffed_byte(std::uint8_t byte);
  Event start_request(std::uint8_t opcode);
  Event next_field();
  Event on_field_primitive();
  Event fail(std::string message);
  Event complete_request();
  void expect_int(std::size_t width);
  bool expect_body(std::string& target, std::uint64_t length, std::uint64_t limit,
                   const char* what);

  Stage stage_ = Stage::kSniff;
  std::optional<Dialect> dialect_;
  std::string token_;
  std::string error_;

  // The primitive being read: an integer of int_width_ bytes into scratch_, or body_left_ bytes
  // appended to *body_.
  char scratch_[8] = {};
  std::size_t scratch_len_ = 0;
  std::size_t int_width_ = 1;
  std::string* body_ = nullptr;
  std::uint64_t body_left_ = 0;
  bool reading_body_ = false;

  // The request being built.
  Request current_;
  Request done_;
  const Field* fields_ = nullptr;
  std::size_t field_count_ = 0;
  std::size_t field_index_ = 0;
  bool in_length_ = false;        // for keys/values: the length is read, the body comes next
  std::uint64_t items_left_ = 0;  // for vectors: keys (or key/value halves) still to read
  bool vector_started_ = false;
  std::uint64_t request_bytes_ = 0;
};

}  // namespace dlaunch::rendezvous
