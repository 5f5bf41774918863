#include "launcher/option_values.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace dlaunch::launcher {

namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

bool is_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (const char c : name) {
    const bool ok =
        c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void throw_bad_value(std::string_view origin, std::string_view text, std::string_view expected) {
  throw UsageError(std::string(origin) + ": invalid value " + quote(text) + " (" +
                   std::string(expected) + ")");
}

std::string quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    pieces.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return pieces;
    start = end + 1;
  }
}

std::optional<int> parse_integer(std::string_view text) {
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

int parse_int_at_least(std::string_view text, std::string_view origin, int minimum) {
  const auto value = parse_integer(text);
  if (!value || *value < minimum) {
    throw_bad_value(origin, text, "expected an integer >= " + std::to_string(minimum));
  }
  return *value;
}

double parse_seconds(std::string_view text, std::string_view origin, bool allow_zero) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  const bool in_range = allow_zero ? value >= 0 : value > 0;
  if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(value) || !in_range) {
    throw_bad_value(origin, text, allow_zero ? "expected seconds >= 0" : "expected seconds > 0");
  }
  return value;
}

NprocSpec parse_nproc_per_node(std::string_view text, std::string_view origin) {
  using Kind = NprocSpec::Kind;
  if (text == "auto") return {Kind::kAuto, 1};
  if (text == "cpu") return {Kind::kCpu, 1};
  if (text == "gpu") return {Kind::kGpu, 1};
  const auto count = parse_integer(text);
  if (!count || *count < 1) {
    throw_bad_value(origin, text, "expected a positive integer, auto, cpu or gpu");
  }
  return {Kind::kCount, *count};
}

NodeRange parse_nnodes(std::string_view text, std::string_view origin) {
  constexpr std::string_view kExpected = "expected N or MIN:MAX with 1 <= MIN <= MAX";
  const auto parts = split(text, ':');
  if (parts.size() > 2) throw_bad_value(origin, text, kExpected);
  const auto min_nodes = parse_integer(parts.front());
  const auto max_nodes = parse_integer(parts.back());
  if (!min_nodes || !max_nodes || *min_nodes < 1 || *min_nodes > *max_nodes) {
    throw_bad_value(origin, text, kExpected);
  }
  return {*min_nodes, *max_nodes};
}

std::string parse_choice(std::string_view text, std::string_view origin,
                         const std::vector<std::string_view>& choices) {
  std::string expected = "expected ";
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == text) return std::string(text);
    if (i > 0) expected += i + 1 == choices.size() ? " or " : ", ";
    expected += choices[i];
  }
  throw_bad_value(origin, text, expected);
}

std::map<std::string, std::string> parse_rdzv_conf(std::string_view text, std::string_view origin) {
  std::map<std::string, std::string> conf;
  if (trim(text).empty()) return conf;
  for (const auto item : split(trim(text), ',')) {
    const auto equals = item.find('=');
    const auto key = trim(item.substr(0, equals));
    const auto value =
        equals == std::string_view::npos ? std::string_view{} : trim(item.substr(equals + 1));
    if (key.empty()) throw_bad_value(origin, text, "expected key=value,key=value");
    if (value.empty()) {
      throw UsageError(std::string(origin) + ": key " + quote(key) + " needs a value (in " +
                       quote(text) + ")");
    }
    if (!conf.emplace(key, value).second) {
      throw UsageError(std::string(origin) + ": key " + quote(key) + " appears twice in " +
                       quote(text));
    }
  }
  return conf;
}

std::optional<std::set<int>> parse_local_ranks_filter(std::string_view text,
                                                      std::string_view origin) {
  if (text.empty()) return std::nullopt;
  std::set<int> ranks;
  for (const auto item : split(text, ',')) {
    const auto rank = parse_integer(trim(item));
    if (!rank || *rank < 0) {
      throw_bad_value(origin, text, "expected a comma-separated list of local ranks such as 0,2");
    }
    ranks.insert(*rank);
  }
  return ranks;
}

std::pair<std::string, std::string> parse_env_assignment(std::string_view text,
                                                         std::string_view origin) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos || !is_env_name(text.substr(0, equals))) {
    throw_bad_value(origin, text, "expected NAME=VALUE with NAME a variable name");
  }
  return {std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

std::string parse_non_empty(std::string_view text, std::string_view origin,
                            std::string_view expected) {
  if (text.empty()) throw_bad_value(origin, text, expected);
  return std::string(text);
}

}  // namespace dlaunch::launcher
