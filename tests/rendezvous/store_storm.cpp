// store_storm: the connection-storm benchmark client (scripts/bench_store.sh). N clients on one
// event loop each connect (v2: VALIDATE + PING), ADD a shared counter, and WAIT on a release
// key that the client whose ADD returns N SETs. Prints the time until all are released and the
// ADD latency percentiles. Speaks v1 (torch 1.13) or v2, so the same client loads torch's own
// server and ours. Bounded: gives up after --timeout seconds.
//
//   store_storm --port P [--host 127.0.0.1] [--clients N] [--dialect v1|v2] [--timeout S]
//               [--threads T]   (client event loops, default 1)

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "rendezvous/fd_limit.hpp"
#include "rendezvous/wire.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace dlaunch::rendezvous;

namespace {

// Keys unique to this run, so a server that outlives one run (torch's) starts each one clean.
const std::string kRun = "/storm/" + std::to_string(::getpid()) + "/";
const std::string kCounter = kRun + "count";
const std::string kRelease = kRun + "release";

struct Settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int clients = 1024;
  Dialect dialect = Dialect::kV2;
  int timeout_s = 60;
  int threads = 1;
};

class Storm;

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(Storm& storm, int index);
  void start();

 private:
  void connect();
  void retry();
  void handshake();
  void add();
  void wait_release(bool last);
  template <class Next>
  void write_then_read(std::size_t reply, Next next);
  template <class Next>
  void read_until(std::size_t reply, Next next);

  Storm& storm_;
  const int index_;
  tcp::socket socket_;
  asio::steady_timer backoff_;
  std::string out_;
  char in_[64] = {};
  std::size_t have_ = 0;
  bool added_ = false;
  bool connected_once_ = false;
  bool last_ = false;
  Clock::time_point add_sent_;
};

class Storm {
 public:
  explicit Storm(Settings settings) : settings_(std::move(settings)) {
    endpoint_ = tcp::endpoint(asio::ip::make_address(settings_.host), settings_.port);
    for (int i = 0; i < settings_.threads; ++i)
      loops_.push_back(std::make_unique<asio::io_context>(1));
  }

  int run() {
    start_ = Clock::now();
    for (int i = 0; i < settings_.clients; ++i) {
      clients_.push_back(std::make_shared<Client>(*this, i));
      clients_.back()->start();
    }
    asio::steady_timer deadline(*loops_[0], std::chrono::seconds(settings_.timeout_s));
    deadline.async_wait([this](const boost::system::error_code& error) {
      if (!error) stop_all();
    });
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < loops_.size(); ++i)
      threads.emplace_back([this, i] { loops_[i]->run(); });
    loops_[0]->run();
    for (auto& thread : threads) thread.join();
    const double total_ms = std::chrono::duration<double, std::milli>(end_ - start_).count();
    if (released_ < settings_.clients) {
      std::printf("FAILED clients=%d dialect=%s released=%d within %d s (retries=%d)\n",
                  settings_.clients, dialect_name(settings_.dialect), released_,
                  settings_.timeout_s, retries_);
      return 1;
    }
    std::sort(add_us_.begin(), add_us_.end());
    auto pct = [&](double p) {
      return add_us_[static_cast<std::size_t>(p * (add_us_.size() - 1))];
    };
    auto since_start = [&](Clock::time_point t) {
      return std::chrono::duration<double, std::milli>(t - start_).count();
    };
    std::printf(
        "clients=%d dialect=%s total_ms=%.1f add_p50_ms=%.2f add_p99_ms=%.2f "
        "add_max_ms=%.2f all_connected_ms=%.1f all_added_ms=%.1f connect_retries=%d\n",
        settings_.clients, dialect_name(settings_.dialect), total_ms, pct(0.5) / 1000,
        pct(0.99) / 1000, add_us_.back() / 1000, since_start(connected_at_), since_start(added_at_),
        retries_);
    return 0;
  }

  // Clients are spread over the loops (one thread each), so the client side is not the
  // bottleneck on a multi-core machine.
  asio::io_context& io(int index) { return *loops_[index % loops_.size()]; }
  const tcp::endpoint& endpoint() const { return endpoint_; }
  const Settings& settings() const { return settings_; }
  void on_retry() {
    std::lock_guard lock(mutex_);
    ++retries_;
  }
  void on_connected() {
    std::lock_guard lock(mutex_);
    if (++connected_ == settings_.clients) connected_at_ = Clock::now();
  }
  void on_add(Clock::duration latency) {
    std::lock_guard lock(mutex_);
    add_us_.push_back(std::chrono::duration<double, std::micro>(latency).count());
    if (static_cast<int>(add_us_.size()) == settings_.clients) added_at_ = Clock::now();
  }
  void on_released() {
    std::lock_guard lock(mutex_);
    if (++released_ == settings_.clients) {
      end_ = Clock::now();
      stop_all();
    }
  }
  void stop_all() {
    for (auto& loop : loops_) loop->stop();
  }
  bool past_deadline() const {
    return Clock::now() - start_ > std::chrono::seconds(settings_.timeout_s);
  }

 private:
  Settings settings_;
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::mutex mutex_;
  tcp::endpoint endpoint_;
  std::vector<std::shared_ptr<Client>> clients_;
  std::vector<double> add_us_;
  int released_ = 0;
  int connected_ = 0;
  Clock::time_point connected_at_, added_at_;
  int retries_ = 0;
  Clock::time_point start_, end_;
};

