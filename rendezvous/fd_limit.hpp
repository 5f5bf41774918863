#pragma once
// raise_fd_limit(): lifts the soft RLIMIT_NOFILE to the hard limit, so the store can hold two
// sockets per torch 1.13 rank (plus a margin) without EMFILE. Process-wide; call from main or a
// constructor. Returns the soft limit in force afterwards.

#include <cstdint>

namespace dlaunch::rendezvous {

std::uint64_t raise_fd_limit();

}  // namespace dlaunch::rendezvous
