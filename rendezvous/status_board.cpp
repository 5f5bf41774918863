#include "rendezvous/status_board.hpp"

#include "rendezvous/rendezvous_protocol.hpp"
#include "rendezvous/store_error.hpp"

namespace dlaunch::rendezvous {
namespace {

constexpr std::chrono::hours kLongWait{1};

}  // namespace

StatusBoard::StatusBoard(std::shared_ptr<AsyncStore> store) : store_(std::move(store)) {}

void StatusBoard::start() {
  wait();
}

void StatusBoard::close() {
  closed_ = true;
}

void StatusBoard::wait() {
  store_->wait({rdzv_keys::status_queue()}, kLongWait,
               [weak = weak_from_this()](std::error_code error) {
                 auto self = weak.lock();
                 if (!self || self->closed_) return;
                 if (error == StoreError::kTimeout) return self->wait();
                 if (!error) self->pop();
               });
}

void StatusBoard::pop() {
  store_->queue_pop(
      rdzv_keys::status_queue(),
      [weak = weak_from_this()](std::error_code error, std::optional<std::string> entry) {
        auto self = weak.lock();
        if (!self || self->closed_ || error) return;
        if (!entry) return self->wait();
        std::string id, doc;
        if (untag(*entry, id, doc)) self->entries_[id] = Entry{std::move(doc), Clock::now()};
        self->pop();
      });
}

const StatusBoard::Entry* StatusBoard::find(const std::string& id) const {
  const auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

nlohmann::json StatusBoard::status(const std::string& id) const {
  const auto* entry = find(id);
  if (!entry) return nullptr;
  auto doc = nlohmann::json::parse(entry->doc, nullptr, false);
  return doc.is_discarded() ? nlohmann::json(nullptr) : doc;
}

}  // namespace dlaunch::rendezvous
