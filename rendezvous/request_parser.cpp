#include "rendezvous/request_parser.hpp"

#include <algorithm>
#include <cstring>
#include <span>

#include <fmt/format.h>

namespace dlaunch::rendezvous {

RequestParser::Result RequestParser::parse(std::string_view input) {
  std::size_t used = 0;
  if (stage_ == Stage::kFailed) return {Event::kError, 0};
  if (stage_ == Stage::kHttp) return {Event::kHttp, 0};
  while (true) {
    if (reading_body_) {
      const auto take =
          static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, input.size() - used));
      body_->append(input.data() + used, take);
      used += take;
      body_left_ -= take;
      if (body_left_ > 0) return {Event::kNeedMore, used};
      reading_body_ = false;
    } else {
      const auto take = std::min(int_width_ - scratch_len_, input.size() - used);
      std::memcpy(scratch_ + scratch_len_, input.data() + used, take);
      scratch_len_ += take;
      used += take;
      if (scratch_len_ < int_width_) return {Event::kNeedMore, used};
    }
    // kNeedMore from the step below means "no event yet": keep consuming.
    const Event event = on_primitive_done();
    if (event != Event::kNeedMore) return {event, used};
  }
}

RequestParser::Event RequestParser::on_primitive_done() {
  switch (stage_) {
    case Stage::kSniff:
      return on_sniffed_byte(static_cast<std::uint8_t>(scratch_[0]));
    case Stage::kSniffV2: {
      if (get_u32(scratch_ + 1) == kValidateMagic) {
        dialect_ = Dialect::kV2;
        stage_ = Stage::kOpcode;
        expect_int(1);
        return Event::kNeedMore;
      }
      // Not VALIDATE: the five bytes were a v1 SET and the low half of its key length.
      dialect_ = Dialect::kV1;
      char low_half[4];
      std::memcpy(low_half, scratch_ + 1, 4);
      const Event event = start_request(0);
      std::memcpy(scratch_, low_half, 4);
      scratch_len_ = 4;
      return event;
    }
    case Stage::kAgentMagic:
      if (std::memcmp(scratch_, kAgentMagic.data(), kAgentMagic.size()) != 0) {
        return fail("garbage on a new connection (not a store or agent handshake)");
      }
      stage_ = Stage::kAgentTokenLength;
      expect_int(8);
      return Event::kNeedMore;
    case Stage::kAgentTokenLength: {
      const auto length = get_u64(scratch_);
      if (length > kMaxTokenLength) {
        return fail(fmt::format("agent token length {} exceeds {}", length, kMaxTokenLength));
      }
      stage_ = Stage::kAgentToken;
      token_.clear();
      body_ = &token_;
      body_left_ = length;
      reading_body_ = true;
      return Event::kNeedMore;
    }
    case Stage::kAgentToken:
      dialect_ = Dialect::kAgent;
      stage_ = Stage::kOpcode;
      expect_int(1);
      return Event::kAgentHello;
    case Stage::kOpcode:
      return start_request(static_cast<std::uint8_t>(scratch_[0]));
    case Stage::kFields:
      return on_field_primitive();
    case Stage::kHttp:
      return Event::kHttp;
    case Stage::kFailed:
      return Event::kError;
  }
  return Event::kError;
}

RequestParser::Event RequestParser::on_sniffed_byte(std::uint8_t byte) {
  if (byte == 0) {  // VALIDATE, or a v1 SET: four more bytes tell (a SET always has 8 more)
    stage_ = Stage::kSniffV2;
    int_width_ = 5;
    return Event::kNeedMore;
  }
  if (byte == static_cast<std::uint8_t>(kAgentMagic[0])) {
    stage_ = Stage::kAgentMagic;
    int_width_ = kAgentMagic.size();
    return Event::kNeedMore;
  }
  if (opens_http(byte)) {
    dialect_ = Dialect::kHttp;
    stage_ = Stage::kHttp;
    return Event::kHttp;
  }
  if (decode_opcode(Dialect::kV1, byte)) {
    dialect_ = Dialect::kV1;
    return start_request(byte);
  }
  return fail(fmt::format("garbage on a new connection: first byte 0x{:02x}", byte));
}

