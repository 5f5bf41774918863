#pragma once
// ServerFixture: a StoreServer on 127.0.0.1:0 whose io_context runs on its own thread, so tests
// can talk to it with blocking sockets. Calls into the server go through on_loop(), which runs
// them on the loop thread and waits (the server is single-threaded by contract).

#include <functional>
#include <future>
#include <memory>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "rendezvous/store_server.hpp"

namespace dlaunch::rendezvous::test {

class ServerFixture {
 public:
  explicit ServerFixture(StoreServerOptions options = {})
      : server_(std::make_unique<StoreServer>(io_, Endpoint{"127.0.0.1", 0}, std::move(options))),
        work_(io_.get_executor()),
        thread_([this] { io_.run(); }) {}
  ~ServerFixture() {
    on_loop([this] { server_.reset(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_ ? port_ : (port_ = server_->port()); }
  StoreServer& server() { return *server_; }
  boost::asio::io_context& io() { return io_; }

  template <class F>
  auto on_loop(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<StoreServer> server_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  mutable std::uint16_t port_ = 0;
};

}  // namespace dlaunch::rendezvous::test