Client::Client(Storm& storm, int index)
    : storm_(storm), index_(index), socket_(storm.io(index)), backoff_(storm.io(index)) {}

void Client::start() {
  connect();
}

void Client::connect() {
  socket_.async_connect(storm_.endpoint(),
                        [self = shared_from_this()](const boost::system::error_code& error) {
                          if (error) return self->retry();
                          self->socket_.set_option(tcp::no_delay(true));
                          if (!self->connected_once_) self->storm_.on_connected();
                          self->connected_once_ = true;
                          self->handshake();
                        });
}

// A refused or reset connection (full accept queue) starts over on a new socket, as torch's
// clients do; a client that already added only waits again.
void Client::retry() {
  storm_.on_retry();
  if (storm_.past_deadline()) return;
  boost::system::error_code ignored;
  socket_.close(ignored);
  backoff_.expires_after(std::chrono::milliseconds(20));
  backoff_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (!error) self->connect();
  });
}

// Reads with async_read_some into a buffer larger than any reply: a short read tells Asio the
// socket is drained, so it waits for the next edge instead of trying a read that would fail.
// Costs every server the same few syscalls.
template <class Next>
void Client::write_then_read(std::size_t reply, Next next) {
  have_ = 0;
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this(), reply, next](const boost::system::error_code& error,
                                                             std::size_t) {
                      if (error) return self->retry();
                      if (reply == 0) return next();
                      self->read_until(reply, next);
                    });
}

template <class Next>
void Client::read_until(std::size_t reply, Next next) {
  socket_.async_read_some(asio::buffer(in_ + have_, sizeof in_ - have_),
                          [self = shared_from_this(), reply, next](
                              const boost::system::error_code& error, std::size_t n) {
                            if (error) return self->retry();
                            self->have_ += n;
                            if (self->have_ < reply) return self->read_until(reply, next);
                            next();
                          });
}

void Client::handshake() {
  if (storm_.settings().dialect == Dialect::kV1) {
    return added_ ? wait_release(false) : add();
  }
  out_.clear();
  put_u8(out_, 0);
  put_u32(out_, kValidateMagic);
  put_u8(out_, *encode_opcode(Dialect::kV2, Op::kPing));
  put_u32(out_, static_cast<std::uint32_t>(index_));
  write_then_read(4, [self = shared_from_this()] {
    if (get_u32(self->in_) != static_cast<std::uint32_t>(self->index_)) {
      std::fprintf(stderr, "client %d: bad PING echo\n", self->index_);
      std::exit(1);
    }
    self->added_ ? self->wait_release(false) : self->add();
  });
}

void Client::add() {
  const auto dialect = storm_.settings().dialect;
  out_.clear();
  put_u8(out_, *encode_opcode(dialect, Op::kAdd));
  put_bytes(out_, kCounter);
  put_i64(out_, 1);
  add_sent_ = Clock::now();
  write_then_read(8, [self = shared_from_this()] {
    self->storm_.on_add(Clock::now() - self->add_sent_);
    self->added_ = true;
    const auto value = static_cast<std::int64_t>(get_u64(self->in_));
    self->last_ = value == self->storm_.settings().clients;
    self->wait_release(self->last_);
  });
}

void Client::wait_release(bool last) {
  const auto dialect = storm_.settings().dialect;
  out_.clear();
  if (last) {
    put_u8(out_, *encode_opcode(dialect, Op::kSet));
    put_bytes(out_, kRelease);
    put_bytes(out_, "go");
  }
  put_u8(out_, *encode_opcode(dialect, Op::kWait));
  put_u64(out_, 1);
  put_bytes(out_, kRelease);
  write_then_read(1, [self = shared_from_this()] {
    if (self->in_[0] != static_cast<char>(kStopWaiting)) {
      std::fprintf(stderr, "client %d: bad WAIT reply\n", self->index_);
      std::exit(1);
    }
    self->storm_.on_released();
  });
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--host")
      settings.host = value;
    else if (flag == "--port")
      settings.port = static_cast<std::uint16_t>(std::stoi(value));
    else if (flag == "--clients")
      settings.clients = std::stoi(value);
    else if (flag == "--timeout")
      settings.timeout_s = std::stoi(value);
    else if (flag == "--threads")
      settings.threads = std::max(1, std::stoi(value));
    else if (flag == "--dialect" && (value == "v1" || value == "v2"))
      settings.dialect = value == "v1" ? Dialect::kV1 : Dialect::kV2;
    else {
      std::fprintf(stderr, "store_storm: bad flag %s %s\n", flag.c_str(), value.c_str());
      return 2;
    }
  }
  if (settings.port == 0 || settings.clients < 1) {
    std::fprintf(stderr,
                 "usage: store_storm --port P [--clients N] [--dialect v1|v2] [--timeout S]\n");
    return 2;
  }
  raise_fd_limit();
  Storm storm(settings);
  return storm.run();
}
