#include "rendezvous/store_client.hpp"

#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "rendezvous/check.hpp"
#include "rendezvous/store_error.hpp"

namespace dlaunch::rendezvous {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::string key_body(const std::string& key) {
  std::string body;
  put_bytes(body, key);
  return body;
}

std::string keys_body(const std::vector<std::string>& keys) {
  std::string body;
  put_u64(body, keys.size());
  for (const auto& key : keys) put_bytes(body, key);
  return body;
}

std::error_code closed() {
  return make_error_code(StoreError::kClosed);
}

}  // namespace

std::shared_ptr<StoreClient> StoreClient::create(asio::io_context& io, Options options) {
  return std::make_shared<StoreClient>(io, std::move(options));
}

StoreClient::StoreClient(asio::io_context& io, Options options)
    : io_(io), options_(std::move(options)), socket_(io), resolver_(io), connect_timer_(io) {}

template <class... Args>
void StoreClient::post(std::function<void(Args...)> handler, Args... args) {
  if (!handler) return;
  asio::post(io_, [handler = std::move(handler), ... args = std::move(args)]() mutable {
    handler(std::move(args)...);
  });
}

// --- connecting ---------------------------------------------------------------------------

void StoreClient::connect(const Endpoint& endpoint, DoneHandler done) {
  DLAUNCH_CHECK(!connecting_ && !ready_);
  endpoint_ = endpoint;
  connect_done_ = std::move(done);
  connecting_ = true;
  deadline_ = std::chrono::steady_clock::now() + options_.connect_timeout;
  // The deadline covers the handshake too: a server that accepts and never answers fails it.
  connect_timer_.expires_at(deadline_);
  connect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || !self->connecting_) return;
    self->on_handshake_done(make_error_code(StoreError::kTimeout));
  });
  attempt_connect();
}

void StoreClient::attempt_connect() {
  resolver_.async_resolve(
      endpoint_.host, std::to_string(endpoint_.port), tcp::resolver::numeric_service,
      [self = shared_from_this()](const boost::system::error_code& error,
                                  const tcp::resolver::results_type& results) {
        if (!self->connecting_) return;
        if (error) return self->retry_or_fail(error);
        asio::async_connect(self->socket_, results,
                            [self](const boost::system::error_code& error, const tcp::endpoint&) {
                              if (!self->connecting_) return;
                              if (error) return self->retry_or_fail(error);
                              self->on_connected();
                            });
      });
}

void StoreClient::retry_or_fail(const boost::system::error_code& error) {
  boost::system::error_code ignored;
  socket_.close(ignored);
  in_.clear();
  out_.clear();
  awaiting_.clear();
  const auto now = std::chrono::steady_clock::now();
  if (now + backoff_ >= deadline_) {
    on_handshake_done(std::error_code(error.value(), std::system_category()));
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(io_, backoff_);
  backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(1000));
  timer->async_wait([self = shared_from_this(), timer](const boost::system::error_code& e) {
    if (!e && self->connecting_) self->attempt_connect();
  });
}

void StoreClient::on_connected() {
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  Expect expect;
  if (options_.agent) {
    out_.append(kAgentMagic);
    put_bytes(out_, options_.agent_token);
    expect.kind = ReplyKind::kByte;
    expect.done = [this](std::error_code error, Reply& reply) {
      if (!error && reply.byte != kAgentAccepted) error = make_error_code(StoreError::kRefused);
      on_handshake_done(error);
    };
  } else {
    const auto nonce = static_cast<std::uint32_t>(::getpid());
    put_u8(out_, 0);
    put_u32(out_, kValidateMagic);
    put_u8(out_, *encode_opcode(Dialect::kV2, Op::kPing));
    put_u32(out_, nonce);
    expect.kind = ReplyKind::kU32;
    expect.done = [this, nonce](std::error_code error, Reply& reply) {
      if (!error && reply.u32 != nonce) error = make_error_code(StoreError::kProtocol);
      on_handshake_done(error);
    };
  }
  awaiting_.push_front(std::move(expect));
  read_more();
  write_out();
}

void StoreClient::on_handshake_done(std::error_code error) {
  if (!connecting_) return;
  connecting_ = false;
  connect_timer_.cancel();
  auto done = std::move(connect_done_);
  if (error) {
    fail_all(error);
  } else {
    ready_ = true;
    pump();
  }
  post(std::move(done), error);
}

