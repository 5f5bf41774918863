#include "launcher/host_filter.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <stdexcept>

namespace dlaunch::launcher {
namespace {

std::vector<int> every_slot(int count) {
  std::vector<int> slots(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) slots[static_cast<std::size_t>(i)] = i;
  return slots;
}

struct NodeSpec {
  std::string host;
  std::vector<int> slots;  // as written, duplicates dropped; every slot for a whole host
  bool whole_host = false;
};

class FilterParser {
 public:
  FilterParser(std::string_view flag, std::string_view text,
               const std::vector<HostfileEntry>& hosts)
      : flag_(flag), text_(text) {
    for (const auto& entry : hosts) slots_of_[entry.host] = entry.slots;
  }

  std::vector<NodeSpec> parse() const {
    std::vector<NodeSpec> specs;
    std::set<std::string> named;
    std::size_t start = 0;
    while (true) {
      const auto at = text_.find('@', start);
      const auto part = text_.substr(start, at == std::string_view::npos ? text_.npos : at - start);
      if (part.empty()) fail("empty node spec (expected host[:slot,...] between '@')");
      auto spec = parse_spec(part);
      if (!named.insert(spec.host).second) fail("host '" + spec.host + "' is named twice");
      specs.push_back(std::move(spec));
      if (at == std::string_view::npos) break;
      start = at + 1;
    }
    return specs;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument(std::string(flag_) + " '" + std::string(text_) + "': " + why);
  }

  NodeSpec parse_spec(std::string_view part) const {
    const auto exact = slots_of_.find(std::string(part));
    if (exact != slots_of_.end()) return {exact->first, every_slot(exact->second), true};
    const auto colon = part.rfind(':');
    const auto host = std::string(part.substr(0, colon));
    const auto found = slots_of_.find(host);
    if (host.empty()) fail("empty host name in '" + std::string(part) + "'");
    if (found == slots_of_.end()) fail("host '" + host + "' is not in the hostfile");
    if (colon == std::string_view::npos) return {host, every_slot(found->second), true};
    const auto list = part.substr(colon + 1);
    if (list.empty()) fail("empty slot list after '" + host + ":'");
    std::vector<int> slots;
    std::size_t start = 0;
    while (true) {
      const auto comma = list.find(',', start);
      const auto word =
          list.substr(start, comma == std::string_view::npos ? list.npos : comma - start);
      int slot = -1;
      auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), slot);
      if (word.empty() || ec != std::errc{} || ptr != word.data() + word.size() || slot < 0) {
        fail("slot '" + std::string(word) + "' on host '" + host + "' is not a slot index");
      }
      if (slot >= found->second) {
        fail("no slot " + std::to_string(slot) + " on host '" + host +
             "' (slots=" + std::to_string(found->second) + ": indices 0-" +
             std::to_string(found->second - 1) + "; slots are device indices, not counts)");
      }
      if (std::find(slots.begin(), slots.end(), slot) == slots.end()) slots.push_back(slot);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return {host, std::move(slots), false};
  }

  std::string_view flag_;
  std::string_view text_;
  std::map<std::string, int> slots_of_;
};

}  // namespace

bool HostSlots::all_slots() const {
  return slots == every_slot(hostfile_slots);
}

std::string HostSlots::visible_devices() const {
  std::string text;
  for (int slot : slots) {
    if (!text.empty()) text += ',';
    text += std::to_string(slot);
  }
  return text;
}

std::vector<HostSlots> select_hosts(const std::vector<HostfileEntry>& hosts,
                                    std::string_view include, std::string_view exclude) {
  if (!include.empty() && !exclude.empty()) {
    throw std::invalid_argument("--include and --exclude are mutually exclusive");
  }
  std::vector<HostSlots> all;
  for (const auto& entry : hosts) all.push_back({entry.host, every_slot(entry.slots), entry.slots});
  if (include.empty() && exclude.empty()) return all;

  const bool including = !include.empty();
  const auto flag = including ? "--include" : "--exclude";
  const auto text = including ? include : exclude;
  std::map<std::string, std::vector<int>> chosen;
  if (!including) {
    for (const auto& host : all) chosen[host.host] = host.slots;
  }
  for (const auto& spec : FilterParser(flag, text, hosts).parse()) {
    auto& slots = chosen[spec.host];
    if (including) {
      slots = spec.slots;
    } else if (spec.whole_host) {
      slots.clear();
    } else {
      std::erase_if(slots, [&](int slot) {
        return std::find(spec.slots.begin(), spec.slots.end(), slot) != spec.slots.end();
      });
    }
  }

  std::vector<HostSlots> selected;
  for (auto& host : all) {
    const auto it = chosen.find(host.host);
    if (it == chosen.end() || it->second.empty()) continue;
    host.slots = it->second;
    selected.push_back(std::move(host));
  }
  if (selected.empty()) {
    throw std::invalid_argument(std::string(flag) + " '" + std::string(text) +
                                "' leaves no host to run on");
  }
  return selected;
}

}  // namespace dlaunch::launcher
