#include "rendezvous/round_policy.hpp"

#include <algorithm>
#include <tuple>

#include <boost/asio/ip/address.hpp>

namespace dlaunch::rendezvous {
namespace {

// Addresses sort numerically (v4 before v6); names after them, alphabetically.
std::tuple<int, std::string> address_key(const std::string& addr) {
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(addr, error);
  if (error) return {2, addr};
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return {0, std::string(bytes.begin(), bytes.end())};
  }
  const auto bytes = address.to_v6().to_bytes();
  return {1, std::string(bytes.begin(), bytes.end())};
}

}  // namespace

std::vector<PlanMember> assign_node_ranks(std::vector<Candidate> candidates, bool dynamic,
                                          int max_nodes) {
  if (dynamic) {
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) {
                       if (a.is_host != b.is_host) return a.is_host;
                       const auto ka = address_key(a.info.addr), kb = address_key(b.info.addr);
                       if (ka != kb) return ka < kb;
                       return a.seq < b.seq;
                     });
  } else {
    std::stable_sort(
        candidates.begin(), candidates.end(),
        [](const Candidate& a, const Candidate& b) { return a.info.node_rank < b.info.node_rank; });
  }
  if (static_cast<int>(candidates.size()) > max_nodes) candidates.resize(max_nodes);
  std::vector<PlanMember> members;
  int first_rank = 0;
  for (const auto& c : candidates) {
    const int node_rank = static_cast<int>(members.size());
    members.push_back(
        PlanMember{c.info.id, c.info.hostname, c.info.addr, node_rank, c.info.nproc, first_rank});
    first_rank += c.info.nproc;
  }
  return members;
}

Decision decide_after_round(const RoundOutcome& o) {
  Decision d;
  const auto& stop = o.stop;
  if (stop.kind == StopReason::Kind::kSignal || o.signal) {
    d.code = stop.kind == StopReason::Kind::kSignal ? stop.code : 128 + *o.signal;
    d.reason = stop.describe();
    return d;
  }
  if (stop.kind == StopReason::Kind::kDone && o.all_succeeded && !o.member_lost) return d;
  if (stop.kind == StopReason::Kind::kBarrier) {
    d.code = 1;
    d.reason = stop.describe();
    return d;
  }
  if (stop.kind == StopReason::Kind::kJoined && !o.member_lost) {
    d.restart = true;  // a membership change does not count as a retry
    return d;
  }
  if (o.member_lost && o.elastic) {
    d.restart = true;  // the survivors go on in a smaller world, if at least MIN remain
    return d;
  }
  // A worker failure, or a node lost from a fixed-size job.
  if (o.restarts_used < o.max_restarts) {
    d.restart = true;
    d.spends_budget = true;
    return d;
  }
  d.code = stop.kind == StopReason::Kind::kFailure ? stop.code : 1;
  if (d.code == 0) d.code = 1;
  d.reason = stop.describe();
  if (o.max_restarts > 0) {
    d.reason += " (no restarts left: " + std::to_string(o.restarts_used) + " of " +
                std::to_string(o.max_restarts) + " used)";
  }
  return d;
}

}  // namespace dlaunch::rendezvous
