#include "rendezvous/store_connection.hpp"

#include <fmt/format.h>
#include <boost/asio/write.hpp>

#include "rendezvous/logging.hpp"
#include "rendezvous/request_executor.hpp"
#include "rendezvous/server_core.hpp"

namespace dlaunch::rendezvous {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Stop reading from a client that does not read its replies once this much is queued.
constexpr std::size_t kMaxBacklog = 16 * 1024 * 1024;
// Read buffer: small while a connection idles, grown for one that sends a lot.
constexpr std::size_t kInitialReadBuffer = 1024;
constexpr std::size_t kMaxReadBuffer = 256 * 1024;

}  // namespace

StoreConnection::StoreConnection(std::shared_ptr<ServerCore> core, tcp::socket socket,
                                 const tcp::endpoint& peer, ClientId id)
    : core_(std::move(core)),
      socket_(std::move(socket)),
      id_(id),
      peer_(peer),
      accepted_epoch_(core_->workers().epoch()),
      buffer_(kInitialReadBuffer) {
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
}

std::string StoreConnection::peer_name() const {
  return Endpoint{peer_.address().to_string(), peer_.port()}.to_string();
}

void StoreConnection::start() {
  read_next();
}

// async_read_some rather than a readiness wait and our own reads: Asio reads speculatively
// while the socket had data and otherwise just waits for the next edge, so a request costs one
// read() and no epoll_ctl, which is what a connection storm is made of.
void StoreConnection::read_next() {
  if (closed_) return;
  socket_.async_read_some(asio::buffer(buffer_),
                          [self = shared_from_this()](const boost::system::error_code& error,
                                                      std::size_t n) { self->on_read(error, n); });
}

void StoreConnection::on_read(const boost::system::error_code& error, std::size_t n) {
  if (closed_) return;
  if (error) {
    const bool eof = error == asio::error::eof || error == asio::error::connection_reset;
    if (eof && parser_.mid_request()) {
      close("disconnected in the middle of a request");
    } else {
      close(eof || error == asio::error::operation_aborted ? ""
                                                           : "read failed: " + error.message());
    }
    return;
  }
  feed(std::string_view(buffer_.data(), n));
  if (closed_ || close_after_flush_) return;
  if (!held_input_.empty()) {
    read_paused_ = true;  // resumed by on_written once the client reads its replies
    return;
  }
  // Small buffers keep 10k idle connections cheap; one that fills its buffer gets a bigger one.
  if (n == buffer_.size() && buffer_.size() < kMaxReadBuffer) buffer_.resize(buffer_.size() * 4);
  if (backlog() > kMaxBacklog) {
    read_paused_ = true;  // resumed by on_written once the client reads its replies
    return;
  }
  read_next();
}

void StoreConnection::feed(std::string_view data) {
  const std::string_view input = data;
  while (!data.empty() && !closed_ && !close_after_flush_) {
    if (backlog() > kMaxBacklog) {
      // Pipelined requests whose replies would pile up (e.g. thousands of GETs of big values
      // in one read): keep the rest of the input until the client has read its replies.
      held_input_.assign(data.data(), data.size());
      break;
    }
    const auto result = parser_.parse(data);
    data.remove_prefix(result.consumed);
    if (!classified_ && parser_.dialect()) {
      classified_ = true;
      if (!on_classified(*parser_.dialect())) return;
    }
    switch (result.event) {
      case RequestParser::Event::kNeedMore:
        break;
      case RequestParser::Event::kRequest: {
        Request request = parser_.take_request();
        handle(request);
        break;
      }
      case RequestParser::Event::kAgentHello:
        on_agent_hello();
        break;
      case RequestParser::Event::kHttp:
        // An HTTP method is a connection's first byte, so `input` is all it sent so far.
        return hand_over_http(input);
      case RequestParser::Event::kError:
        if (!worker_ && !agent_) core_->count_refused();  // garbage at the opening
        close(parser_.error());
        return;
    }
  }
  flush();
}

bool StoreConnection::on_classified(Dialect dialect) {
  if (dialect == Dialect::kAgent || dialect == Dialect::kHttp) return true;  // decided later
  if (!core_->worker_peer_allowed(peer_.address())) {
    core_->count_refused();
    close("refused: workers' store connections are accepted from loopback and joined agents only");
    return false;
  }
  auto& workers = core_->workers();
  if (accepted_epoch_ != workers.epoch()) {
    core_->count_refused();
    close(fmt::format("refused: connected during worker epoch {}, now {}", accepted_epoch_,
                      workers.epoch()));
    return false;
  }
  workers.join(id_, weak_from_this());
  core_->dialect_opened(dialect);
  worker_ = true;
  space_ = &workers.keys();
  if (log().should_log(spdlog::level::debug)) {
    log().debug("store: {} speaks {}", peer_name(), dialect_name(dialect));
  }
  return true;
}

