#include "rendezvous/waiter_index.hpp"

#include <algorithm>

#include "rendezvous/check.hpp"

namespace dlaunch::rendezvous {
namespace {

void erase_from(std::unordered_map<std::string, std::set<WaiterId>>& index, const std::string& key,
                WaiterId id) {
  const auto it = index.find(key);
  if (it == index.end()) return;
  it->second.erase(id);
  if (it->second.empty()) index.erase(it);
}

}  // namespace

WaiterId WaiterIndex::add_wait(ClientId client, const std::vector<std::string>& missing_keys,
                               Wake wake) {
  DLAUNCH_CHECK(!missing_keys.empty());
  const WaiterId id = next_id_++;
  Waiter waiter{client, missing_keys, false, std::move(wake)};
  std::sort(waiter.keys.begin(), waiter.keys.end());
  waiter.keys.erase(std::unique(waiter.keys.begin(), waiter.keys.end()), waiter.keys.end());
  for (const auto& key : waiter.keys) waits_by_key_[key].insert(id);
  by_client_[client].push_back(id);
  waiters_.emplace(id, std::move(waiter));
  return id;
}

WaiterId WaiterIndex::add_barrier(ClientId client, const std::string& key, Wake wake) {
  const WaiterId id = next_id_++;
  barriers_by_key_[key].insert(id);
  by_client_[client].push_back(id);
  waiters_.emplace(id, Waiter{client, {key}, true, std::move(wake)});
  return id;
}

void WaiterIndex::key_written(const std::string& key, bool all, std::vector<Wake>& ready) {
  const auto it = waits_by_key_.find(key);
  if (it == waits_by_key_.end()) return;
  std::vector<WaiterId> counted;
  if (all) {
    counted.assign(it->second.begin(), it->second.end());
    waits_by_key_.erase(it);
  } else {
    counted.push_back(*it->second.begin());
    it->second.erase(it->second.begin());
    if (it->second.empty()) waits_by_key_.erase(it);
  }
  for (const WaiterId id : counted) {
    auto found = waiters_.find(id);
    DLAUNCH_CHECK(found != waiters_.end());
    auto& keys = found->second.keys;
    keys.erase(std::find(keys.begin(), keys.end(), key));
    if (!keys.empty()) continue;
    ready.push_back(std::move(found->second.wake));
    unlink(id, found->second);
    waiters_.erase(found);
  }
}

void WaiterIndex::release_barrier(const std::string& key, std::vector<Wake>& ready) {
  const auto it = barriers_by_key_.find(key);
  if (it == barriers_by_key_.end()) return;
  const std::set<WaiterId> ids = std::move(it->second);
  barriers_by_key_.erase(it);
  for (const WaiterId id : ids) {
    auto found = waiters_.find(id);
    DLAUNCH_CHECK(found != waiters_.end());
    ready.push_back(std::move(found->second.wake));
    unlink(id, found->second);
    waiters_.erase(found);
  }
}

std::size_t WaiterIndex::cancel(WaiterId id) {
  const auto found = waiters_.find(id);
  if (found == waiters_.end()) return 0;
  unlink(id, found->second);
  waiters_.erase(found);
  return 1;
}

std::size_t WaiterIndex::cancel_client(ClientId client) {
  const auto it = by_client_.find(client);
  if (it == by_client_.end()) return 0;
  const std::vector<WaiterId> ids = std::move(it->second);
  by_client_.erase(it);
  std::size_t count = 0;
  for (const WaiterId id : ids) {
    const auto found = waiters_.find(id);
    if (found == waiters_.end()) continue;
    const Waiter& waiter = found->second;
    for (const auto& key : waiter.keys) {
      erase_from(waiter.barrier ? barriers_by_key_ : waits_by_key_, key, id);
    }
    waiters_.erase(found);
    ++count;
  }
  return count;
}

void WaiterIndex::clear(std::vector<Wake>& aborted) {
  for (auto& [id, waiter] : waiters_) aborted.push_back(std::move(waiter.wake));
  waiters_.clear();
  waits_by_key_.clear();
  barriers_by_key_.clear();
  by_client_.clear();
}

// Removes `id` from the key and client indexes (the caller erases it from waiters_).
void WaiterIndex::unlink(WaiterId id, const Waiter& waiter) {
  for (const auto& key : waiter.keys) {
    erase_from(waiter.barrier ? barriers_by_key_ : waits_by_key_, key, id);
  }
  const auto it = by_client_.find(waiter.client);
  if (it == by_client_.end()) return;
  auto& ids = it->second;
  ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
  if (ids.empty()) by_client_.erase(it);
}

}  // namespace dlaunch::rendezvous
