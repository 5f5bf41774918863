#include "launcher/status_view.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

namespace dlaunch::launcher {
namespace {

using Row = std::vector<std::string>;

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string text_of(const nlohmann::json& j, const char* key, const std::string& fallback = "-") {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>().empty() ? fallback : it->get<std::string>();
  return it->dump();
}

double number_or(const nlohmann::json& j, const char* key, double fallback) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

// Columns padded to their widest cell; the last column takes what is left of `width` and is cut.
std::string table(const Row& header, const std::vector<Row>& rows, std::size_t width) {
  std::vector<std::size_t> widths(header.size(), 0);
  for (std::size_t i = 0; i < header.size(); ++i) widths[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i + 1 < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::size_t used = 0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) used += widths[i] + 2;
  const std::size_t last = width > used + 20 ? width - used : 20;
  std::string out;
  auto line = [&](const Row& row) {
    std::string text;
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string cell = row[i];
      if (i + 1 == row.size()) {
        if (cell.size() > last) cell = cell.substr(0, last - 1) + "~";
        text += cell;
      } else {
        text += cell + std::string(widths[i] - cell.size() + 2, ' ');
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
  return out;
}

std::string ranks_text(const nlohmann::json& node) {
  const int first = node.value("first_rank", 0);
  const int nproc = node.value("nproc", 0);
  if (nproc <= 0) return "-";
  return nproc == 1 ? std::to_string(first)
                    : std::to_string(first) + "-" + std::to_string(first + nproc - 1);
}

std::string node_state_text(const nlohmann::json& node) {
  std::string state = node.value("state", "?");
  if (node.value("member_state", "member") == "member" && node.value("nproc", 0) > 0 &&
      node.contains("workers") && !node["workers"].empty()) {
    state += " " + std::to_string(node["workers"].value("running", 0)) + "/" +
             std::to_string(node.value("nproc", 0));
  }
  const std::string why = node.value("lost_why", "");
  if (!why.empty()) state += " (" + why + ")";
  return state;
}

// Lower is worse: the rows a person must see first.
int badness(const std::string& state) {
  static const std::map<std::string, int> order = {
      {"lost", 0},     {"failed", 1}, {"stopped", 2}, {"joining", 3},  {"waiting", 4},
      {"starting", 5}, {"spare", 6},  {"running", 7}, {"succeeded", 8}};
  const auto it = order.find(state);
  return it == order.end() ? 9 : it->second;
}

std::string job_lines(const nlohmann::json& doc) {
  const auto& job = doc.at("job");
  const int nnodes = job.value("nnodes", 1);
  std::string out = "run " + job.value("run_id", std::string("?")) + "   " +
                    upper(job.value("state", std::string("?"))) + "   attempt " +
                    std::to_string(job.value("attempt", 0)) + "   restarts " +
                    std::to_string(job.value("restarts_used", 0)) + "/" +
                    std::to_string(job.value("max_restarts", 0)) + " (" +
                    std::to_string(job.value("restarts_left", 0)) + " left)   elapsed " +
                    format_age(job.value("elapsed_s", nlohmann::json())) + "   world " +
                    std::to_string(job.value("world_size", 0)) + " (" + std::to_string(nnodes) +
                    " node" + (nnodes == 1 ? "" : "s") + ")\n";
  if (doc.value("scope", "job") == "node") {
    out +=
        "this node only; the job's view is at " + doc.value("status_url", std::string("?")) + "\n";
  }
  const std::string reason = job.value("reason", "");
  if (!reason.empty()) out += "reason: " + reason + "\n";
  if (const auto it = job.find("root_cause"); it != job.end() && it->is_object()) {
    const auto& r = *it;
    const bool earlier = r.value("attempt", 0) != job.value("attempt", 0);
    out += std::string(earlier ? "attempt " + text_of(r, "attempt") + " ended: " : "") +
           "root cause: rank " + text_of(r, "rank") + " on " + text_of(r, "host") + " (node " +
           text_of(r, "node_rank") + ", pid " + text_of(r, "pid") + "): " + text_of(r, "exit") +
           "\n";
  }
  if (const auto it = job.find("unreported_ranks"); it != job.end() && !it->empty()) {
    out += std::to_string(it->size()) + " rank(s) not reported yet\n";
  }
  return out;
}

Row node_row(const nlohmann::json& n) {
  return {text_of(n, "node_rank"),
          text_of(n, "host"),
          text_of(n, "addr"),
          ranks_text(n),
          format_age(n.value("heartbeat_age_s", nlohmann::json())),
          node_state_text(n)};
}

std::string node_lines(const nlohmann::json& doc, const StatusViewOptions& options) {
  const Row header = {"NODE", "HOST", "ADDRESS", "RANKS", "HEARTBEAT", "STATE"};
  const auto& nodes = doc.value("nodes", nlohmann::json::array());
  std::vector<const nlohmann::json*> shown;
  for (const auto& n : nodes) shown.push_back(&n);
  std::string out;
  if (shown.size() > options.summarize_above) {
    std::map<std::string, int> counts;
    for (const auto* n : shown) ++counts[n->value("state", "?")];
    std::vector<std::pair<std::string, int>> by_count(counts.begin(), counts.end());
    std::sort(by_count.begin(), by_count.end(),
              [](const auto& a, const auto& b) { return badness(a.first) < badness(b.first); });
    out += std::to_string(shown.size()) + " nodes:";
    for (std::size_t i = 0; i < by_count.size(); ++i) {
      out += std::string(i ? "," : "") + " " + std::to_string(by_count[i].second) + " " +
             by_count[i].first;
    }
    std::stable_sort(shown.begin(), shown.end(), [](const auto* a, const auto* b) {
      const int ba = badness(a->value("state", "?")), bb = badness(b->value("state", "?"));
      if (ba != bb) return ba < bb;
      return number_or(*a, "heartbeat_age_s", 0) > number_or(*b, "heartbeat_age_s", 0);
    });
    shown.resize(std::min(shown.size(), options.worst_nodes));
    out += "\nthe worst " + std::to_string(shown.size()) +
           " (not running first, then the oldest heartbeats; --json for all):\n";
  }
  std::vector<Row> rows;
  for (const auto* n : shown) rows.push_back(node_row(*n));
  return out + table(header, rows, options.width);
}

std::string rank_lines(const nlohmann::json& doc, const StatusViewOptions& options) {
  const Row header = {"RANK",   "NODE",   "HOST", "PID",     "STATE",
                      "UPTIME", "SILENT", "CPU%", "VERDICT", "LAST LINE"};
  std::vector<Row> rows;
  for (const auto& r : doc.value("ranks", nlohmann::json::array())) {
    std::string state = r.value("state", "?");
    const std::string exit = r.value("exit", "");
    if (!exit.empty()) state += " (" + exit + ")";
    char cpu[16];
    std::snprintf(cpu, sizeof cpu, "%.0f", r.value("cpu_percent", 0.0));
    rows.push_back({text_of(r, "rank"), text_of(r, "node_rank"), text_of(r, "host"),
                    text_of(r, "pid"), state, format_age(r.value("uptime_s", nlohmann::json())),
                    format_age(r.value("output_age_s", nlohmann::json())), cpu,
                    text_of(r, "verdict"), text_of(r, "last_line", "")});
  }
  return table(header, rows, options.width);
}

}  // namespace

std::string format_age(const nlohmann::json& seconds) {
  if (!seconds.is_number()) return "-";
  const double s = std::max(0.0, seconds.get<double>());
  char text[32];
  const auto whole = static_cast<long long>(s);
  if (s < 10) {
    std::snprintf(text, sizeof text, "%.1fs", s);
  } else if (s < 60) {
    std::snprintf(text, sizeof text, "%llds", whole);
  } else if (s < 3600) {
    std::snprintf(text, sizeof text, "%lldm%02llds", whole / 60, whole % 60);
  } else if (s < 86400) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", whole / 3600, (whole % 3600) / 60);
  } else {
    std::snprintf(text, sizeof text, "%lldd%02lldh", whole / 86400, (whole % 86400) / 3600);
  }
  return text;
}

std::string format_status(const nlohmann::json& doc, const StatusViewOptions& options) {
  std::string out = job_lines(doc);
  out += "\n" + node_lines(doc, options);
  if (options.ranks) out += "\n" + rank_lines(doc, options);
  return out;
}

}  // namespace dlaunch::launcher
