#pragma once
// The table of dlaunch's options: every flag's dest (argparse's name for it, which also names
// its PET_<DEST> fallback), spellings, whether it takes a value, and its help line. The scanner,
// the resolver and the --help text all read this one table, so a flag is added in one place.
//
// Long spellings: "--" + dest, and the same with '-' for '_' (--nproc_per_node and
// --nproc-per-node). Lookup accepts an exact spelling or any unambiguous prefix, as argparse
// does; a prefix that only matches the two spellings of one option is not ambiguous.

#include <string>
#include <string_view>
#include <vector>

namespace dlaunch::launcher {

enum class OptionGroup { kNodes, kRendezvous, kSupervision, kProgram, kLogs, kHosts, kGeneral };

// Where an option's default comes from when the command line does not give it.
enum class EnvFallback {
  kNone,   // no PET_ variable
  kValue,  // PET_<DEST> is the value (an empty variable counts as unset)
  kFlag,   // PET_<DEST> is an integer: non-zero turns the flag on (torch's check_env)
};

struct OptionSpec {
  std::string_view dest = {};  // "nproc_per_node"
  char short_name = 0;         // 'm' for -m, 0 when none
  bool takes_value = true;
  EnvFallback env = EnvFallback::kValue;
  std::string_view metavar = {};  // "N|auto|cpu|gpu"; empty for flags
  std::string_view help = {};
  OptionGroup group = OptionGroup::kGeneral;
  bool supported = true;    // false: a torchrun option dlaunch recognises but refuses
  bool repeatable = false;  // every occurrence counts (--env), instead of the last one
  bool hidden = false;      // internal (dlaunch passes it to dlaunch): not in --help, no prefixes

  // "--nproc_per_node" (the canonical spelling, used in messages).
  std::string canonical() const;
  // The long spellings: canonical first, then the dashed one when it differs.
  std::vector<std::string> spellings() const;
  // "PET_NPROC_PER_NODE", or "" when env is kNone.
  std::string env_name() const;
};

// Every option, in --help order.
const std::vector<OptionSpec>& option_table();

// The option with this dest; the table must have it (checked).
const OptionSpec& option_spec(std::string_view dest);

// The option with this short name ('m' for -m), or nullptr.
const OptionSpec* find_short_option(char short_name);

// What a long option word (with its leading "--", without "=value") refers to.
struct OptionMatch {
  const OptionSpec* spec = nullptr;     // the option when exactly one matched
  std::string spelling;                 // its full spelling, e.g. "--redirects" for "--redirect"
  std::vector<std::string> candidates;  // canonical names when the prefix is ambiguous
};
OptionMatch match_long_option(std::string_view word);

// The supported option closest to `word` by edit distance (ignoring '-' vs '_'), as
// "--name", or "" when none is close enough to be a plausible typo.
std::string closest_option(std::string_view word);

}  // namespace dlaunch::launcher
