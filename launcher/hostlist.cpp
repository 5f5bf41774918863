#include "launcher/hostlist.hpp"

#include <charconv>
#include <stdexcept>

namespace dlaunch::launcher {
namespace {

[[noreturn]] void fail(std::string_view list, const std::string& why) {
  throw std::invalid_argument("invalid hostlist '" + std::string(list) + "': " + why);
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

unsigned long long to_number(std::string_view list, std::string_view digits) {
  unsigned long long value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || ptr != digits.data() + digits.size()) {
    fail(list, "number '" + std::string(digits) + "' is too large");
  }
  return value;
}

std::string padded(unsigned long long value, std::size_t width) {
  std::string text = std::to_string(value);
  if (text.size() < width) text.insert(0, width - text.size(), '0');
  return text;
}

// The names one bracket body ("01-04,07") stands for, in order.
std::vector<std::string> expand_ranges(std::string_view list, std::string_view body) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto comma = body.find(',', start);
    const auto part =
        body.substr(start, comma == std::string_view::npos ? body.npos : comma - start);
    const auto dash = part.find('-');
    const auto low_text = part.substr(0, dash);
    const auto high_text = dash == std::string_view::npos ? low_text : part.substr(dash + 1);
    if (!all_digits(low_text) || !all_digits(high_text)) {
      fail(list, "bad range '" + std::string(part) + "' (expected N or N-M)");
    }
    const auto low = to_number(list, low_text);
    const auto high = to_number(list, high_text);
    if (high < low) fail(list, "range '" + std::string(part) + "' goes down");
    if (high - low >= kMaxExpandedHosts || out.size() + (high - low) >= kMaxExpandedHosts) {
      fail(list, "expands to more than " + std::to_string(kMaxExpandedHosts) + " hosts");
    }
    for (auto value = low; value <= high; ++value) out.push_back(padded(value, low_text.size()));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// Expands one top-level item, which may hold several bracket groups.
void expand_item(std::string_view list, std::string_view item, const std::string& prefix,
                 std::vector<std::string>& out) {
  const auto open = item.find('[');
  if (open == std::string_view::npos) {
    if (item.find(']') != std::string_view::npos) fail(list, "']' without '['");
    if (out.size() >= kMaxExpandedHosts) {
      fail(list, "expands to more than " + std::to_string(kMaxExpandedHosts) + " hosts");
    }
    out.push_back(prefix + std::string(item));
    return;
  }
  const auto close = item.find(']', open);
  if (close == std::string_view::npos) fail(list, "'[' without ']'");
  if (item.substr(0, open).find(']') != std::string_view::npos) fail(list, "']' without '['");
  const auto body = item.substr(open + 1, close - open - 1);
  if (body.find('[') != std::string_view::npos) fail(list, "nested '['");
  const auto head = prefix + std::string(item.substr(0, open));
  for (const auto& value : expand_ranges(list, body)) {
    expand_item(list, item.substr(close + 1), head + value, out);
  }
}

}  // namespace

std::vector<std::string> expand_hostlist(std::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ',';
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth < 0) fail(text, "']' without '['");
    if (c != ',' || depth > 0) continue;
    const auto item = text.substr(start, i - start);
    if (item.empty()) fail(text, "empty host name");
    expand_item(text, item, "", out);
    start = i + 1;
  }
  if (depth > 0) fail(text, "'[' without ']'");
  return out;
}

}  // namespace dlaunch::launcher
