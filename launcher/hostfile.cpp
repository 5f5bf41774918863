#include "launcher/hostfile.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace dlaunch::launcher {
namespace {

constexpr std::string_view kSpace = " \t\r\v\f";

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while ((pos = text.find_first_not_of(kSpace, pos)) != std::string_view::npos) {
    const auto end = text.find_first_of(kSpace, pos);
    words.push_back(text.substr(pos, end == std::string_view::npos ? text.npos : end - pos));
    pos = end;
  }
  return words;
}

struct LineError {
  std::string_view origin;
  int line;
  std::string_view text;

  [[noreturn]] void operator()(const std::string& why) const {
    throw std::invalid_argument(std::string(origin) + ":" + std::to_string(line) + ": " + why +
                                " in '" + std::string(text) + "'");
  }
};

int parse_count(std::string_view value, std::string_view key, const LineError& fail) {
  int count = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), count);
  if (value.empty() || ec != std::errc{} || ptr != value.data() + value.size() || count < 1) {
    fail(std::string(key) + "= needs a whole number >= 1, not '" + std::string(value) + "'");
  }
  return count;
}

}  // namespace

std::vector<HostfileEntry> parse_hostfile(std::string_view text, std::string_view origin,
                                          int default_slots) {
  if (default_slots < 1) {
    throw std::invalid_argument(std::string(origin) + ": default slots must be >= 1, not " +
                                std::to_string(default_slots));
  }
  std::vector<HostfileEntry> entries;
  std::map<std::string, int, std::less<>> first_line;
  int number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto newline = text.find('\n', start);
    const auto raw =
        text.substr(start, newline == std::string_view::npos ? text.npos : newline - start);
    start = newline == std::string_view::npos ? text.size() : newline + 1;
    ++number;
    const LineError fail{origin, number, raw};
    const auto words = split_words(raw.substr(0, raw.find('#')));
    if (words.empty()) continue;

    HostfileEntry entry{std::string(words[0]), default_slots, number};
    if (entry.host.find('@') != std::string::npos) {
      fail("'user@host' is not supported (the user belongs in ~/.ssh/config or --ssh_cmd)");
    }
    if (entry.host.find('=') != std::string::npos) fail("the line must start with a host name");
    bool have_slots = false;
    for (std::size_t i = 1; i < words.size(); ++i) {
      const auto eq = words[i].find('=');
      const auto key = words[i].substr(0, eq);
      const auto value =
          eq == std::string_view::npos ? std::string_view{} : words[i].substr(eq + 1);
      if (key == "slots" && eq != std::string_view::npos && !have_slots) {
        entry.slots = parse_count(value, key, fail);
        have_slots = true;
      } else if (key == "max_slots" && eq != std::string_view::npos) {
        parse_count(value, key, fail);
      } else {
        fail("unexpected '" + std::string(words[i]) + "' (expected 'host [slots=N]')");
      }
    }
    const auto [it, inserted] = first_line.emplace(entry.host, number);
    if (!inserted) {
      fail("duplicate host '" + entry.host + "' (first at line " + std::to_string(it->second) +
           ")");
    }
    entries.push_back(std::move(entry));
  }
  if (entries.empty())
    throw std::invalid_argument(std::string(origin) + ": no hosts in the hostfile");
  return entries;
}

std::vector<HostfileEntry> read_hostfile(const std::string& path, int default_slots) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw std::invalid_argument("cannot read hostfile '" + path + "': it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::invalid_argument("cannot read hostfile '" + path + "': " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::invalid_argument("cannot read hostfile '" + path + "'");
  return parse_hostfile(text.str(), path, default_slots);
}

}  // namespace dlaunch::launcher
