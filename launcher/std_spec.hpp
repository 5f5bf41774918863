#pragma once
// StdSpec: torchrun's -r/--redirects and -t/--tee value. Each stream choice is a bitmask:
// 0 none, 1 stdout, 2 stderr, 3 both. The text is either one digit for every local rank ("3")
// or a per-rank map ("0:1,1:2"); ranks a map does not name get 0, as in torchrun.
// Unlike torchrun's regex, map keys may have more than one digit (local rank 12 is fine).

#include <map>
#include <string_view>

namespace dlaunch::launcher {

struct StdSpec {
  static constexpr int kNone = 0;
  static constexpr int kStdout = 1;
  static constexpr int kStderr = 2;
  static constexpr int kBoth = 3;

  int all = kNone;              // the choice for ranks the map does not name
  std::map<int, int> per_rank;  // local rank -> choice

  // The bitmask for one local rank.
  int for_local_rank(int local_rank) const;
  bool operator==(const StdSpec&) const = default;
};

// Parses "0".."3" or "R:V,R:V". `origin` names where the text came from ("--tee", "PET_TEE")
// and starts the message of the UsageError thrown for bad text.
StdSpec parse_std_spec(std::string_view text, std::string_view origin);

}  // namespace dlaunch::launcher
