#include "rendezvous/rendezvous_member.hpp"

#include <fmt/format.h>

#include "rendezvous/logging.hpp"
#include "rendezvous/store_error.hpp"

namespace dlaunch::rendezvous {
namespace {

constexpr std::chrono::hours kLongWait{1};

}  // namespace

RendezvousMember::RendezvousMember(boost::asio::io_context& io, std::shared_ptr<AsyncStore> calls,
                                   std::shared_ptr<AsyncStore> watch, RendezvousSettings settings,
                                   NodeInfo self, Events events)
    : io_(io),
      calls_(std::move(calls)),
      watch_(std::move(watch)),
      settings_(std::move(settings)),
      self_(std::move(self)),
      events_(std::move(events)),
      heartbeat_timer_(io) {}

void RendezvousMember::join() {
  calls_->queue_push(rdzv_keys::inbox(), to_json(self_).dump(),
                     [weak = weak_from_this()](std::error_code error) {
                       auto self = weak.lock();
                       if (self && error) self->host_lost("its connection closed");
                     });
  wait_welcome();
}

void RendezvousMember::close() {
  phase_ = Phase::kFinished;
  heartbeat_timer_.cancel();
}

void RendezvousMember::watch(const std::string& key, std::chrono::milliseconds timeout,
                             bool forever, std::function<bool()> still_wanted,
                             std::function<void(std::string)> got,
                             std::function<void()> timed_out) {
  watch_->wait({key}, timeout,
               [weak = weak_from_this(), key, timeout, forever, still_wanted, got,
                timed_out](std::error_code error) {
                 auto self = weak.lock();
                 if (!self || self->phase_ == Phase::kFinished || !still_wanted()) return;
                 if (error == StoreError::kTimeout) {
                   if (forever)
                     return self->watch(key, timeout, forever, still_wanted, got, timed_out);
                   return timed_out();
                 }
                 if (error) return self->host_lost("its connection closed");
                 self->watch_->get(
                     key, [weak, still_wanted, got](std::error_code error, std::string value) {
                       auto self = weak.lock();
                       if (!self || self->phase_ == Phase::kFinished || !still_wanted()) return;
                       if (error) return self->host_lost("its connection closed");
                       got(std::move(value));
                     });
               });
}

void RendezvousMember::wait_welcome() {
  auto weak = weak_from_this();
  watch(
      rdzv_keys::welcome(self_.id), settings_.join_timeout, false,
      [weak] {
        auto self = weak.lock();
        return self && self->phase_ == Phase::kJoining;
      },
      [weak](std::string value) {
        auto self = weak.lock();
        Welcome welcome;
        try {
          welcome = welcome_from_json(nlohmann::json::parse(value));
        } catch (const std::exception& e) {
          return self->finish(
              1, std::string("unreadable answer from the rendezvous host: ") + e.what());
        }
        if (!welcome.error.empty()) {
          return self->finish(1, "the rendezvous host refused this node: " + welcome.error);
        }
        self->round_ = welcome.round;
        self->heartbeat();
        if (welcome.wait_next) {
          log().info("rendezvous: joined while round {} runs; waiting for the next one",
                     welcome.round);
          self->phase_ = Phase::kSpare;
          self->wait_next(welcome.round);
        } else {
          self->wait_plan(welcome.round);
        }
      },
      [weak] {
        if (auto self = weak.lock()) {
          self->finish(1, "no answer from the rendezvous host within join_timeout (" +
                              seconds_text(self->settings_.join_timeout) + ")");
        }
      });
}

void RendezvousMember::wait_plan(int round) {
  phase_ = Phase::kWaitPlan;
  auto weak = weak_from_this();
  // The host ends a round that cannot form after join_timeout; this bound is a safety net.
  const auto bound =
      settings_.join_timeout + 2 * settings_.heartbeat_timeout + std::chrono::seconds(5);
  watch(
      rdzv_keys::plan(round), bound, false,
      [weak, round] {
        auto self = weak.lock();
        return self && self->phase_ == Phase::kWaitPlan && self->round_ == round;
      },
      [weak, round](std::string value) {
        auto self = weak.lock();
        RoundPlan plan;
        try {
          plan = plan_from_json(nlohmann::json::parse(value));
        } catch (const std::exception& e) {
          return self->finish(1, std::string("unreadable round plan: ") + e.what());
        }
        if (!plan.error.empty()) return self->finish(plan.error_code, plan.error);
        const PlanMember* me = plan.find(self->self_.id);
        if (!me) {
          log().info("rendezvous: round {} is full; this node waits as a spare", round);
          self->phase_ = Phase::kSpare;
          return self->wait_next(round);
        }
        self->phase_ = Phase::kInRound;
        self->wait_stop(round);
        if (self->events_.round_started) self->events_.round_started(plan, *me);
      },
      [weak, round] {
        if (auto self = weak.lock()) {
          self->finish(1, fmt::format("round {} did not form within {}", round,
                                      seconds_text(self->settings_.join_timeout)));
        }
      });
}

void RendezvousMember::wait_stop(int round) {
  auto weak = weak_from_this();
  watch(
      rdzv_keys::stop(round), kLongWait, true,
      [weak, round] {
        auto self = weak.lock();
        return self && self->phase_ == Phase::kInRound && self->round_ == round;
      },
      [weak, round](std::string value) {
        auto self = weak.lock();
        const StopReason reason = stop_from_text(value);
        self->phase_ = Phase::kStopped;
        self->wait_next(round);
        if (self->events_.round_stopped) self->events_.round_stopped(reason);
      },
      [] {});
}

void RendezvousMember::wait_next(int round) {
  auto weak = weak_from_this();
  watch(
      rdzv_keys::next(round), kLongWait, true,
      [weak, round] {
        auto self = weak.lock();
        return self && (self->phase_ == Phase::kStopped || self->phase_ == Phase::kSpare) &&
               self->round_ == round;
      },
      [weak](std::string value) {
        auto self = weak.lock();
        NextStep step;
        try {
          step = next_from_json(nlohmann::json::parse(value));
        } catch (const std::exception& e) {
          return self->finish(1, std::string("unreadable next step: ") + e.what());
        }
        if (step.restart) {
          self->round_ = step.round;
          return self->wait_plan(step.round);
        }
        self->finish(step.code, step.reason);
      },
      [] {});
}

void RendezvousMember::report_stop(const StopReason& reason) {
  if (phase_ != Phase::kInRound && phase_ != Phase::kStopped) return;
  calls_->compare_set(rdzv_keys::stop(round_), "", to_json(reason).dump(),
                      [weak = weak_from_this()](std::error_code error, std::string) {
                        auto self = weak.lock();
                        if (self && error) self->host_lost("its connection closed");
                      });
}

void RendezvousMember::report_result(RoundResult result) {
  if (phase_ == Phase::kFinished) return;
  result.id = self_.id;
  result.round = round_;
  calls_->queue_push(rdzv_keys::inbox(), to_json(result).dump(),
                     [weak = weak_from_this()](std::error_code error) {
                       auto self = weak.lock();
                       if (self && error) self->host_lost("its connection closed");
                     });
}

void RendezvousMember::leave(std::function<void()> done) {
  const bool was_finished = phase_ == Phase::kFinished;
  close();
  if (was_finished) return done();
  calls_->queue_push(rdzv_keys::inbox(), nlohmann::json{{"t", "bye"}, {"id", self_.id}}.dump(),
                     [done = std::move(done)](std::error_code) { done(); });
}

void RendezvousMember::heartbeat() {
  if (phase_ == Phase::kFinished) return;
  const auto now = std::chrono::steady_clock::now();
  if (heartbeat_outstanding_) {
    if (now - heartbeat_sent_ > settings_.heartbeat_timeout) {
      return host_lost("no answer to heartbeats for " + seconds_text(settings_.heartbeat_timeout));
    }
  } else {
    heartbeat_outstanding_ = true;
    heartbeat_sent_ = now;
    calls_->add(rdzv_keys::heartbeat(self_.id), 1,
                [weak = weak_from_this()](std::error_code error, std::int64_t) {
                  auto self = weak.lock();
                  if (!self) return;
                  if (error) return self->host_lost("its connection closed");
                  self->heartbeat_outstanding_ = false;
                });
  }
  heartbeat_timer_.expires_after(settings_.keep_alive_interval);
  heartbeat_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!error && self) self->heartbeat();
  });
}

void RendezvousMember::host_lost(const std::string& why) {
  if (phase_ == Phase::kFinished) return;
  close();
  const std::string text =
      fmt::format("lost the rendezvous host {} (node 0): {}", settings_.endpoint.to_string(), why);
  if (events_.finished) events_.finished(1, text);
}

void RendezvousMember::finish(int code, const std::string& why) {
  if (phase_ == Phase::kFinished) return;
  close();
  // Goodbye first, so the host can close the store once every agent has heard the end.
  calls_->queue_push(rdzv_keys::inbox(), nlohmann::json{{"t", "bye"}, {"id", self_.id}}.dump(),
                     [weak = weak_from_this(), code, why](std::error_code) {
                       auto self = weak.lock();
                       if (self && self->events_.finished) self->events_.finished(code, why);
                     });
}

}  // namespace dlaunch::rendezvous
