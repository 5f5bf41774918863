#include "rendezvous/request_broadcast.hpp"

#include <boost/asio/post.hpp>

#include "rendezvous/logging.hpp"
#include "rendezvous/rendezvous_protocol.hpp"
#include "rendezvous/store_error.hpp"

namespace dlaunch::rendezvous {
namespace {

constexpr std::uint64_t kRequestsKept = 64;

}  // namespace

RequestBroadcast::RequestBroadcast(boost::asio::io_context& io, std::shared_ptr<AsyncStore> store)
    : io_(io), store_(std::move(store)) {}

void RequestBroadcast::send(nlohmann::json request, std::chrono::milliseconds deadline,
                            std::vector<std::string> expected, std::function<void(Answers)> done) {
  const std::uint64_t n = ++last_;
  Pending pending;
  pending.waiting.insert(expected.begin(), expected.end());
  pending.done = std::move(done);
  pending.timer = std::make_unique<boost::asio::steady_timer>(io_, deadline);
  pending.timer->async_wait([weak = weak_from_this(), n](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!error && self) self->finish(n);
  });
  const bool nobody = pending.waiting.empty();
  pending_.emplace(n, std::move(pending));
  if (closed_ || nobody) {
    boost::asio::post(io_, [weak = weak_from_this(), n] {
      if (auto self = weak.lock()) self->finish(n);
    });
    return;
  }
  const nlohmann::json body = {{"n", n}, {"deadline_ms", deadline.count()}, {"body", request}};
  store_->set(rdzv_keys::bcast_request(n), body.dump(), [](std::error_code) {});
  store_->set(rdzv_keys::bcast_last(), std::to_string(n), [](std::error_code) {});
  if (n > kRequestsKept) {
    store_->delete_key(rdzv_keys::bcast_request(n - kRequestsKept), [](std::error_code, bool) {});
  }
  collect(n);
}

void RequestBroadcast::collect(std::uint64_t n) {
  const auto it = pending_.find(n);
  if (it == pending_.end()) return;
  const auto left = it->second.timer->expiry() - boost::asio::steady_timer::clock_type::now();
  const auto timeout = std::max(std::chrono::milliseconds(1),
                                std::chrono::duration_cast<std::chrono::milliseconds>(left));
  store_->wait({rdzv_keys::bcast_answers(n)}, timeout,
               [weak = weak_from_this(), n](std::error_code error) {
                 auto self = weak.lock();
                 if (!self || !self->pending_.count(n)) return;
                 if (error) return;  // the deadline (its timer finishes) or the store closed
                 self->pop(n);
               });
}

void RequestBroadcast::pop(std::uint64_t n) {
  store_->queue_pop(
      rdzv_keys::bcast_answers(n),
      [weak = weak_from_this(), n](std::error_code error, std::optional<std::string> entry) {
        auto self = weak.lock();
        if (!self) return;
        const auto it = self->pending_.find(n);
        if (it == self->pending_.end() || error) return;
        if (!entry) return self->collect(n);
        std::string id, text;
        auto& pending = it->second;
        if (untag(*entry, id, text) && pending.waiting.erase(id)) {
          auto answer = nlohmann::json::parse(text, nullptr, false);
          if (answer.is_discarded()) {
            log().warn("rendezvous: node {} sent an unreadable answer", id);
          } else {
            pending.answers[id] = std::move(answer);
          }
        }
        if (pending.waiting.empty()) return self->finish(n);
        self->pop(n);
      });
}

void RequestBroadcast::finish(std::uint64_t n) {
  const auto it = pending_.find(n);
  if (it == pending_.end()) return;
  auto done = std::move(it->second.done);
  auto answers = std::move(it->second.answers);
  it->second.timer->cancel();
  pending_.erase(it);
  if (done) done(std::move(answers));
}

void RequestBroadcast::close() {
  closed_ = true;
  for (auto& [n, pending] : pending_) pending.timer->cancel();
  pending_.clear();
}

}  // namespace dlaunch::rendezvous