void StoreConnection::on_agent_hello() {
  const auto slot = replies_.reserve();
  if (!core_->agent_token_matches(parser_.token())) {
    core_->count_refused();
    log().warn("store: agent connection from {} refused: wrong job token", peer_name());
    replies_.fill(slot, std::string(1, static_cast<char>(kAgentRefused)));
    close_after_flush_ = true;
    return;
  }
  replies_.fill(slot, std::string(1, static_cast<char>(kAgentAccepted)));
  space_ = &core_->agent_space();
  agent_ = true;
  core_->dialect_opened(Dialect::kAgent);
  core_->agent_connection_changed(peer_, true);
  if (log().should_log(spdlog::level::debug)) {
    log().debug("store: agent connection from {}", peer_name());
  }
}

void StoreConnection::handle(Request& request) {
  // torch 1.13 sends strictly one request at a time and has no CANCEL_WAIT: a request that
  // arrives while its WAIT is pending means the client gave up on it (timeout). Forget that wait
  // so its late answer cannot land in the reply to this request.
  if (parser_.dialect() == Dialect::kV1 && !pending_waits_.empty()) cancel_waits();
  core_->count_op(request.op);
  switch (request.op) {
    case Op::kValidate:
      return;  // a repeated VALIDATE is harmless and unanswered
    case Op::kCancelWait: {
      cancel_waits();
      replies_.fill(replies_.reserve(), std::string(1, static_cast<char>(kWaitCanceled)));
      return;
    }
    case Op::kWatchKey:
      close("WATCH_KEY refused: this store does not implement key callbacks");
      return;
    default:
      break;
  }
  const auto slot = replies_.reserve();
  auto make_wake = [this, slot]() -> Wake {
    return [weak = weak_from_this(), slot](bool released) {
      if (auto self = weak.lock()) self->on_wait_done(slot, released);
    };
  };
  Outcome outcome = execute(*space_, id_, request, make_wake);
  switch (outcome.kind) {
    case Outcome::Kind::kReply:
      replies_.fill(slot, std::move(outcome.reply));
      break;
    case Outcome::Kind::kNoReply:
      replies_.drop(slot);
      break;
    case Outcome::Kind::kDeferred:
      pending_waits_.emplace_back(outcome.waiter, slot);
      break;
    case Outcome::Kind::kClose:
      close(outcome.error);
      break;
  }
}

void StoreConnection::on_wait_done(ReplyQueue::Slot slot, bool released) {
  if (closed_) return;
  std::erase_if(pending_waits_, [slot](const auto& wait) { return wait.second == slot; });
  if (released) {
    replies_.fill(slot, std::string(1, static_cast<char>(kStopWaiting)));
  } else {
    replies_.drop(slot);
  }
  flush();
}

void StoreConnection::cancel_waits() {
  if (pending_waits_.empty()) return;
  for (const auto& [waiter, slot] : pending_waits_) {
    space_->cancel_wait(waiter);
    replies_.drop(slot);
  }
  pending_waits_.clear();
}

void StoreConnection::flush() {
  if (closed_ || writing_) return;
  replies_.take_ready(outgoing_);
  if (outgoing_.empty()) {
    if (close_after_flush_) close("");
    return;
  }
  std::swap(in_flight_, outgoing_);
  writing_ = true;
  asio::async_write(socket_, asio::buffer(in_flight_),
                    [self = shared_from_this()](const boost::system::error_code& error,
                                                std::size_t) { self->on_written(error); });
}

void StoreConnection::on_written(const boost::system::error_code& error) {
  writing_ = false;
  in_flight_.clear();
  if (closed_) return;
  if (error) {
    close(error == asio::error::operation_aborted ? "" : "write failed: " + error.message());
    return;
  }
  flush();
  if (read_paused_ && backlog() <= kMaxBacklog / 2) {
    read_paused_ = false;
    if (!held_input_.empty()) {
      const std::string held = std::move(held_input_);
      held_input_.clear();
      feed(held);
      if (closed_ || close_after_flush_) return;
      if (!held_input_.empty()) {
        read_paused_ = true;
        return;
      }
    }
    read_next();
  }
}

void StoreConnection::hand_over_http(std::string_view initial) {
  // The socket is the HTTP service's from now on; this connection ends without closing it.
  closed_ = true;
  core_->forget(id_);
  core_->adopt_http(std::move(socket_), peer_, std::string(initial));
}

void StoreConnection::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty()) log().warn("store: closing connection from {}: {}", peer_name(), reason);
  if (space_) space_->cancel_waits(id_);
  pending_waits_.clear();
  if (worker_) {
    core_->workers().leave(id_);
    core_->dialect_closed(*parser_.dialect());
  }
  if (agent_) {
    core_->agent_connection_changed(peer_, false);
    core_->dialect_closed(Dialect::kAgent);
  }
  core_->forget(id_);
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace dlaunch::rendezvous
