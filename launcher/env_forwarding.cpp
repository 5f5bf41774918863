#include "launcher/env_forwarding.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "launcher/option_values.hpp"

namespace dlaunch::launcher {
namespace {

constexpr std::string_view kPrefixes[] = {"NCCL_", "CUDA_", "OMP_", "PYTHON", "DLAUNCH_", "PET_"};
constexpr std::string_view kSpace = " \t";

bool valid_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string_view trim_left(std::string_view text) {
  const auto start = text.find_first_not_of(kSpace);
  return start == std::string_view::npos ? std::string_view{} : text.substr(start);
}

void read_env_file(const std::filesystem::path& path, std::map<std::string, ForwardedVar>& out) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return;
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path, ec)) {
    throw UsageError("cannot read " + path.string() + ": " +
                     (in ? std::string("it is a directory") : std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    for (auto& var : parse_env_file(text.str(), path.string())) out[var.name] = std::move(var);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

}  // namespace

bool forwarded_by_default(std::string_view name) {
  if (name == "CUDA_VISIBLE_DEVICES") return false;
  for (const auto prefix : kPrefixes) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

std::vector<ForwardedVar> parse_env_file(std::string_view text, const std::string& origin) {
  std::vector<ForwardedVar> vars;
  int number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto newline = text.find('\n', start);
    auto line = text.substr(start, newline == std::string_view::npos ? text.npos : newline - start);
    start = newline == std::string_view::npos ? text.size() : newline + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto where = origin + ":" + std::to_string(number);
    auto rest = trim_left(line);
    if (rest.empty() || rest.front() == '#') continue;
    if (rest.starts_with("export") && rest.size() > 6 && kSpace.find(rest[6]) != kSpace.npos) {
      rest = trim_left(rest.substr(6));
    }
    const auto equals = rest.find('=');
    if (equals == std::string_view::npos) {
      throw std::invalid_argument(where + ": expected KEY=VALUE, not " + quote(line));
    }
    const auto name = rest.substr(0, equals);
    if (!valid_name(name)) {
      throw std::invalid_argument(where + ": " + quote(name) + " is not a variable name in " +
                                  quote(line));
    }
    auto value = rest.substr(equals + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    vars.push_back({std::string(name), std::string(value), where});
  }
  return vars;
}

std::vector<ForwardedVar> forwarded_environment(const Environment& env, const std::string& cwd) {
  std::map<std::string, ForwardedVar> chosen;
  for (const auto& [name, value] : env) {
    if (forwarded_by_default(name)) chosen[name] = {name, value, "environment"};
  }
  std::filesystem::path home_file;
  if (const auto it = env.find("HOME"); it != env.end() && !it->second.empty()) {
    home_file = std::filesystem::path(it->second) / ".dlaunch_env";
    read_env_file(home_file, chosen);
  }
  const auto cwd_file = std::filesystem::path(cwd) / ".dlaunch_env";
  std::error_code ec;
  if (home_file.empty() || !std::filesystem::equivalent(home_file, cwd_file, ec)) {
    read_env_file(cwd_file, chosen);
  }
  std::vector<ForwardedVar> out;
  for (auto& [name, var] : chosen) out.push_back(std::move(var));
  return out;
}

}  // namespace dlaunch::launcher
