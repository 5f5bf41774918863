#pragma once
// CommandLine: dlaunch's argv split into options (raw text, not yet validated), the program and
// the program's arguments, the way argparse with a REMAINDER positional splits it:
//   - options come first; the first word that is not an option is the program and every word
//     after it is the program's, verbatim, even ones that look like dlaunch's flags;
//   - "--" ends the options: the next word is the program;
//   - "--opt value", "--opt=value", any unambiguous prefix of a long option, "-r 3", "-r3",
//     "-r=3", and short flags grouped ("-mt3");
//   - a value may start with '-' only when it is a negative number ("--node_rank -1"), so that
//     "--master_addr --nnodes 2" is a missing value, not an address.
// Scanning does not stop at the first bad option: like argparse, -h/--help or --version
// anywhere among the options wins over an error found before it.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dlaunch::launcher {

// One occurrence of an option on the command line.
struct GivenValue {
  std::string text;      // the value; empty for a flag
  std::string spelling;  // the option as matched, in full: "--nproc-per-node", "-r"
};

struct CommandLine {
  std::map<std::string, std::vector<GivenValue>, std::less<>> given;  // dest -> occurrences
  std::optional<std::string> program;
  std::vector<std::string> program_args;
  bool help = false;
  bool version = false;
  std::optional<std::string> error;  // the first bad-usage message, when there was one
};

// Splits argv (without argv[0]). Never throws for bad usage: see CommandLine::error.
CommandLine scan_command_line(const std::vector<std::string>& argv);

}  // namespace dlaunch::launcher
