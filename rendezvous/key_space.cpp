#include "rendezvous/key_space.hpp"

#include <cctype>
#include <charconv>

namespace dlaunch::rendezvous {

std::optional<std::int64_t> parse_counter(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i < text.size() && text[i] == '+') ++i;  // from_chars takes '-' but not '+'
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
  if (ec != std::errc{} || ptr == text.data() + i) return std::nullopt;
  return value;
}

void KeySpace::set(const std::string& key, std::string value) {
  values_[key] = std::move(value);
  written(key);
}

std::optional<std::string> KeySpace::get(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string KeySpace::compare_set(const std::string& key, const std::string& expected,
                                  std::string desired) {
  const auto it = values_.find(key);
  if (it == values_.end()) {
    if (!expected.empty()) return expected;  // torch's answer for a missing key
    values_.emplace(key, desired);
    written(key);
    return desired;
  }
  if (it->second != expected) return it->second;
  it->second = desired;
  written(key);
  return desired;
}

std::optional<std::int64_t> KeySpace::add(const std::string& key, std::int64_t delta) {
  auto it = values_.find(key);
  std::int64_t current = 0;
  if (it != values_.end()) {
    const auto parsed = parse_counter(it->second);
    if (!parsed) return std::nullopt;
    current = *parsed;
  }
  // Wraps like two's complement instead of overflowing into undefined behaviour.
  const auto sum = static_cast<std::int64_t>(static_cast<std::uint64_t>(current) +
                                             static_cast<std::uint64_t>(delta));
  if (it == values_.end()) it = values_.emplace(key, std::string()).first;
  it->second = std::to_string(sum);
  written(key);
  return sum;
}

void KeySpace::append(const std::string& key, const std::string& value) {
  values_[key].append(value);
  written(key);
}

bool KeySpace::exists(const std::string& key) const {
  if (values_.contains(key)) return true;
  const auto queue = queues_.find(key);
  return queue != queues_.end() && !queue->second.empty();
}

bool KeySpace::check(const std::vector<std::string>& keys) const {
  for (const auto& key : keys) {
    if (!exists(key)) return false;
  }
  return true;
}

bool KeySpace::erase(const std::string& key) {
  return values_.erase(key) > 0;
}

std::vector<std::string> KeySpace::list_keys() const {
  std::vector<std::string> keys;
  keys.reserve(values_.size());
  for (const auto& [key, value] : values_) keys.push_back(key);
  return keys;
}

std::uint64_t KeySpace::bytes_held() const {
  std::uint64_t bytes = 0;
  for (const auto& [key, value] : values_) bytes += key.size() + value.size();
  for (const auto& [key, items] : queues_) {
    bytes += key.size();
    for (const auto& item : items) bytes += item.size();
  }
  return bytes;
}

void KeySpace::queue_push(const std::string& key, std::string value) {
  queues_[key].push_back(std::move(value));
  written(key, /*wake_all=*/false);
}

std::optional<std::string> KeySpace::queue_pop(const std::string& key) {
  const auto it = queues_.find(key);
  if (it == queues_.end() || it->second.empty()) return std::nullopt;
  std::string value = std::move(it->second.front());
  it->second.pop_front();
  if (it->second.empty()) queues_.erase(it);
  return value;
}

std::int64_t KeySpace::queue_len(const std::string& key) const {
  const auto it = queues_.find(key);
  return it == queues_.end() ? 0 : static_cast<std::int64_t>(it->second.size());
}

WaiterId KeySpace::wait(ClientId client, const std::vector<std::string>& keys, Wake wake) {
  std::vector<std::string> missing;
  for (const auto& key : keys) {
    if (!exists(key)) missing.push_back(key);
  }
  if (missing.empty()) return 0;
  return waiters_.add_wait(client, missing, std::move(wake));
}

std::optional<WaiterId> KeySpace::barrier(ClientId client, const std::string& key,
                                          std::int64_t world_size, Wake wake) {
  const auto count = add(key, 1);
  if (!count) return std::nullopt;
  if (*count >= world_size) {
    std::vector<Wake> ready;
    waiters_.release_barrier(key, ready);
    run(ready, true);
    return 0;
  }
  return waiters_.add_barrier(client, key, std::move(wake));
}

void KeySpace::clear() {
  values_.clear();
  queues_.clear();
  std::vector<Wake> aborted;
  waiters_.clear(aborted);
  run(aborted, false);
}

void KeySpace::written(const std::string& key, bool wake_all) {
  std::vector<Wake> ready;
  waiters_.key_written(key, wake_all, ready);
  run(ready, true);
}

void KeySpace::run(std::vector<Wake>& wakes, bool released) {
  for (auto& wake : wakes) {
    if (wake) wake(released);
  }
}

}  // namespace dlaunch::rendezvous