// --- requests -----------------------------------------------------------------------------

void StoreClient::send(Op op, std::string body, std::optional<Expect> expect, DoneHandler written) {
  if (broken_) {
    if (expect) {
      Reply none;
      auto done = std::move(expect->done);
      asio::post(io_, [done = std::move(done), none]() mutable { done(closed(), none); });
    }
    post(std::move(written), closed());
    return;
  }
  std::string bytes;
  put_u8(bytes, *encode_opcode(Dialect::kV2, op));
  bytes.append(body);
  queued_.push_back(Outgoing{std::move(bytes), std::move(expect), std::move(written)});
  pump();
}

void StoreClient::send_wait(Op op, std::string body, Timeout timeout, DoneHandler done) {
  if (broken_) return post(std::move(done), closed());
  const auto tag = next_wait_++;
  auto timer = std::make_unique<asio::steady_timer>(io_, timeout);
  timer->async_wait([weak = weak_from_this(), tag](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!error && self) self->on_wait_timeout(tag);
  });
  waits_.emplace(tag, WaitState{std::move(timer), WaitPhase::kQueued, std::move(done)});
  Expect expect;
  expect.kind = ReplyKind::kByte;
  expect.wait = tag;
  send(op, std::move(body), std::move(expect));
}

// Moves queued requests onto the wire, stopping after a WAIT until it is answered.
void StoreClient::pump() {
  if (!ready_ || broken_) return;
  while (!wait_outstanding_ && !queued_.empty()) {
    Outgoing next = std::move(queued_.front());
    queued_.pop_front();
    out_.append(next.bytes);
    if (next.written) out_written_.push_back(std::move(next.written));
    if (next.expect) {
      if (next.expect->wait) {
        waits_.at(next.expect->wait).phase = WaitPhase::kSent;
        wait_outstanding_ = true;
      }
      awaiting_.push_back(std::move(*next.expect));
    }
  }
  write_out();
}

void StoreClient::on_wait_timeout(std::uint64_t tag) {
  const auto it = waits_.find(tag);
  if (it == waits_.end()) return;
  if (it->second.phase == WaitPhase::kQueued) {
    std::erase_if(queued_, [tag](const Outgoing& o) { return o.expect && o.expect->wait == tag; });
    auto done = std::move(it->second.done);
    waits_.erase(it);
    post(std::move(done), make_error_code(StoreError::kTimeout));
    return;
  }
  if (it->second.phase != WaitPhase::kSent) return;
  it->second.phase = WaitPhase::kCancelling;
  // Sent now, ahead of anything held back: the server answers 01 (and maybe 00 just before).
  put_u8(out_, *encode_opcode(Dialect::kV2, Op::kCancelWait));
  Expect cancel;
  cancel.cancel = true;
  awaiting_.push_back(std::move(cancel));
  write_out();
}

void StoreClient::on_wait_reply(std::uint64_t tag, std::uint8_t byte) {
  const auto it = waits_.find(tag);
  DLAUNCH_CHECK(it != waits_.end());
  const bool cancelling = it->second.phase == WaitPhase::kCancelling;
  std::error_code result;
  if (byte == kStopWaiting) {
    // Answered in time after all; a CANCEL_WAIT already sent gets its 01 next and is skipped.
  } else if (byte == kWaitCanceled && cancelling) {
    DLAUNCH_CHECK(!awaiting_.empty() && awaiting_.front().cancel);
    awaiting_.pop_front();  // this byte was the CANCEL_WAIT's answer
    result = make_error_code(StoreError::kTimeout);
  } else {
    fail_all(make_error_code(StoreError::kProtocol));
    return;
  }
  auto done = std::move(it->second.done);
  it->second.timer->cancel();
  waits_.erase(it);
  wait_outstanding_ = false;
  post(std::move(done), result);
  pump();
}

// --- transport ----------------------------------------------------------------------------

