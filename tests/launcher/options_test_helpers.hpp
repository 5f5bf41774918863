#pragma once
// Helpers shared by the options_*_test.cpp files: parse a command line, get its UsageError,
// and describe any option's parsed value as text so one table can check every option.

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "launcher/options.hpp"

namespace options_test {

using namespace dlaunch::launcher;

inline Options parse(std::vector<std::string> argv, const Environment& env = {}) {
  return parse_options(argv, env);
}

// The UsageError's message for this command line, or a failed check when there is none.
inline std::string usage_error(std::vector<std::string> argv, const Environment& env = {}) {
  try {
    parse_options(argv, env);
  } catch (const UsageError& error) {
    const std::string message = error.what();
    CHECK(message.find('\n') == std::string::npos);
    CHECK_FALSE(message.starts_with("dlaunch"));
    return message;
  }
  FAIL("no UsageError");
  return {};
}

inline std::string describe_spec(const StdSpec& spec) {
  std::ostringstream out;
  out << spec.all;
  for (const auto& [rank, choice] : spec.per_rank) out << " " << rank << ":" << choice;
  return out.str();
}

// One option's parsed value as text, so one table can check every option.
inline std::string describe(const Options& o, std::string_view dest) {
  using Kind = NprocSpec::Kind;
  if (dest == "nnodes") return std::to_string(o.min_nodes) + ":" + std::to_string(o.max_nodes);
  if (dest == "nproc_per_node") {
    switch (o.nproc_per_node.kind) {
      case Kind::kAuto:
        return "auto";
      case Kind::kCpu:
        return "cpu";
      case Kind::kGpu:
        return "gpu";
      case Kind::kCount:
        return std::to_string(o.nproc_per_node.count);
    }
  }
  if (dest == "node_rank") return o.node_rank ? std::to_string(*o.node_rank) : "unset";
  if (dest == "master_addr") return o.master_addr.value_or("unset");
  if (dest == "master_port") return o.master_port ? std::to_string(*o.master_port) : "unset";
  if (dest == "local_addr") return o.local_addr.value_or("unset");
  if (dest == "rdzv_backend") return o.rdzv_backend;
  if (dest == "rdzv_endpoint") return o.rdzv_endpoint.value_or("unset");
  if (dest == "rdzv_id") return o.rdzv_id;
  if (dest == "rdzv_conf") {
    std::string out;
    for (const auto& [key, value] : o.rdzv_conf) out += key + "=" + value + ";";
    return out;
  }
  if (dest == "rdzv_token") return o.rdzv_token;
  if (dest == "max_restarts") return std::to_string(o.max_restarts);
  if (dest == "monitor_interval") return std::to_string(o.monitor_interval);
  if (dest == "start_method") return o.start_method;
  if (dest == "shutdown_timeout") return std::to_string(o.shutdown_timeout);
  if (dest == "role") return o.role;
  if (dest == "log_dir") return o.log_dir.value_or("unset");
  if (dest == "redirects") return describe_spec(o.redirects);
  if (dest == "tee") return describe_spec(o.tee);
  if (dest == "event_log_handler") return o.event_log_handler;
  if (dest == "event_log") return o.event_log.value_or("unset");
  if (dest == "local_ranks_filter") {
    if (!o.local_ranks_filter) return "unset";
    std::string out;
    for (const int rank : *o.local_ranks_filter) out += std::to_string(rank) + ";";
    return out;
  }
  if (dest == "hostfile") return o.hostfile.value_or("unset");
  if (dest == "include") return o.include;
  if (dest == "exclude") return o.exclude;
  if (dest == "ssh_cmd") return o.ssh_cmd;
  if (dest == "remote_dir") return o.remote_dir.value_or("unset");
  if (dest == "env") {
    std::string out;
    for (const auto& [key, value] : o.extra_env) out += key + "=" + value + ";";
    return out;
  }
  if (dest == "standalone") return o.standalone ? "on" : "off";
  if (dest == "use_env") return o.use_env ? "on" : "off";
  if (dest == "module") return o.module ? "on" : "off";
  if (dest == "no_python") return o.no_python ? "on" : "off";
  if (dest == "run_path") return o.run_path ? "on" : "off";
  FAIL("no description for ", dest);
  return {};
}

struct ValueCase {
  const char* dest;
  const char* text;
  const char* parsed;
};

// A valid value for every option that takes one, and what it parses to.
inline const ValueCase kValueCases[] = {
    {"nnodes", "2:4", "2:4"},
    {"nproc_per_node", "gpu", "gpu"},
    {"node_rank", "0", "0"},
    {"master_addr", "10.0.0.4", "10.0.0.4"},
    {"master_port", "6105", "6105"},
    {"local_addr", "node1", "node1"},
    {"rdzv_backend", "c10d", "c10d"},
    {"rdzv_endpoint", "[::1]:29400", "[::1]:29400"},
    {"rdzv_id", "job7", "job7"},
    {"rdzv_conf", "join_timeout=5,is_host=1", "is_host=1;join_timeout=5;"},
    {"rdzv_token", "s3cret", "s3cret"},
    {"max_restarts", "3", "3"},
    {"monitor_interval", "0.5", "0.500000"},
    {"start_method", "forkserver", "forkserver"},
    {"shutdown_timeout", "0", "0.000000"},
    {"role", "trainer", "trainer"},
    {"log_dir", "/tmp/l", "/tmp/l"},
    {"redirects", "0:3,2:1", "0 0:3 2:1"},
    {"tee", "2", "2"},
    {"local_ranks_filter", "0,2", "0;2;"},
    {"event_log_handler", "console", "console"},
    {"event_log", "events.jsonl", "events.jsonl"},
    {"hostfile", "hosts", "hosts"},
    {"include", "h1@h2:0,2", "h1@h2:0,2"},
    {"exclude", "h3", "h3"},
    {"ssh_cmd", "ssh -p 2222", "ssh -p 2222"},
    {"remote_dir", "/work", "/work"},
    {"env", "NCCL_DEBUG=INFO", "NCCL_DEBUG=INFO;"},
};

inline const char* const kFlags[] = {"standalone", "use_env", "module", "no_python", "run_path"};

}  // namespace options_test
