#pragma once
// RequestBroadcast: the leader's questions to every node (Rendezvous::broadcast_request). Each
// request gets the next number n: rdzv/bcast/<n> holds its deadline and body, rdzv/bcast/last
// says n, and every node's LeaderLink answers into the rdzv/bcast/<n>/answers queue. The
// callback runs once every expected node has answered or the deadline passes, with what came.
// Requests older than the last 64 are deleted. Several requests may be under way at once.
// Create with std::make_shared; handlers hold weak pointers. One io_context thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "rendezvous/async_store.hpp"

namespace dlaunch::rendezvous {

class RequestBroadcast : public std::enable_shared_from_this<RequestBroadcast> {
 public:
  using Answers = std::map<std::string, nlohmann::json>;

  RequestBroadcast(boost::asio::io_context& io, std::shared_ptr<AsyncStore> store);

  // `expected`: the ids of the nodes that should answer (the job's nodes now).
  void send(nlohmann::json request, std::chrono::milliseconds deadline,
            std::vector<std::string> expected, std::function<void(Answers)> done);
  // Drops every pending request: their callbacks never run.
  void close();

 private:
  struct Pending {
    std::set<std::string> waiting;
    Answers answers;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::function<void(Answers)> done;
  };
  void collect(std::uint64_t n);
  void pop(std::uint64_t n);
  void finish(std::uint64_t n);

  boost::asio::io_context& io_;
  std::shared_ptr<AsyncStore> store_;
  std::uint64_t last_ = 0;
  std::map<std::uint64_t, Pending> pending_;
  bool closed_ = false;
};

}  // namespace dlaunch::rendezvous
