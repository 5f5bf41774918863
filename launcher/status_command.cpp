#include "launcher/status_command.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "launcher/agent_locator.hpp"
#include "launcher/option_values.hpp"
#include "launcher/status_view.hpp"
#include "launcher/usage_error.hpp"

namespace dlaunch::launcher {
namespace {

struct StatusArgs {
  std::optional<std::string> address;
  std::string log_dir = "logs";
  bool json = false;
  bool ranks = false;
  std::optional<double> watch;  // seconds
  std::string token;
  bool help = false;
};

bool is_number(const std::string& word) {
  return !word.empty() && word.find_first_not_of("0123456789.") == std::string::npos;
}

StatusArgs parse_status_args(const std::vector<std::string>& args, const Environment& env) {
  StatusArgs out;
  if (auto it = env.find("DLAUNCH_RDZV_TOKEN"); it != env.end()) out.token = it->second;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string word = args[i];
    std::optional<std::string> inline_value;
    if (word.rfind("--", 0) == 0) {
      if (const auto eq = word.find('='); eq != std::string::npos) {
        inline_value = word.substr(eq + 1);
        word = word.substr(0, eq);
      }
      std::string name = word.substr(2);
      for (auto& c : name) c = c == '-' ? '_' : c;
      word = "--" + name;
    }
    auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) throw UsageError(word + " expects a value");
      return args[++i];
    };
    if (word == "--log_dir") {
      out.log_dir = value();
    } else if (word == "--json") {
      out.json = true;
    } else if (word == "--ranks") {
      out.ranks = true;
    } else if (word == "--watch") {
      std::string seconds = "2";
      if (inline_value) {
        seconds = *inline_value;
      } else if (i + 1 < args.size() && is_number(args[i + 1])) {
        seconds = args[++i];
      }
      out.watch = parse_seconds(seconds, "--watch", /*allow_zero=*/false);
    } else if (word == "--rdzv_token") {
      out.token = value();
    } else if (word == "-h" || word == "--help") {
      out.help = true;
    } else if (!word.empty() && word[0] == '-') {
      throw UsageError("dlaunch status: unknown option " + args[i] +
                       " (see dlaunch status --help)");
    } else if (out.address) {
      throw UsageError("dlaunch status: one address only, got " + *out.address + " and " + word);
    } else {
      out.address = word;
    }
  }
  return out;
}

std::size_t terminal_width(const Environment& env) {
  winsize size{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 &&
      size.ws_col > 0) {
    return size.ws_col;
  }
  if (auto it = env.find("COLUMNS"); it != env.end()) {
    try {
      return std::max(40, std::stoi(it->second));
    } catch (const std::exception&) {
    }
  }
  return 160;
}

// One answer: the status document, from the first agent that gives the job's view (a node's
// own agent, when it only has its node's, points at the job's URL: that is tried next).
nlohmann::json fetch_status(const StatusArgs& args, const std::string& cwd, std::string& note) {
  const std::string path = std::string("/status?ranks=") + (args.ranks ? "1" : "0");
  std::vector<AgentCandidate> candidates;
  if (args.address) {
    AgentCandidate c;
    try {
      c.target = rendezvous::parse_http_target(*args.address);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("dlaunch status: ") + e.what());
    }
    c.what = c.target.describe();
    candidates.push_back(std::move(c));
  } else {
    std::filesystem::path dir = args.log_dir;
    if (dir.is_relative()) dir = std::filesystem::path(cwd) / dir;
    candidates = locate_agents(dir, this_host_name());
  }
  auto fetched = fetch_first(candidates, path, args.token);
  if (fetched.result.status != 200) {
    throw std::runtime_error(fetched.from.target.describe() + " answered HTTP " +
                             std::to_string(fetched.result.status) + ": " + fetched.result.body);
  }
  auto doc = nlohmann::json::parse(fetched.result.body);
  note.clear();
  if (doc.value("scope", "job") == "node" && !doc.value("status_url", std::string()).empty()) {
    try {
      AgentCandidate job{rendezvous::parse_http_target(doc["status_url"].get<std::string>()), false,
                         true, "the job's status"};
      auto again = fetch_first({job}, path, args.token);
      if (again.result.status == 200) return nlohmann::json::parse(again.result.body);
    } catch (const std::exception& e) {
      note = std::string("the job's view is out of reach (") + e.what() + "); this node's:";
    }
  }
  return doc;
}

}  // namespace

std::string status_usage_text() {
  return "usage: dlaunch status [HOST:PORT | URL] [--log_dir DIR] [--ranks] [--json]\n"
         "                      [--watch [SECONDS]] [--rdzv_token TOKEN]\n"
         "\n"
         "Shows what a running job is doing: a job line, one row per node and, with --ranks,\n"
         "one row per rank (pid, state, uptime, seconds since its last output line, CPU %, the\n"
         "hang verdict, the last line). Without an address it finds the job's agents through\n"
         "the endpoint files in DIR (default ./logs, where the job was started): this host's\n"
         "agent answers on its local socket, no token needed. HOST:PORT is node 0's store port\n"
         "(MASTER_ADDR:MASTER_PORT), which also serves GET /status, /metrics, /livez, /readyz\n"
         "and a live page at /.\n"
         "\n"
         "  --log_dir DIR        the job's log directory (default ./logs)\n"
         "  --ranks              one row per rank\n"
         "  --json               print the status document (JSON) instead of the table\n"
         "  --watch [SECONDS]    redraw every SECONDS (default 2) until Ctrl-C or the job ends\n"
         "  --rdzv_token TOKEN   the job's token for HOST:PORT (default: $DLAUNCH_RDZV_TOKEN)\n"
         "\n"
         "Exit status: 0 answered; 1 no agent answered, or it refused the token; 2 bad usage.\n";
}

int run_status_command(const std::vector<std::string>& argv, const Environment& env,
                       const std::string& cwd) {
  StatusArgs args;
  try {
    args = parse_status_args(argv, env);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "dlaunch: error: %s\n", e.what());
    return 2;
  }
  if (args.help) {
    std::fputs(status_usage_text().c_str(), stdout);
    return 0;
  }
  StatusViewOptions view;
  view.ranks = args.ranks;
  view.width = terminal_width(env);
  bool answered = false;
  while (true) {
    std::string note;
    try {
      const auto doc = fetch_status(args, cwd, note);
      std::string out;
      if (args.json) {
        out = doc.dump(args.watch ? -1 : 2) + "\n";
      } else {
        out = (note.empty() ? "" : note + "\n") + format_status(doc, view);
        if (args.watch) out = "\x1b[H\x1b[2J" + out;  // redraw from the top
      }
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      answered = true;
    } catch (const UsageError& e) {
      std::fprintf(stderr, "dlaunch: error: %s\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      if (answered) {
        std::fprintf(stderr, "dlaunch: the job no longer answers (%s): it has ended\n", e.what());
        return 0;
      }
      std::fprintf(stderr, "dlaunch: error: %s\n", e.what());
      return 1;
    }
    if (!args.watch) return 0;
    std::this_thread::sleep_for(std::chrono::duration<double>(*args.watch));
  }
}

}  // namespace dlaunch::launcher
