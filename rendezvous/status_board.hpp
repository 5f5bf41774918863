#pragma once
// StatusBoard: the leader's copy of every node's latest status document (LeaderLink::publish,
// through the rdzv/status queue of the leader's agent key space), with when it came. Documents
// are kept as the text they came in and parsed only when someone asks (nodes_view), so a node
// publishing every second costs the leader one queue pop. Create with std::make_shared; handlers
// hold weak pointers. One io_context thread.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "rendezvous/async_store.hpp"

namespace dlaunch::rendezvous {

class StatusBoard : public std::enable_shared_from_this<StatusBoard> {
 public:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::string doc;  // JSON text
    Clock::time_point received;
  };

  explicit StatusBoard(std::shared_ptr<AsyncStore> store);

  void start();
  void close();
  // The node's latest document, parsed; null when none came (or it does not parse).
  nlohmann::json status(const std::string& id) const;
  const Entry* find(const std::string& id) const;
  std::size_t size() const { return entries_.size(); }

 private:
  void wait();
  void pop();

  std::shared_ptr<AsyncStore> store_;
  std::unordered_map<std::string, Entry> entries_;
  bool closed_ = false;
};

}  // namespace dlaunch::rendezvous
