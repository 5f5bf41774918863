#include "rendezvous/local_store.hpp"

#include <boost/asio/post.hpp>

#include "rendezvous/store_error.hpp"

namespace dlaunch::rendezvous {

LocalStore::LocalStore(boost::asio::io_context& io, std::shared_ptr<KeySpace> space, ClientId id)
    : io_(io), space_(std::move(space)), id_(id) {}

LocalStore::~LocalStore() {
  space_->cancel_waits(id_);
}

template <class Result>
void LocalStore::post(Handler<Result> done, std::error_code error, Result result) {
  boost::asio::post(io_, [done = std::move(done), error, result = std::move(result)]() mutable {
    done(error, std::move(result));
  });
}

void LocalStore::post(DoneHandler done, std::error_code error) {
  boost::asio::post(io_, [done = std::move(done), error] { done(error); });
}

void LocalStore::set(std::string key, std::string value, DoneHandler done) {
  space_->set(key, std::move(value));
  post(std::move(done), {});
}

void LocalStore::get(std::string key, Handler<std::string> done) {
  post(std::move(done), {}, space_->get(key).value_or(std::string()));
}

void LocalStore::add(std::string key, std::int64_t delta, Handler<std::int64_t> done) {
  const auto sum = space_->add(key, delta);
  if (!sum) return post(std::move(done), make_error_code(StoreError::kNotANumber), std::int64_t{0});
  post(std::move(done), {}, *sum);
}

void LocalStore::compare_set(std::string key, std::string expected, std::string desired,
                             Handler<std::string> done) {
  post(std::move(done), {}, space_->compare_set(key, expected, std::move(desired)));
}

void LocalStore::check(std::vector<std::string> keys, Handler<bool> done) {
  post(std::move(done), {}, space_->check(keys));
}

void LocalStore::wait(std::vector<std::string> keys, Timeout timeout, DoneHandler done) {
  const auto tag = next_tag_++;
  const WaiterId waiter = space_->wait(id_, keys, wake_for(tag));
  if (waiter == 0) return post(std::move(done), {});
  park(tag, waiter, timeout, std::move(done));
}

void LocalStore::barrier(std::string key, std::int64_t world_size, Timeout timeout,
                         DoneHandler done) {
  const auto tag = next_tag_++;
  const auto waiter = space_->barrier(id_, key, world_size, wake_for(tag));
  if (!waiter) return post(std::move(done), make_error_code(StoreError::kNotANumber));
  if (*waiter == 0) return post(std::move(done), {});
  park(tag, *waiter, timeout, std::move(done));
}

Wake LocalStore::wake_for(std::uint64_t tag) {
  return [weak = weak_from_this(), tag](bool released) {
    if (auto self = weak.lock()) {
      self->finish(tag, released ? std::error_code() : make_error_code(StoreError::kClosed));
    }
  };
}

void LocalStore::park(std::uint64_t tag, WaiterId waiter, Timeout timeout, DoneHandler done) {
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, timeout);
  timer->async_wait([weak = weak_from_this(), tag, waiter](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (error || !self) return;
    self->space_->cancel_wait(waiter);
    self->finish(tag, make_error_code(StoreError::kTimeout));
  });
  waits_.emplace(tag, PendingWait{std::move(timer), std::move(done)});
}

void LocalStore::finish(std::uint64_t tag, std::error_code error) {
  const auto it = waits_.find(tag);
  if (it == waits_.end()) return;
  auto done = std::move(it->second.done);
  it->second.timer->cancel();
  waits_.erase(it);
  post(std::move(done), error);
}

void LocalStore::delete_key(std::string key, Handler<bool> done) {
  post(std::move(done), {}, space_->erase(key));
}

void LocalStore::num_keys(Handler<std::int64_t> done) {
  post(std::move(done), {}, space_->num_keys());
}

void LocalStore::append(std::string key, std::string value, DoneHandler done) {
  space_->append(key, value);
  post(std::move(done), {});
}

void LocalStore::multi_get(std::vector<std::string> keys, Handler<std::vector<std::string>> done) {
  std::vector<std::string> values;
  values.reserve(keys.size());
  for (const auto& key : keys) values.push_back(space_->get(key).value_or(std::string()));
  post(std::move(done), {}, std::move(values));
}

void LocalStore::multi_set(std::vector<std::string> keys, std::vector<std::string> values,
                           DoneHandler done) {
  for (std::size_t i = 0; i < keys.size() && i < values.size(); ++i) {
    space_->set(keys[i], std::move(values[i]));
  }
  post(std::move(done), {});
}

void LocalStore::list_keys(Handler<std::vector<std::string>> done) {
  post(std::move(done), {}, space_->list_keys());
}

void LocalStore::queue_push(std::string key, std::string value, DoneHandler done) {
  space_->queue_push(key, std::move(value));
  post(std::move(done), {});
}

void LocalStore::queue_pop(std::string key, Handler<std::optional<std::string>> done) {
  post(std::move(done), {}, space_->queue_pop(key));
}

void LocalStore::queue_len(std::string key, Handler<std::int64_t> done) {
  post(std::move(done), {}, space_->queue_len(key));
}

}  // namespace dlaunch::rendezvous
