#pragma once
// Slurm's compressed hostlist syntax, as in SLURM_JOB_NODELIST: "node[01-04,07],gpu7,a[1-2]b[3-4]".
// Top-level commas separate items; commas inside brackets separate ranges. An item may hold
// several bracket groups; they expand left to right, the rightmost varying fastest
// ("a[1-2]b[3-4]" -> a1b3 a1b4 a2b3 a2b4). A range keeps the width of its lower bound, so
// "[01-10]" gives 01..10 and "[8-10]" gives 8, 9, 10 — what `scontrol show hostnames` prints.
// Pure functions; no state.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dlaunch::launcher {

// Largest number of host names one list may expand to (guards "n[0-999999999]").
inline constexpr std::size_t kMaxExpandedHosts = 100000;

// Expands `text` in order. Throws std::invalid_argument naming the bad part (unbalanced or
// nested brackets, an empty item or range, a range whose upper bound is below its lower bound,
// more than kMaxExpandedHosts names).
std::vector<std::string> expand_hostlist(std::string_view text);

}  // namespace dlaunch::launcher
