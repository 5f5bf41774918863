#pragma once
// execute(): applies one parsed request to a KeySpace and encodes its reply in the wire format.
// Socket-free, so the conformance of every op is testable (and fuzzable) without a network.
// The ops that concern the connection rather than the keys (VALIDATE, CANCEL_WAIT, WATCH_KEY)
// are the connection's; passing them here is a programming error.

#include <functional>
#include <string>

#include "rendezvous/key_space.hpp"
#include "rendezvous/request.hpp"

namespace dlaunch::rendezvous {

struct Outcome {
  enum class Kind {
    kReply,     // send `reply` now
    kNoReply,   // fire-and-forget op (SET, APPEND, MULTI_SET, QUEUE_PUSH)
    kDeferred,  // WAIT/BARRIER registered as `waiter`; the wake sends the reply later
    kClose,     // a request the servers refuse: log `error` and drop the connection
  };
  Kind kind = Kind::kNoReply;
  std::string reply;
  WaiterId waiter = 0;
  std::string error;
};

// `make_wake` is called only when a WAIT or BARRIER has to wait; the Wake it returns is kept by
// the key space until the waiter completes.
Outcome execute(KeySpace& space, ClientId client, Request& request,
                const std::function<Wake()>& make_wake);

}  // namespace dlaunch::rendezvous