void StoreClient::write_out() {
  if (writing_ || out_.empty() || broken_ || !socket_.is_open()) return;
  std::swap(in_flight_, out_);
  std::swap(in_flight_written_, out_written_);
  writing_ = true;
  asio::async_write(
      socket_, asio::buffer(in_flight_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        self->writing_ = false;
        self->in_flight_.clear();
        auto written = std::move(self->in_flight_written_);
        self->in_flight_written_.clear();
        if (error == asio::error::operation_aborted) {
          // A connect retry closed the socket under this write: the new
          // attempt's handshake may be waiting in out_.
          return self->write_out();
        }
        if (error) return self->on_transport_error(error);
        for (auto& handler : written) self->post(std::move(handler), std::error_code());
        self->write_out();
      });
}

void StoreClient::read_more() {
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
        if (error) return self->on_transport_error(error);
        self->in_.append(self->read_buffer_, n);
        self->dispatch();
        if (!self->broken_ && self->socket_.is_open()) self->read_more();
      });
}

void StoreClient::dispatch() {
  std::size_t used = 0;
  while (!awaiting_.empty() && !broken_) {
    Reply reply;
    Expect& front = awaiting_.front();
    const auto decoded =
        decode_reply(front.kind, front.count, std::string_view(in_).substr(used), reply);
    if (decoded.status == Decoded::Status::kNeedMore) break;
    if (decoded.status == Decoded::Status::kBad)
      return fail_all(make_error_code(StoreError::kProtocol));
    used += decoded.used;
    Expect done = std::move(front);
    awaiting_.pop_front();
    if (done.wait) {
      on_wait_reply(done.wait, reply.byte);
    } else if (!done.cancel) {
      done.done(std::error_code(), reply);
    }
  }
  if (broken_) return;
  if (awaiting_.empty() && used < in_.size())
    return fail_all(make_error_code(StoreError::kProtocol));
  in_.erase(0, used);
}

void StoreClient::on_transport_error(const boost::system::error_code& error) {
  if (broken_ || error == asio::error::operation_aborted) return;
  if (connecting_) return retry_or_fail(error);  // e.g. reset during the handshake: try again
  fail_all(closed());
}

void StoreClient::fail_all(std::error_code error) {
  if (broken_) return;
  broken_ = true;
  ready_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
  connect_timer_.cancel();
  Reply none;
  for (auto& expect : awaiting_) {
    if (expect.done && !expect.wait) {
      asio::post(io_,
                 [done = std::move(expect.done), error, none]() mutable { done(error, none); });
    }
  }
  awaiting_.clear();
  for (auto& outgoing : queued_) {
    if (outgoing.expect && outgoing.expect->done && !outgoing.expect->wait) {
      asio::post(io_, [done = std::move(outgoing.expect->done), error, none]() mutable {
        done(error, none);
      });
    }
    post(std::move(outgoing.written), error);
  }
  queued_.clear();
  for (auto& handler : out_written_) post(std::move(handler), error);
  out_written_.clear();
  for (auto& [tag, wait] : waits_) {
    wait.timer->cancel();
    post(std::move(wait.done), error);
  }
  waits_.clear();
}

tcp::endpoint StoreClient::local_endpoint() const {
  boost::system::error_code error;
  auto endpoint = socket_.local_endpoint(error);
  return error ? tcp::endpoint() : endpoint;
}

void StoreClient::close() {
  if (connecting_) {
    connecting_ = false;
    post(std::move(connect_done_), closed());
  }
  resolver_.cancel();
  fail_all(closed());
}

// --- the operations -------------------------------------------------------------------------

void StoreClient::set(std::string key, std::string value, DoneHandler done) {
  std::string body = key_body(key);
  put_bytes(body, value);
  send(Op::kSet, std::move(body), std::nullopt, std::move(done));
}

void StoreClient::get(std::string key, Handler<std::string> done) {
  Expect expect{ReplyKind::kBytes, 0,
                [done = std::move(done)](std::error_code error, Reply& reply) {
                  done(error, error ? std::string() : std::move(reply.values[0]));
                }};
  send(Op::kGet, key_body(key), std::move(expect));
}

void StoreClient::add(std::string key, std::int64_t delta, Handler<std::int64_t> done) {
  std::string body = key_body(key);
  put_i64(body, delta);
  Expect expect{ReplyKind::kI64, 0, [done = std::move(done)](std::error_code error, Reply& reply) {
                  done(error, reply.number);
                }};
  send(Op::kAdd, std::move(body), std::move(expect));
}

