#include "rendezvous/request_executor.hpp"

#include <fmt/format.h>

#include "rendezvous/check.hpp"

namespace dlaunch::rendezvous {
namespace {

Outcome reply(std::string bytes) {
  Outcome outcome;
  outcome.kind = Outcome::Kind::kReply;
  outcome.reply = std::move(bytes);
  return outcome;
}

Outcome reply_i64(std::int64_t value) {
  std::string bytes;
  put_i64(bytes, value);
  return reply(std::move(bytes));
}

Outcome reply_byte(std::uint8_t value) {
  return reply(std::string(1, static_cast<char>(value)));
}

Outcome close(std::string error) {
  Outcome outcome;
  outcome.kind = Outcome::Kind::kClose;
  outcome.error = std::move(error);
  return outcome;
}

Outcome deferred(WaiterId waiter) {
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDeferred;
  outcome.waiter = waiter;
  return outcome;
}

// Keys quoted in log lines are cut short: they may be 8 KiB of anything.
std::string quoted(const std::string& key) {
  std::string shown = key.size() > 80 ? key.substr(0, 80) + "..." : key;
  for (auto& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return "'" + shown + "'";
}

std::string not_a_number(const char* op, const std::string& key) {
  return fmt::format("{} on key {} whose value is not a decimal integer", op, quoted(key));
}

}  // namespace

Outcome execute(KeySpace& space, ClientId client, Request& request,
                const std::function<Wake()>& make_wake) {
  auto& keys = request.keys;
  auto& values = request.values;
  switch (request.op) {
    case Op::kSet:
      space.set(keys[0], std::move(values[0]));
      return {};
    case Op::kCompareSet: {
      std::string bytes;
      put_bytes(bytes, space.compare_set(keys[0], values[0], std::move(values[1])));
      return reply(std::move(bytes));
    }
    case Op::kGet: {
      std::string bytes;
      put_bytes(bytes, space.get(keys[0]).value_or(std::string()));
      return reply(std::move(bytes));
    }
    case Op::kAdd: {
      const auto sum = space.add(keys[0], request.number);
      if (!sum) return close(not_a_number("ADD", keys[0]));
      return reply_i64(*sum);
    }
    case Op::kCheck:
      return reply_byte(space.check(keys) ? kReady : kNotReady);
    case Op::kWait: {
      if (keys.empty() || space.check(keys)) return reply_byte(kStopWaiting);
      return deferred(space.wait(client, keys, make_wake()));
    }
    case Op::kGetNumKeys:
      return reply_i64(space.num_keys());
    case Op::kDeleteKey:
      return reply_i64(space.erase(keys[0]) ? 1 : 0);
    case Op::kAppend:
      space.append(keys[0], values[0]);
      return {};
    case Op::kMultiGet: {
      std::string bytes;
      for (const auto& key : keys) put_bytes(bytes, space.get(key).value_or(std::string()));
      return reply(std::move(bytes));
    }
    case Op::kMultiSet:
      for (std::size_t i = 0; i < keys.size(); ++i) space.set(keys[i], std::move(values[i]));
      return {};
    case Op::kPing: {
      std::string bytes;
      put_u32(bytes, request.nonce);
      return reply(std::move(bytes));
    }
    case Op::kQueuePush:
      space.queue_push(keys[0], std::move(values[0]));
      return {};
    case Op::kQueuePop: {
      std::string bytes;
      put_i64(bytes, space.queue_len(keys[0]));
      if (auto value = space.queue_pop(keys[0])) put_bytes(bytes, *value);
      return reply(std::move(bytes));
    }
    case Op::kQueueLen:
      return reply_i64(space.queue_len(keys[0]));
    case Op::kListKeys: {
      const auto all = space.list_keys();
      std::string bytes;
      put_i64(bytes, static_cast<std::int64_t>(all.size()));
      for (const auto& key : all) put_bytes(bytes, key);
      return reply(std::move(bytes));
    }
    case Op::kBarrier: {
      // The wake is made up front: the barrier may or may not need it, and the key space
      // decides atomically.
      const auto waiter = space.barrier(client, keys[0], request.number, make_wake());
      if (!waiter) return close(not_a_number("BARRIER", keys[0]));
      if (*waiter == 0) return reply_byte(kStopWaiting);
      return deferred(*waiter);
    }
    case Op::kValidate:
    case Op::kCancelWait:
    case Op::kWatchKey:
      break;
  }
  DLAUNCH_CHECK(!"op handled by the connection");
  return {};
}

}  // namespace dlaunch::rendezvous
