#include "agent/activity_board.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "agent/proc_sampler.hpp"
#include "agent/unique_fd.hpp"

namespace dlaunch::agent {
namespace {

constexpr std::size_t kTailRead = 4096;

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

std::string read_tail(const std::string& path, std::uint64_t from, std::uint64_t to) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || to <= from) return {};
  const std::uint64_t start = to - from > kTailRead ? to - kTailRead : from;
  std::string text(static_cast<std::size_t>(to - start), '\0');
  const ssize_t n = ::pread(fd.get(), text.data(), text.size(), static_cast<off_t>(start));
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return text;
}

}  // namespace

std::string last_complete_line(const std::string& tail, std::size_t max) {
  std::size_t end = tail.rfind('\n');
  while (end != std::string::npos) {
    const std::size_t begin = end == 0 ? std::string::npos : tail.rfind('\n', end - 1);
    const std::size_t from = begin == std::string::npos ? 0 : begin + 1;
    std::string line = tail.substr(from, end - from);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) return line.size() > max ? line.substr(0, max) : line;
    if (begin == std::string::npos) break;
    end = begin;
  }
  return {};
}

ActivityBoard::ActivityBoard(boost::asio::io_context& io, std::chrono::milliseconds interval)
    : io_(io), interval_(interval), timer_(io) {}

void ActivityBoard::set_node(int node_rank, std::string host, std::string addr) {
  node_.node_rank = node_rank;
  node_.host = std::move(host);
  node_.addr = std::move(addr);
  for (auto& r : node_.ranks) {
    r.node_rank = node_rank;
    r.host = node_.host;
  }
}

void ActivityBoard::begin_attempt(int attempt, std::vector<RankActivity> rows) {
  node_.attempt = attempt;
  node_.ranks = std::move(rows);
  logs_.assign(node_.ranks.size(), {});
  cpu_.assign(node_.ranks.size(), {});
  for (std::size_t i = 0; i < node_.ranks.size(); ++i) {
    auto& r = node_.ranks[i];
    r.attempt = attempt;
    r.node_rank = node_.node_rank;
    r.host = node_.host;
    logs_[i].base = logs_[i].seen = file_size(r.log_path);
  }
}

RankActivity* ActivityBoard::row(int local_rank) {
  if (local_rank < 0 || static_cast<std::size_t>(local_rank) >= node_.ranks.size()) return nullptr;
  return &node_.ranks[static_cast<std::size_t>(local_rank)];
}

void ActivityBoard::worker_started(int local_rank, pid_t pid, WallClock::time_point when) {
  if (auto* r = row(local_rank)) {
    r->pid = pid;
    r->phase = RankPhase::kRunning;
    r->start_time = when;
    for (const auto& listener : row_listeners_) listener(*r);
  }
}

void ActivityBoard::worker_ended(int local_rank, const ExitStatus& status, bool stopped_by_agent,
                                 WallClock::time_point when) {
  auto* r = row(local_rank);
  if (!r) return;
  r->phase = status.success()   ? RankPhase::kSucceeded
             : stopped_by_agent ? RankPhase::kStopped
                                : RankPhase::kFailed;
  r->end_time = when;
  r->exit = status.describe();
  r->exit_code = status.shell_code();
  r->open_scopes.clear();
  r->store_waiting_key.clear();
  for (const auto& listener : row_listeners_) listener(*r);
}

void ActivityBoard::touch(int local_rank, ProgressSource source, WallClock::time_point when) {
  if (auto* r = row(local_rank)) r->touch(source, when);
}

void ActivityBoard::start() {
  if (running_) return;
  running_ = true;
  schedule();
}

void ActivityBoard::stop() {
  running_ = false;
  timer_.cancel();
}

void ActivityBoard::schedule() {
  timer_.expires_after(interval_);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || !self->running_) return;
    self->sample_now();
    self->schedule();
  });
}

void ActivityBoard::sample_now() {
  const auto now = WallClock::now();
  sample_logs(now);
  sample_processes();
  node_.sampled_at = now;
  for (const auto& listener : listeners_) listener(node_);
}

void ActivityBoard::sample_logs(WallClock::time_point now) {
  for (std::size_t i = 0; i < node_.ranks.size(); ++i) {
    auto& r = node_.ranks[i];
    auto& cursor = logs_[i];
    const std::uint64_t size = file_size(r.log_path);
    if (size < cursor.seen) cursor.base = cursor.seen = size;  // truncated by someone else
    if (size == cursor.seen) continue;
    r.bytes_logged = size - cursor.base;
    const std::string line = last_complete_line(read_tail(r.log_path, cursor.base, size), kMaxLine);
    if (!line.empty()) r.last_line = line;
    r.touch(ProgressSource::kOutput, now);
    cursor.seen = size;
  }
}

void ActivityBoard::sample_processes() {
  std::set<pid_t> groups;
  for (const auto& r : node_.ranks) {
    if (r.pid > 0 && r.running()) groups.insert(r.pid);
  }
  const auto samples = sample_process_groups(groups);
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < node_.ranks.size(); ++i) {
    auto& r = node_.ranks[i];
    if (r.pid <= 0 || !r.running()) continue;
    const auto it = samples.find(r.pid);
    if (it == samples.end()) {
      r.processes = 0;
      continue;
    }
    const GroupSample& s = it->second;
    // Over the last interval; for a rank's first sample, since it started.
    auto& cursor = cpu_[i];
    const double wall =
        cursor.at != std::chrono::steady_clock::time_point{}
            ? std::chrono::duration<double>(now - cursor.at).count()
            : std::chrono::duration<double>(WallClock::now() - r.start_time).count();
    if (wall > 0) r.cpu_percent = std::max(0.0, (s.cpu_seconds - cursor.seconds) / wall * 100.0);
    cursor = {s.cpu_seconds, now};
    r.cpu_seconds = std::max(r.cpu_seconds, s.cpu_seconds);
    r.processes = s.processes;
    r.proc_state = s.leader_state;
    r.wchan = s.leader_wchan;
  }
}

NodeActivity ActivityBoard::snapshot() const {
  return node_;
}

}  // namespace dlaunch::agent
