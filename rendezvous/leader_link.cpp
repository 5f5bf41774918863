#include "rendezvous/leader_link.hpp"

#include <memory>

#include "rendezvous/key_space.hpp"
#include "rendezvous/logging.hpp"
#include "rendezvous/store_error.hpp"

namespace dlaunch::rendezvous {
namespace {

// A request key the leader has already deleted is never written again: after this long
// without one, the link reads the newest request's number and goes on from there.
constexpr std::chrono::seconds kRequestWait{30};

}  // namespace

LeaderLink::LeaderLink(std::string self_id, std::shared_ptr<AsyncStore> calls,
                       std::shared_ptr<AsyncStore> watch)
    : self_id_(std::move(self_id)), calls_(std::move(calls)), watch_(std::move(watch)) {}

void LeaderLink::start() {
  calls_->get(rdzv_keys::bcast_last(),
              [weak = weak_from_this()](std::error_code error, std::string value) {
                auto self = weak.lock();
                if (!self || self->closed_ || error) return;
                if (const auto last = parse_counter(value))
                  self->next_ = static_cast<std::uint64_t>(*last) + 1;
                self->wait_request();
              });
}

void LeaderLink::close() {
  closed_ = true;
  handler_ = nullptr;
}

void LeaderLink::set_handler(Rendezvous::RequestHandler handler) {
  handler_ = std::move(handler);
}

void LeaderLink::publish(nlohmann::json doc) {
  if (closed_) return;
  pending_ = tagged(self_id_, doc.dump());
  if (!sending_) flush();
}

void LeaderLink::flush() {
  if (closed_ || !pending_) return;
  sending_ = true;
  std::string entry = std::move(*pending_);
  pending_.reset();
  calls_->queue_push(rdzv_keys::status_queue(), std::move(entry),
                     [weak = weak_from_this()](std::error_code error) {
                       auto self = weak.lock();
                       if (!self) return;
                       self->sending_ = false;
                       if (error) return self->close();
                       self->flush();
                     });
}

void LeaderLink::wait_request() {
  const std::uint64_t n = next_;
  watch_->wait({rdzv_keys::bcast_request(n)}, kRequestWait,
               [weak = weak_from_this(), n](std::error_code error) {
                 auto self = weak.lock();
                 if (!self || self->closed_) return;
                 if (error == StoreError::kTimeout) return self->on_timeout();
                 if (error) return self->close();
                 self->watch_->get(rdzv_keys::bcast_request(n),
                                   [weak, n](std::error_code error, std::string value) {
                                     auto self = weak.lock();
                                     if (!self || self->closed_) return;
                                     if (error) return self->close();
                                     self->next_ = n + 1;
                                     self->handle(n, value);
                                     self->wait_request();
                                   });
               });
}

void LeaderLink::on_timeout() {
  calls_->get(rdzv_keys::bcast_last(),
              [weak = weak_from_this()](std::error_code error, std::string value) {
                auto self = weak.lock();
                if (!self || self->closed_ || error) return;
                const auto last = parse_counter(value);
                if (last && static_cast<std::uint64_t>(*last) >= self->next_) {
                  self->next_ = static_cast<std::uint64_t>(*last);
                }
                self->wait_request();
              });
}

void LeaderLink::handle(std::uint64_t n, const std::string& value) {
  if (!handler_) return;
  nlohmann::json request;
  try {
    request = nlohmann::json::parse(value);
  } catch (const std::exception& e) {
    log().warn("rendezvous: ignoring an unreadable request from the leader: {}", e.what());
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(request.value("deadline_ms", std::int64_t{0}));
  auto answered = std::make_shared<bool>(false);
  Rendezvous::Reply reply = [weak = weak_from_this(), n, deadline,
                             answered](nlohmann::json answer) {
    auto self = weak.lock();
    if (!self || self->closed_ || *answered) return;
    *answered = true;
    if (std::chrono::steady_clock::now() > deadline) return;  // the leader stopped listening
    self->calls_->queue_push(rdzv_keys::bcast_answers(n), tagged(self->self_id_, answer.dump()),
                             [](std::error_code) {});
  };
  // The handler may answer at once: it runs from this handler, never inside a link call.
  handler_(request.value("body", nlohmann::json()), deadline, std::move(reply));
}

}  // namespace dlaunch::rendezvous