void StoreClient::compare_set(std::string key, std::string expected, std::string desired,
                              Handler<std::string> done) {
  std::string body = key_body(key);
  put_bytes(body, expected);
  put_bytes(body, desired);
  Expect expect{ReplyKind::kBytes, 0,
                [done = std::move(done)](std::error_code error, Reply& reply) {
                  done(error, error ? std::string() : std::move(reply.values[0]));
                }};
  send(Op::kCompareSet, std::move(body), std::move(expect));
}

void StoreClient::check(std::vector<std::string> keys, Handler<bool> done) {
  Expect expect{ReplyKind::kByte, 0, [done = std::move(done)](std::error_code error, Reply& reply) {
                  done(error, !error && reply.byte == kReady);
                }};
  send(Op::kCheck, keys_body(keys), std::move(expect));
}

void StoreClient::wait(std::vector<std::string> keys, Timeout timeout, DoneHandler done) {
  send_wait(Op::kWait, keys_body(keys), timeout, std::move(done));
}

void StoreClient::barrier(std::string key, std::int64_t world_size, Timeout timeout,
                          DoneHandler done) {
  std::string body = key_body(key);
  put_i64(body, world_size);
  send_wait(Op::kBarrier, std::move(body), timeout, std::move(done));
}

void StoreClient::delete_key(std::string key, Handler<bool> done) {
  Expect expect{ReplyKind::kI64, 0, [done = std::move(done)](std::error_code error, Reply& reply) {
                  done(error, !error && reply.number == 1);
                }};
  send(Op::kDeleteKey, key_body(key), std::move(expect));
}

void StoreClient::num_keys(Handler<std::int64_t> done) {
  Expect expect{ReplyKind::kI64, 0, [done = std::move(done)](std::error_code error, Reply& reply) {
                  done(error, reply.number);
                }};
  send(Op::kGetNumKeys, {}, std::move(expect));
}

void StoreClient::append(std::string key, std::string value, DoneHandler done) {
  std::string body = key_body(key);
  put_bytes(body, value);
  send(Op::kAppend, std::move(body), std::nullopt, std::move(done));
}

void StoreClient::multi_get(std::vector<std::string> keys, Handler<std::vector<std::string>> done) {
  Expect expect{ReplyKind::kBytesN, keys.size(),
                [done = std::move(done)](std::error_code error, Reply& reply) {
                  done(error, std::move(reply.values));
                }};
  send(Op::kMultiGet, keys_body(keys), std::move(expect));
}

void StoreClient::multi_set(std::vector<std::string> keys, std::vector<std::string> values,
                            DoneHandler done) {
  DLAUNCH_CHECK(keys.size() == values.size());
  std::string body;
  put_i64(body, static_cast<std::int64_t>(keys.size()));
  for (std::size_t i = 0; i < keys.size(); ++i) {
    put_bytes(body, keys[i]);
    put_bytes(body, values[i]);
  }
  send(Op::kMultiSet, std::move(body), std::nullopt, std::move(done));
}

void StoreClient::list_keys(Handler<std::vector<std::string>> done) {
  Expect expect{ReplyKind::kList, 0, [done = std::move(done)](std::error_code error, Reply& reply) {
                  done(error, std::move(reply.values));
                }};
  send(Op::kListKeys, {}, std::move(expect));
}

void StoreClient::queue_push(std::string key, std::string value, DoneHandler done) {
  std::string body = key_body(key);
  put_bytes(body, value);
  send(Op::kQueuePush, std::move(body), std::nullopt, std::move(done));
}

void StoreClient::queue_pop(std::string key, Handler<std::optional<std::string>> done) {
  Expect expect{ReplyKind::kQueuePop, 0,
                [done = std::move(done)](std::error_code error, Reply& reply) {
                  std::optional<std::string> value;
                  if (!error && !reply.values.empty()) value = std::move(reply.values[0]);
                  done(error, std::move(value));
                }};
  send(Op::kQueuePop, key_body(key), std::move(expect));
}

void StoreClient::queue_len(std::string key, Handler<std::int64_t> done) {
  Expect expect{ReplyKind::kI64, 0, [done = std::move(done)](std::error_code error, Reply& reply) {
                  done(error, reply.number);
                }};
  send(Op::kQueueLen, key_body(key), std::move(expect));
}

}  // namespace dlaunch::rendezvous
