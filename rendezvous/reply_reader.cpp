#include "rendezvous/reply_reader.hpp"

#include "rendezvous/request_parser.hpp"
#include "rendezvous/wire.hpp"

namespace dlaunch::rendezvous {
namespace {

// A cursor over the received bytes; every read reports whether the bytes were there.
class Cursor {
 public:
  explicit Cursor(std::string_view input) : input_(input) {}
  bool u64(std::uint64_t& value) {
    if (input_.size() - used_ < 8) return false;
    value = get_u64(input_.data() + used_);
    used_ += 8;
    return true;
  }
  // Returns kBad for an impossible length, kNeedMore when the bytes are not all there yet.
  Decoded::Status bytes(std::string& value) {
    std::uint64_t length = 0;
    if (!u64(length)) return Decoded::Status::kNeedMore;
    if (length > kMaxRequestBytes) return Decoded::Status::kBad;
    if (input_.size() - used_ < length) return Decoded::Status::kNeedMore;
    value.assign(input_.data() + used_, length);
    used_ += length;
    return Decoded::Status::kDone;
  }
  std::size_t used() const { return used_; }

 private:
  std::string_view input_;
  std::size_t used_ = 0;
};

Decoded need_more() {
  return {Decoded::Status::kNeedMore, 0};
}
Decoded bad() {
  return {Decoded::Status::kBad, 0};
}

// LIST_KEYS may list more keys than one request may carry; this bounds it anyway.
constexpr std::uint64_t kMaxListedKeys = std::uint64_t{1} << 24;

Decoded read_values(Cursor& cursor, std::uint64_t count, Reply& out,
                    std::uint64_t limit = kMaxKeysPerOp) {
  if (count > limit) return bad();
  out.values.assign(count, std::string());
  for (auto& value : out.values) {
    const auto status = cursor.bytes(value);
    if (status != Decoded::Status::kDone) return {status, 0};
  }
  return {Decoded::Status::kDone, cursor.used()};
}

}  // namespace

Decoded decode_reply(ReplyKind kind, std::size_t count, std::string_view input, Reply& out) {
  Cursor cursor(input);
  switch (kind) {
    case ReplyKind::kByte:
      if (input.empty()) return need_more();
      out.byte = static_cast<std::uint8_t>(input[0]);
      return {Decoded::Status::kDone, 1};
    case ReplyKind::kU32:
      if (input.size() < 4) return need_more();
      out.u32 = get_u32(input.data());
      return {Decoded::Status::kDone, 4};
    case ReplyKind::kI64: {
      std::uint64_t value = 0;
      if (!cursor.u64(value)) return need_more();
      out.number = static_cast<std::int64_t>(value);
      return {Decoded::Status::kDone, 8};
    }
    case ReplyKind::kBytes:
      return read_values(cursor, 1, out);
    case ReplyKind::kBytesN:
      return read_values(cursor, count, out);
    case ReplyKind::kList: {
      std::uint64_t n = 0;
      if (!cursor.u64(n)) return need_more();
      return read_values(cursor, n, out, kMaxListedKeys);
    }
    case ReplyKind::kQueuePop: {
      std::uint64_t length = 0;
      if (!cursor.u64(length)) return need_more();
      out.number = static_cast<std::int64_t>(length);
      if (out.number <= 0) {
        out.values.clear();
        return {Decoded::Status::kDone, 8};
      }
      return read_values(cursor, 1, out);
    }
  }
  return bad();
}

}  // namespace dlaunch::rendezvous
