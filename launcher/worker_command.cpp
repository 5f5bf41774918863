#include "launcher/worker_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace dlaunch::launcher {

namespace {

// glibc's execvp path when PATH is unset.
constexpr std::string_view kDefaultPath = "/bin:/usr/bin";

std::string joined(const std::string& directory, const std::string& name) {
  if (directory.empty()) return name;
  return directory.back() == '/' ? directory + name : directory + "/" + name;
}

// Where `path` is, for stat(): relative paths are relative to `cwd`.
std::string located(const std::string& path, const std::string& cwd) {
  return path.starts_with('/') ? path : joined(cwd, path);
}

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

std::string variable(const Environment& env, const std::string& name, std::string_view fallback) {
  const auto it = env.find(name);
  return it == env.end() ? std::string(fallback) : it->second;
}

// A bare name looked up on $PATH (returned as found there), or a path containing '/'
// (returned as given). Empty when there is no executable file by that name.
std::string find_executable(const std::string& name, const Environment& env,
                            const std::string& cwd) {
  if (name.find('/') != std::string::npos) {
    return is_executable_file(located(name, cwd)) ? name : std::string();
  }
  const std::string path = variable(env, "PATH", kDefaultPath);
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    // An empty PATH entry means the current directory.
    const std::string directory =
        end == start ? cwd : located(path.substr(start, end - start), cwd);
    if (const auto candidate = joined(directory, name); is_executable_file(candidate)) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

std::string python_interpreter(const Environment& env, const std::string& cwd) {
  const auto exec = env.find("PYTHON_EXEC");
  if (exec != env.end() && !exec->second.empty()) {
    auto found = find_executable(exec->second, env, cwd);
    if (found.empty()) {
      throw UsageError("PYTHON_EXEC=" + exec->second + ": no such executable file");
    }
    return found;
  }
  auto found = find_executable("python3", env, cwd);
  if (found.empty()) {
    throw UsageError("python3 not found on PATH; set PYTHON_EXEC to the workers' Python");
  }
  return found;
}

std::string not_found(const std::string& program, const std::string& cwd) {
  const std::string message = "program '" + program + "' not found";
  return program.starts_with('/') ? message : message + " (looked in " + cwd + ")";
}

bool starts_with_elf_magic(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  char magic[4] = {};
  return file.read(magic, sizeof magic) && std::string_view(magic, 4) ==
                                               "\x7f"
                                               "ELF";
}

// A Python script (or a directory/zip with __main__.py, which python also runs) must exist.
void check_script(const std::string& program, const std::string& cwd) {
  const auto path = located(program, cwd);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw UsageError(not_found(program, cwd));
  }
  if (S_ISDIR(info.st_mode) && ::stat(joined(path, "__main__.py").c_str(), &info) != 0) {
    throw UsageError("program '" + program + "' is a directory without __main__.py");
  }
  if (S_ISREG(info.st_mode) && starts_with_elf_magic(path)) {
    throw UsageError("program '" + program +
                     "' is a compiled executable, not a Python script; add --no_python to run it "
                     "directly");
  }
}

std::string check_binary(const std::string& program, const Environment& env,
                         const std::string& cwd) {
  auto found = find_executable(program, env, cwd);
  if (!found.empty()) return found;
  if (program.find('/') == std::string::npos) {
    throw UsageError("program '" + program + "' not found on PATH (--no_python runs it directly)");
  }
  const auto path = located(program, cwd);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw UsageError(not_found(program, cwd));
  }
  if (!S_ISREG(info.st_mode)) {
    throw UsageError("program '" + program + "' is not a regular file");
  }
  throw UsageError("program '" + program +
                   "' is not executable (chmod +x it, or drop --no_python to run it under Python)");
}

}  // namespace

std::vector<std::string> worker_command(const Options& options, const Environment& env,
                                        const std::string& cwd) {
  std::vector<std::string> argv;
  if (options.no_python) {
    if (options.module) {
      throw UsageError("-m/--module and --no_python cannot be combined: a module needs Python");
    }
    argv.push_back(check_binary(options.program, env, cwd));
  } else {
    if (!options.module) check_script(options.program, cwd);
    argv = {python_interpreter(env, cwd), "-u"};
    if (options.module) argv.push_back("-m");
    argv.push_back(options.program);
  }
  argv.insert(argv.end(), options.program_args.begin(), options.program_args.end());
  return argv;
}

std::vector<std::string> with_local_rank(const std::vector<std::string>& command,
                                         const Options& options, int local_rank) {
  if (options.use_env) return command;
  std::vector<std::string> argv = command;
  const auto args_begin = argv.end() - static_cast<std::ptrdiff_t>(options.program_args.size());
  argv.insert(args_begin, "--local_rank=" + std::to_string(local_rank));
  return argv;
}

}  // namespace dlaunch::launcher
