#include "launcher/usage.hpp"

#include <string_view>

#include "launcher/option_table.hpp"

#ifndef DLAUNCH_VERSION
#define DLAUNCH_VERSION "unknown"
#endif

namespace dlaunch::launcher {

namespace {

constexpr std::size_t kWidth = 100;
constexpr std::size_t kHelpColumn = 36;

constexpr std::string_view kIntro =
    "usage: dlaunch [options] program [program args...]\n"
    "       dlaunch status [HOST:PORT] [--log_dir DIR] [--ranks] [--json] [--watch [S]]\n"
    "       (what a running job is doing: dlaunch status --help)\n"
    "\n"
    "Starts --nproc_per_node workers running `program` on this node and supervises them, as\n"
    "torchrun and python -m torch.distributed.launch do: same flags, same worker environment.\n"
    "Options come before the program; every word after it goes to the program unchanged.\n"
    "Long options take '--opt value' or '--opt=value', are spelled with '_' or '-'\n"
    "(--nproc_per_node, --nproc-per-node) and may be shortened to any unambiguous prefix;\n"
    "'--' ends the options. [PET_X] marks an option whose default is read from that environment\n"
    "variable, as torchrun does (a flag's PET_X is 1 or 0); the command line wins.\n";

constexpr std::string_view kOutro =
    "\n"
    "How the program runs:\n"
    "  By default it runs under Python: $PYTHON_EXEC (else python3) -u program args...\n"
    "  With -m: python -u -m program args...   With --no_python: program args... (found on "
    "$PATH).\n"
    "  Legacy launch mode: unless --use_env is given, each worker also gets --local_rank=N before\n"
    "  the program's arguments, as python -m torch.distributed.launch gives it. --standalone,\n"
    "  --rdzv_backend c10d and --no_python are torchrun usage and imply --use_env.\n"
    "\n"
    "Environment:\n"
    "  PYTHON_EXEC                     the workers' Python interpreter (default python3)\n"
    "  DLAUNCH_RDZV_TOKEN              default of --rdzv_token\n"
    "  TORCH_ELASTIC_SHUTDOWN_TIMEOUT  default of --shutdown_timeout after PET_SHUTDOWN_TIMEOUT\n"
    "  DLAUNCH_REMOTE_BIN              the dlaunch --hostfile runs on each host (default: dlaunch)\n"
    "  NCCL_* CUDA_* OMP_* PYTHON* DLAUNCH_* PET_*, ~/.dlaunch_env, ./.dlaunch_env\n"
    "                                  what --hostfile sends to every host (not CUDA_VISIBLE_DEVICES)\n"
    "\n"
    "Exit status: 0 when every worker succeeded; else the exit code of the first worker that\n"
    "failed, or 128+N when it died of signal N; 2 for bad usage. With several nodes every node\n"
    "exits with the job's code: that of the first failure on any node, 1 when a node was lost.\n"
    "With --hostfile: the job's code as node 0 reports it (255 when ssh lost a host); 1 when\n"
    "a host fails the preflight.\n";

std::string_view group_title(OptionGroup group) {
  switch (group) {
    case OptionGroup::kNodes:
      return "Nodes";
    case OptionGroup::kRendezvous:
      return "Rendezvous";
    case OptionGroup::kSupervision:
      return "Supervision";
    case OptionGroup::kProgram:
      return "The program";
    case OptionGroup::kLogs:
      return "Logs and console";
    case OptionGroup::kHosts:
      return "Several hosts over ssh";
    case OptionGroup::kGeneral:
      return "General";
  }
  return "";
}

// "  -r, --redirects SPEC", "  --nproc_per_node, --nproc-per-node N|auto|cpu|gpu".
std::string names_column(const OptionSpec& spec) {
  std::string names = "  ";
  if (spec.short_name != 0) names += std::string("-") + spec.short_name + ", ";
  const auto spellings = spec.spellings();
  for (std::size_t i = 0; i < spellings.size(); ++i) names += (i ? ", " : "") + spellings[i];
  if (!spec.metavar.empty()) names += " " + std::string(spec.metavar);
  return names;
}

// Appends `text` word-wrapped at kWidth, every line indented to kHelpColumn; `line` holds
// what is already on the current line.
void append_wrapped(std::string& out, std::string line, std::string_view text) {
  if (line.size() + 2 > kHelpColumn) {
    out += line + "\n";
    line.clear();
  }
  line.resize(kHelpColumn, ' ');
  bool first_word = true;
  while (!text.empty()) {
    const auto space = text.find(' ');
    const auto word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
    if (!first_word && line.size() + 1 + word.size() > kWidth) {
      out += line + "\n";
      line.assign(kHelpColumn, ' ');
      first_word = true;
    }
    if (!first_word) line += ' ';
    line += word;
    first_word = false;
  }
  out += line + "\n";
}

}  // namespace

std::string usage_text() {
  std::string out(kIntro);
  bool first = true;
  OptionGroup group{};
  for (const auto& spec : option_table()) {
    if (!spec.supported || spec.hidden) continue;
    if (first || spec.group != group) {
      out += "\n" + std::string(group_title(spec.group)) + ":\n";
      group = spec.group;
      first = false;
    }
    std::string help(spec.help);
    if (const auto env = spec.env_name(); !env.empty()) help += " [" + env + "]";
    append_wrapped(out, names_column(spec), help);
  }
  return out + std::string(kOutro);
}

std::string version_text() {
  return "dlaunch " DLAUNCH_VERSION "\n";
}

}  // namespace dlaunch::launcher
