#include "rendezvous/rendezvous_settings.hpp"

#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace dlaunch::rendezvous {
namespace {

[[noreturn]] void bad(const std::string& key, const std::string& value, const char* expected) {
  throw std::invalid_argument("--rdzv_conf " + key + "=" + value + ": expected " + expected);
}

std::chrono::milliseconds parse_seconds(const std::string& key, const std::string& value,
                                        bool allow_zero) {
  double seconds = 0;
  const auto* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, seconds);
  if (value.empty() || ec != std::errc{} || ptr != end || !std::isfinite(seconds) || seconds < 0 ||
      (!allow_zero && seconds == 0) || seconds > 1e7) {
    bad(key, value, allow_zero ? "seconds >= 0" : "seconds > 0");
  }
  return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000)));
}

bool parse_bool(const std::string& key, const std::string& value) {
  // torchrun's RendezvousParameters.get_as_bool spellings.
  static const std::set<std::string> yes = {"1", "true", "t", "yes", "y"};
  static const std::set<std::string> no = {"0", "false", "f", "no", "n"};
  std::string lower;
  for (char c : value)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (yes.count(lower)) return true;
  if (no.count(lower)) return false;
  bad(key, value, "1/0, true/false or yes/no");
}

int parse_count(const std::string& key, const std::string& value) {
  int n = 0;
  const auto* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || ec != std::errc{} || ptr != end || n < 1) bad(key, value, "an integer >= 1");
  return n;
}

}  // namespace

std::vector<std::string> apply_rdzv_conf(RendezvousSettings& settings,
                                         const std::map<std::string, std::string>& conf) {
  std::vector<std::string> warnings;
  std::optional<int> max_attempts;
  bool heartbeat_timeout_given = false;
  for (const auto& [key, value] : conf) {
    if (key == "join_timeout") {
      settings.join_timeout = parse_seconds(key, value, false);
    } else if (key == "last_call_timeout") {
      settings.last_call_timeout = parse_seconds(key, value, true);
    } else if (key == "close_timeout") {
      settings.close_timeout = parse_seconds(key, value, false);
    } else if (key == "heartbeat_timeout") {
      settings.heartbeat_timeout = parse_seconds(key, value, false);
      heartbeat_timeout_given = true;
    } else if (key == "keep_alive_interval") {
      settings.keep_alive_interval = parse_seconds(key, value, false);
    } else if (key == "keep_alive_max_attempt") {
      max_attempts = parse_count(key, value);
    } else if (key == "exit_barrier_timeout") {
      settings.exit_barrier_timeout = parse_seconds(key, value, false);
    } else if (key == "is_host") {
      settings.is_host = parse_bool(key, value);
    } else if (key == "timeout" || key == "read_timeout" || key == "store_type" || key == "rank") {
      // torchrun's keys for its TCPStore and static backend; dlaunch's store needs none.
    } else {
      warnings.push_back("--rdzv_conf " + key + "=" + value + ": unknown key, ignored");
    }
  }
  // torchrun declares a node dead after keep_alive_interval x keep_alive_max_attempt.
  if (max_attempts && !heartbeat_timeout_given) {
    settings.heartbeat_timeout = settings.keep_alive_interval * *max_attempts;
  }
  if (settings.heartbeat_timeout <= settings.keep_alive_interval) {
    throw std::invalid_argument("--rdzv_conf: heartbeat_timeout (" +
                                seconds_text(settings.heartbeat_timeout) +
                                ") must be longer than keep_alive_interval (" +
                                seconds_text(settings.keep_alive_interval) + ")");
  }
  return warnings;
}

std::string seconds_text(std::chrono::milliseconds duration) {
  return fmt::format("{:g} s", static_cast<double>(duration.count()) / 1000.0);
}

}  // namespace dlaunch::rendezvous
