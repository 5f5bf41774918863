#pragma once
// ReplyQueue: keeps a connection's replies in request order although some (WAIT, BARRIER) are
// answered later than the requests behind them. Each request that will be answered reserves a
// slot; a slot is filled (or dropped, for a cancelled WAIT) whenever its answer is known, and
// only the filled prefix may be written. Owned by one connection; one thread.

#include <cstdint>
#include <deque>
#include <string>

#include "rendezvous/check.hpp"

namespace dlaunch::rendezvous {

class ReplyQueue {
 public:
  using Slot = std::uint64_t;

  Slot reserve() {
    slots_.push_back(Entry{});
    return first_ + slots_.size() - 1;
  }
  void fill(Slot slot, std::string bytes) {
    Entry& entry = at(slot);
    pending_bytes_ += bytes.size();
    entry.bytes = std::move(bytes);
    entry.done = true;
  }
  void drop(Slot slot) { at(slot).done = true; }

  // Appends the bytes of the completed slots at the front to `out` and forgets them.
  // Returns whether anything was taken.
  bool take_ready(std::string& out) {
    bool took = false;
    while (!slots_.empty() && slots_.front().done) {
      out.append(slots_.front().bytes);
      pending_bytes_ -= slots_.front().bytes.size();
      slots_.pop_front();
      ++first_;
      took = true;
    }
    return took;
  }
  bool empty() const { return slots_.empty(); }
  // Bytes of filled replies not taken yet (held behind an unanswered slot, or just filled).
  std::size_t pending_bytes() const { return pending_bytes_; }

 private:
  struct Entry {
    std::string bytes;
    bool done = false;
  };
  Entry& at(Slot slot) {
    DLAUNCH_CHECK(slot >= first_ && slot - first_ < slots_.size());
    return slots_[slot - first_];
  }

  std::deque<Entry> slots_;
  Slot first_ = 0;
  std::size_t pending_bytes_ = 0;
};

}  // namespace dlaunch::rendezvous
