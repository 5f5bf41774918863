#include "rendezvous/rendezvous.hpp"

#include "rendezvous/builtin_rendezvous.hpp"

namespace dlaunch::rendezvous {

std::shared_ptr<Rendezvous> make_rendezvous(boost::asio::io_context& io,
                                            RendezvousSettings settings, NodeInfo self,
                                            Rendezvous::Events events) {
  return std::make_shared<BuiltinRendezvous>(io, std::move(settings), std::move(self),
                                             std::move(events));
}

}  // namespace dlaunch::rendezvous
