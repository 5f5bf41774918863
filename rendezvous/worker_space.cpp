#include "rendezvous/worker_space.hpp"

#include <fmt/format.h>

#include "rendezvous/logging.hpp"
#include "rendezvous/store_connection.hpp"

namespace dlaunch::rendezvous {

void WorkerSpace::join(ClientId id, std::weak_ptr<StoreConnection> connection) {
  members_.emplace(id, std::move(connection));
}

std::uint64_t WorkerSpace::begin_epoch() {
  // Connections first, so their waiters are cancelled rather than aborted by the wipe.
  auto members = std::move(members_);
  members_.clear();
  for (auto& [id, weak] : members) {
    if (auto connection = weak.lock()) connection->close("");
  }
  const auto keys = keys_.num_keys();
  keys_.clear();
  ++epoch_;
  log().debug("store: worker epoch {} begins ({} connections closed, {} keys wiped)", epoch_,
              members.size(), keys);
  return epoch_;
}

}  // namespace dlaunch::rendezvous
