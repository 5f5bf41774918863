#pragma once
// Parsers for the values of dlaunch's options, shared by parse_options and the specs it builds.
// Every parser is strict (the whole text must parse: "4x" is an error) and throws a UsageError
// whose one line starts with `origin`, the place the text came from ("--nnodes", "PET_NNODES"),
// and quotes the bad text.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "launcher/usage_error.hpp"

namespace dlaunch::launcher {

// --nproc_per_node: a count, or a word resolved later (auto, cpu, gpu) by GPU detection.
struct NprocSpec {
  enum class Kind { kCount, kAuto, kCpu, kGpu };
  Kind kind = Kind::kCount;
  int count = 1;  // meaningful for kCount
  bool operator==(const NprocSpec&) const = default;
};

// --nnodes: N or MIN:MAX.
struct NodeRange {
  int min_nodes = 1;
  int max_nodes = 1;
  bool operator==(const NodeRange&) const = default;
};

// Throws "<origin>: invalid value '<text>' (<expected>)".
[[noreturn]] void throw_bad_value(std::string_view origin, std::string_view text,
                                  std::string_view expected);

// 'text' in single quotes, control characters escaped as \xNN so a message stays one line.
std::string quote(std::string_view text);

// Splits on `separator`, keeping empty pieces ("a,,b" gives three).
std::vector<std::string_view> split(std::string_view text, char separator);

// A whole decimal integer that fits an int ("-3", "12"); no sign '+', no spaces.
std::optional<int> parse_integer(std::string_view text);

// An integer >= minimum, else a UsageError naming `origin`.
int parse_int_at_least(std::string_view text, std::string_view origin, int minimum);

// A finite number of seconds; > 0, or >= 0 when allow_zero.
double parse_seconds(std::string_view text, std::string_view origin, bool allow_zero);

// A positive integer, auto, cpu or gpu.
NprocSpec parse_nproc_per_node(std::string_view text, std::string_view origin);

// N or MIN:MAX with 1 <= MIN <= MAX.
NodeRange parse_nnodes(std::string_view text, std::string_view origin);

// One of `choices`, else an error listing them.
std::string parse_choice(std::string_view text, std::string_view origin,
                         const std::vector<std::string_view>& choices);

// "k=v,k=v" as torchrun's rendezvous config: keys and values trimmed, each key needs a
// non-empty value; a key given twice is an error. Empty text is an empty map.
std::map<std::string, std::string> parse_rdzv_conf(std::string_view text, std::string_view origin);

// "0,2,3": local ranks >= 0. Empty text is std::nullopt (no filter).
std::optional<std::set<int>> parse_local_ranks_filter(std::string_view text,
                                                      std::string_view origin);

// "NAME=VALUE" with NAME a valid environment variable name; VALUE may be empty.
std::pair<std::string, std::string> parse_env_assignment(std::string_view text,
                                                         std::string_view origin);

// A value that must not be empty (paths, addresses, names).
std::string parse_non_empty(std::string_view text, std::string_view origin,
                            std::string_view expected);

}  // namespace dlaunch::launcher
