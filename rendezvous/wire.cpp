#include "rendezvous/wire.hpp"

#include <array>

namespace dlaunch::rendezvous {
namespace {

constexpr std::array kV1Ops = {Op::kSet,       Op::kCompareSet, Op::kGet,        Op::kAdd,
                               Op::kCheck,     Op::kWait,       Op::kGetNumKeys, Op::kWatchKey,
                               Op::kDeleteKey, Op::kAppend,     Op::kMultiGet,   Op::kMultiSet,
                               Op::kCancelWait};

// v2 is append-only since VALIDATE arrived; the agent dialect reuses it.
constexpr std::array kV2Ops = {Op::kValidate,   Op::kSet,      Op::kCompareSet, Op::kGet,
                               Op::kAdd,        Op::kCheck,    Op::kWait,       Op::kGetNumKeys,
                               Op::kDeleteKey,  Op::kAppend,   Op::kMultiGet,   Op::kMultiSet,
                               Op::kCancelWait, Op::kPing,     Op::kQueuePush,  Op::kQueuePop,
                               Op::kQueueLen,   Op::kListKeys, Op::kBarrier};

template <std::size_t N>
std::optional<std::uint8_t> index_of(const std::array<Op, N>& table, Op op) {
  for (std::size_t i = 0; i < N; ++i) {
    if (table[i] == op) return static_cast<std::uint8_t>(i);
  }
  return std::nullopt;
}

}  // namespace

const char* dialect_name(Dialect dialect) {
  switch (dialect) {
    case Dialect::kV1:
      return "v1";
    case Dialect::kV2:
      return "v2";
    case Dialect::kAgent:
      return "agent";
    case Dialect::kHttp:
      return "http";
  }
  return "?";
}

const char* op_name(Op op) {
  switch (op) {
    case Op::kValidate:
      return "VALIDATE";
    case Op::kSet:
      return "SET";
    case Op::kCompareSet:
      return "COMPARE_SET";
    case Op::kGet:
      return "GET";
    case Op::kAdd:
      return "ADD";
    case Op::kCheck:
      return "CHECK";
    case Op::kWait:
      return "WAIT";
    case Op::kGetNumKeys:
      return "GETNUMKEYS";
    case Op::kWatchKey:
      return "WATCH_KEY";
    case Op::kDeleteKey:
      return "DELETE_KEY";
    case Op::kAppend:
      return "APPEND";
    case Op::kMultiGet:
      return "MULTI_GET";
    case Op::kMultiSet:
      return "MULTI_SET";
    case Op::kCancelWait:
      return "CANCEL_WAIT";
    case Op::kPing:
      return "PING";
    case Op::kQueuePush:
      return "QUEUE_PUSH";
    case Op::kQueuePop:
      return "QUEUE_POP";
    case Op::kQueueLen:
      return "QUEUE_LEN";
    case Op::kListKeys:
      return "LIST_KEYS";
    case Op::kBarrier:
      return "BARRIER";
  }
  return "?";
}

std::optional<Op> decode_opcode(Dialect dialect, std::uint8_t byte) {
  if (dialect == Dialect::kV1) {
    if (byte < kV1Ops.size()) return kV1Ops[byte];
    return std::nullopt;
  }
  if (byte < kV2Ops.size()) return kV2Ops[byte];
  return std::nullopt;
}

std::optional<std::uint8_t> encode_opcode(Dialect dialect, Op op) {
  return dialect == Dialect::kV1 ? index_of(kV1Ops, op) : index_of(kV2Ops, op);
}

}  // namespace dlaunch::rendezvous
