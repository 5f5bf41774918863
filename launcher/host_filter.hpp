#pragma once
// HostSlots and select_hosts(): which hosts of a hostfile run workers, and on which local slots,
// after DeepSpeed's --include / --exclude filters.
//
// Filter syntax (DeepSpeed's parse_resource_filter): NODE_SPEC[@NODE_SPEC...] with
// NODE_SPEC = host[:slot[,slot...]]. Slots are local device indices 0..slots-1 of that host,
// not counts: "worker-0@worker-1:0,2" keeps every slot of worker-0 and slots 0 and 2 of
// worker-1; --exclude "worker-1:0" keeps everything but slot 0 of worker-1, --exclude "worker-1"
// drops the host. As in DeepSpeed: the two filters are mutually exclusive, every host and slot
// named must exist, the result keeps the hostfile's host order, included slots keep the order
// written (duplicates dropped), and hosts left without slots disappear.
// Stricter than DeepSpeed: a host named twice in one filter, an empty slot list ("host:"), a
// non-numeric slot and a filter that leaves nothing are errors with a message, never a crash.
// A node spec that equals a hostfile host exactly is that host even if it contains ':'
// (IPv6 literals); otherwise the slot list starts after the last ':'.

#include <string>
#include <string_view>
#include <vector>

#include "launcher/hostfile.hpp"

namespace dlaunch::launcher {

struct HostSlots {
  std::string host;
  std::vector<int> slots;  // local slot (device) indices, in launch order
  int hostfile_slots = 0;  // slots= of the hostfile line

  // Workers to start on this host.
  int nproc() const { return static_cast<int>(slots.size()); }
  // True when slots are exactly 0..hostfile_slots-1: the host runs unfiltered.
  bool all_slots() const;
  // "0,2": the CUDA_VISIBLE_DEVICES the remote agent must get when !all_slots() (what
  // DeepSpeed's launch.py sets), so that its LOCAL_RANK i uses device slots[i].
  std::string visible_devices() const;

  bool operator==(const HostSlots&) const = default;
};

// Applies `include` or `exclude` (either may be empty, not both non-empty) to `hosts`.
// Throws std::invalid_argument naming the flag and the bad part.
std::vector<HostSlots> select_hosts(const std::vector<HostfileEntry>& hosts,
                                    std::string_view include, std::string_view exclude);

}  // namespace dlaunch::launcher