RequestParser::Event RequestParser::start_request(std::uint8_t opcode) {
  const auto op = decode_opcode(*dialect_, opcode);
  if (!op) {
    return fail(
        fmt::format("unknown opcode 0x{:02x} in the {} dialect", opcode, dialect_name(*dialect_)));
  }
  static constexpr Field kKeyOnly[] = {Field::kKey};
  static constexpr Field kKeyValue[] = {Field::kKey, Field::kValue};
  static constexpr Field kCompareSet[] = {Field::kKey, Field::kValue, Field::kValue};
  static constexpr Field kKeyNumber[] = {Field::kKey, Field::kI64};
  static constexpr Field kKeys[] = {Field::kKeyVector};
  static constexpr Field kPairs[] = {Field::kPairVector};
  static constexpr Field kU32[] = {Field::kU32};
  std::span<const Field> fields;
  switch (*op) {
    case Op::kValidate:
    case Op::kPing:
      fields = kU32;
      break;
    case Op::kSet:
    case Op::kAppend:
    case Op::kQueuePush:
      fields = kKeyValue;
      break;
    case Op::kCompareSet:
      fields = kCompareSet;
      break;
    case Op::kGet:
    case Op::kDeleteKey:
    case Op::kWatchKey:
    case Op::kQueuePop:
    case Op::kQueueLen:
      fields = kKeyOnly;
      break;
    case Op::kAdd:
    case Op::kBarrier:
      fields = kKeyNumber;
      break;
    case Op::kCheck:
    case Op::kWait:
    case Op::kMultiGet:
      fields = kKeys;
      break;
    case Op::kMultiSet:
      fields = kPairs;
      break;
    case Op::kGetNumKeys:
    case Op::kCancelWait:
    case Op::kListKeys:
      break;
  }
  current_ = Request{};
  current_.op = *op;
  request_bytes_ = 0;
  fields_ = fields.data();
  field_count_ = fields.size();
  field_index_ = 0;
  stage_ = Stage::kFields;
  return next_field();
}

RequestParser::Event RequestParser::next_field() {
  if (field_index_ == field_count_) return complete_request();
  in_length_ = false;
  vector_started_ = false;
  expect_int(fields_[field_index_] == Field::kU32 ? 4 : 8);
  return Event::kNeedMore;
}

RequestParser::Event RequestParser::on_field_primitive() {
  const Field field = fields_[field_index_];
  const char* op = op_name(current_.op);
  switch (field) {
    case Field::kI64:
      current_.number = static_cast<std::int64_t>(get_u64(scratch_));
      ++field_index_;
      return next_field();
    case Field::kU32:
      current_.nonce = get_u32(scratch_);
      ++field_index_;
      return next_field();
    case Field::kKey:
    case Field::kValue: {
      if (in_length_) {  // the body is complete
        ++field_index_;
        return next_field();
      }
      in_length_ = true;
      const bool key = field == Field::kKey;
      auto& target = key ? current_.keys.emplace_back() : current_.values.emplace_back();
      if (!expect_body(target, get_u64(scratch_), key ? kMaxKeyLength : kMaxValueLength,
                       key ? "key" : "value")) {
        return Event::kError;
      }
      return Event::kNeedMore;
    }
    case Field::kKeyVector:
    case Field::kPairVector: {
      const bool pairs = field == Field::kPairVector;
      if (!vector_started_) {
        const auto count = get_u64(scratch_);  // MULTI_SET's i64 count: negative is huge here
        if (count > kMaxKeysPerOp) {
          return fail(fmt::format("{} with {} keys exceeds the limit of {}", op,
                                  static_cast<std::int64_t>(count), kMaxKeysPerOp));
        }
        vector_started_ = true;
        items_left_ = pairs ? 2 * count : count;
      } else if (!in_length_) {
        // Pairs alternate key, value: an even number left means a key is next.
        const bool key = !pairs || items_left_ % 2 == 0;
        in_length_ = true;
        auto& target = key ? current_.keys.emplace_back() : current_.values.emplace_back();
        if (!expect_body(target, get_u64(scratch_), key ? kMaxKeyLength : kMaxValueLength,
                         key ? "key" : "value")) {
          return Event::kError;
        }
        return Event::kNeedMore;
      } else {
        in_length_ = false;
        --items_left_;
      }
      if (items_left_ == 0) {
        ++field_index_;
        return next_field();
      }
      expect_int(8);
      return Event::kNeedMore;
    }
  }
  return Event::kError;
}

bool RequestParser::expect_body(std::string& target, std::uint64_t length, std::uint64_t limit,
                                const char* what) {
  if (length > limit) {
    fail(fmt::format("{} length {} exceeds the limit of {} ({})", what, length, limit,
                     op_name(current_.op)));
    return false;
  }
  request_bytes_ += length;
  if (request_bytes_ > kMaxRequestBytes) {
    fail(fmt::format("{} carries more than {} bytes", op_name(current_.op), kMaxRequestBytes));
    return false;
  }
  body_ = &target;
  body_left_ = length;
  reading_body_ = true;
  return true;
}

RequestParser::Event RequestParser::complete_request() {
  done_ = std::move(current_);
  current_ = Request{};
  stage_ = Stage::kOpcode;
  expect_int(1);
  return Event::kRequest;
}

void RequestParser::expect_int(std::size_t width) {
  int_width_ = width;
  scratch_len_ = 0;
  reading_body_ = false;
}

RequestParser::Event RequestParser::fail(std::string message) {
  stage_ = Stage::kFailed;
  error_ = std::move(message);
  return Event::kError;
}

}  // namespace dlaunch::rendezvous
