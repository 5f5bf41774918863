#include "launcher/std_spec.hpp"

#include "launcher/option_values.hpp"

namespace dlaunch::launcher {

namespace {

constexpr std::string_view kExpected =
    "expected 0 (none), 1 (stdout), 2 (stderr) or 3 (both), or a per-rank map such as 0:1,1:2";

// One digit 0..3, or nothing.
std::optional<int> parse_choice_digit(std::string_view text) {
  if (text.size() != 1 || text[0] < '0' || text[0] > '3') return std::nullopt;
  return text[0] - '0';
}

}  // namespace

int StdSpec::for_local_rank(int local_rank) const {
  const auto it = per_rank.find(local_rank);
  return it == per_rank.end() ? all : it->second;
}

StdSpec parse_std_spec(std::string_view text, std::string_view origin) {
  StdSpec spec;
  if (const auto all = parse_choice_digit(text)) {
    spec.all = *all;
    return spec;
  }
  if (text.find(':') == std::string_view::npos) throw_bad_value(origin, text, kExpected);
  for (const auto& item : split(text, ',')) {
    const auto colon = item.find(':');
    const auto rank =
        colon == std::string_view::npos ? std::nullopt : parse_integer(item.substr(0, colon));
    const auto choice =
        colon == std::string_view::npos ? std::nullopt : parse_choice_digit(item.substr(colon + 1));
    if (!rank || *rank < 0 || !choice) throw_bad_value(origin, text, kExpected);
    if (!spec.per_rank.emplace(static_cast<int>(*rank), *choice).second) {
      throw UsageError(std::string(origin) + ": local rank " + std::to_string(*rank) +
                       " appears twice in " + quote(text));
    }
  }
  return spec;
}

}  // namespace dlaunch::launcher
