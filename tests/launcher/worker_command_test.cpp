#include "launcher/worker_command.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

using namespace dlaunch::launcher;
namespace fs = std::filesystem;

namespace {

// A fresh directory with a fake python3 on its bin/, a script, binaries; removed at the end.
class Sandbox {
 public:
  Sandbox() {
    std::string pattern = (fs::temp_directory_path() / "dlaunch_worker_command_XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
    fs::create_directories(root_ / "bin");
    write("bin/python3", "#!/bin/sh\n", true);
    write("bin/tool", "#!/bin/sh\n", true);
    write("train.py", "print('hi')\n", false);
    write("worker", "#!/bin/sh\nexit 0\n", true);
    write("not_executable", "#!/bin/sh\n", false);
    write("compiled",
          std::string("\x7f"
                      "ELF\x02\x01\x01",
                      7),
          true);
    fs::create_directories(root_ / "pkgdir");
    write("pkgdir/__main__.py", "", false);
    fs::create_directories(root_ / "emptydir");
  }
  ~Sandbox() { fs::remove_all(root_); }

  void write(const std::string& name, const std::string& content, bool executable) {
    std::ofstream(root_ / name, std::ios::binary) << content;
    ::chmod((root_ / name).c_str(), executable ? 0755 : 0644);
  }
  std::string path(const std::string& name = "") const { return (root_ / name).string(); }
  Environment env() const { return {{"PATH", path("bin")}}; }

 private:
  fs::path root_;
};

Options options_for(std::vector<std::string> argv) {
  return parse_options(argv, {});
}

std::string usage_error(const Options& options, const Environment& env, const std::string& cwd) {
  try {
    worker_command(options, env, cwd);
  } catch (const UsageError& error) {
    return error.what();
  }
  FAIL("no UsageError");
  return {};
}

}  // namespace

TEST_CASE("worker command: a script runs under python3 -u from PATH") {
  Sandbox box;
  const auto options = options_for({"--nproc_per_node", "2", "train.py", "--epochs", "3", "--x"});
  CHECK(
      worker_command(options, box.env(), box.path()) ==
      std::vector<std::string>{box.path("bin/python3"), "-u", "train.py", "--epochs", "3", "--x"});
  // An absolute script path, and --run_path, give the same form.
  const auto run_path = options_for({"--run_path", box.path("train.py")});
  CHECK(worker_command(run_path, box.env(), "/") ==
        std::vector<std::string>{box.path("bin/python3"), "-u", box.path("train.py")});
  // Python runs a directory with __main__.py too.
  CHECK(worker_command(options_for({"pkgdir"}), box.env(), box.path()).at(2) == "pkgdir");
}

TEST_CASE("worker command: PYTHON_EXEC picks the interpreter") {
  Sandbox box;
  box.write("mypython", "#!/bin/sh\n", true);
  auto env = box.env();
  env["PYTHON_EXEC"] = box.path("mypython");
  CHECK(worker_command(options_for({"train.py"}), env, box.path()).front() == box.path("mypython"));
  env["PYTHON_EXEC"] = "tool";  // a bare name is looked up on PATH
  CHECK(worker_command(options_for({"train.py"}), env, box.path()).front() == box.path("bin/tool"));
  env["PYTHON_EXEC"] = box.path("missing-python");
  CHECK(usage_error(options_for({"train.py"}), env, box.path()) ==
        "PYTHON_EXEC=" + box.path("missing-python") + ": no such executable file");
  CHECK(usage_error(options_for({"train.py"}), {{"PATH", box.path("emptydir")}}, box.path()) ==
        "python3 not found on PATH; set PYTHON_EXEC to the workers' Python");
}

TEST_CASE("worker command: -m runs a module") {
  Sandbox box;
  CHECK(worker_command(options_for({"-m", "pkg.train", "--lr", "0.1"}), box.env(), box.path()) ==
        std::vector<std::string>{box.path("bin/python3"), "-u", "-m", "pkg.train", "--lr", "0.1"});
}

TEST_CASE("worker command: --no_python runs the program itself") {
  Sandbox box;
  CHECK(worker_command(options_for({"--no_python", "./worker", "a"}), box.env(), box.path()) ==
        std::vector<std::string>{"./worker", "a"});
  CHECK(worker_command(options_for({"--no_python", "tool"}), box.env(), box.path()) ==
        std::vector<std::string>{box.path("bin/tool")});
  CHECK(worker_command(options_for({"--no-python", box.path("compiled")}), box.env(), "/") ==
        std::vector<std::string>{box.path("compiled")});
}

TEST_CASE("worker command: a missing or unusable program is bad usage") {
  Sandbox box;
  const auto cwd = box.path();
  CHECK(usage_error(options_for({"missing.py"}), box.env(), cwd) ==
        "program 'missing.py' not found (looked in " + cwd + ")");
  CHECK(usage_error(options_for({box.path("missing.py")}), box.env(), cwd) ==
        "program '" + box.path("missing.py") + "' not found");
  CHECK(usage_error(options_for({"--no_python", "./missing"}), box.env(), cwd) ==
        "program './missing' not found (looked in " + cwd + ")");
  CHECK(usage_error(options_for({"--no_python", "nothere"}), box.env(), cwd) ==
        "program 'nothere' not found on PATH (--no_python runs it directly)");
  CHECK(usage_error(options_for({"--no_python", "./not_executable"}), box.env(), cwd) ==
        "program './not_executable' is not executable (chmod +x it, or drop --no_python to run it "
        "under Python)");
  CHECK(usage_error(options_for({"--no_python", "./emptydir"}), box.env(), cwd) ==
        "program './emptydir' is not a regular file");
  CHECK(usage_error(options_for({"emptydir"}), box.env(), cwd) ==
        "program 'emptydir' is a directory without __main__.py");
  CHECK(usage_error(options_for({"./compiled"}), box.env(), cwd) ==
        "program './compiled' is a compiled executable, not a Python script; add --no_python to "
        "run it directly");
  Options both = options_for({"-m", "mod"});
  both.no_python = true;
  CHECK(usage_error(both, box.env(), cwd)
            .starts_with("-m/--module and --no_python cannot be combined"));
}

TEST_CASE("worker command: legacy mode puts --local_rank=N before the program's arguments") {
  Sandbox box;
  auto options = options_for({"train.py", "--epochs", "3"});
  REQUIRE_FALSE(options.use_env);
  const auto command = worker_command(options, box.env(), box.path());
  CHECK(with_local_rank(command, options, 2) ==
        std::vector<std::string>{box.path("bin/python3"), "-u", "train.py", "--local_rank=2",
                                 "--epochs", "3"});
  options = options_for({"-m", "pkg.train"});
  CHECK(with_local_rank(worker_command(options, box.env(), box.path()), options, 0).back() ==
        "--local_rank=0");
  options = options_for({"--use_env", "train.py", "--epochs", "3"});
  CHECK(with_local_rank(command, options, 2) == command);
}
