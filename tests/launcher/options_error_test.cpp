#include "launcher/options.hpp"

#include <doctest/doctest.h>

#include "launcher/option_table.hpp"
#include "tests/launcher/options_test_helpers.hpp"

using namespace options_test;

TEST_CASE("options: bad usage is one line naming the option and the value") {
  struct BadCase {
    std::vector<std::string> argv;
    const char* expected;  // the start of the message
  };
  const BadCase cases[] = {
      {{"--nproc_per_nodes", "4", "t.py"},
       "unknown option '--nproc_per_nodes' (did you mean --nproc_per_node?)"},
      {{"--bogus", "t.py"}, "unknown option '--bogus'"},
      {{"-x", "t.py"}, "unknown option '-x'"},
      {{"--nproc_per_node"}, "--nproc_per_node needs a value"},
      {{"--master_addr", "--nnodes", "2", "t.py"}, "--master_addr needs a value"},
      {{"--nproc_per_node", "0", "t.py"}, "--nproc_per_node: invalid value '0'"},
      {{"--nproc-per-node", "-2", "t.py"}, "--nproc-per-node: invalid value '-2'"},
      {{"--nproc_per_node", "4x", "t.py"}, "--nproc_per_node: invalid value '4x'"},
      {{"--nproc_per_node", "many", "t.py"},
       "--nproc_per_node: invalid value 'many' (expected a positive integer, auto, cpu or gpu)"},
      {{"--master_port", "0", "t.py"},
       "--master_port: invalid value '0' (expected a port 1-65535)"},
      {{"--master_port", "65536", "t.py"}, "--master_port: invalid value '65536'"},
      {{"--master_port=80x", "t.py"}, "--master_port: invalid value '80x'"},
      {{"--nnodes", "3:1", "t.py"},
       "--nnodes: invalid value '3:1' (expected N or MIN:MAX with 1 <= MIN <= MAX)"},
      {{"--nnodes", "0", "t.py"}, "--nnodes: invalid value '0'"},
      {{"--nnodes", "a:b:c", "t.py"}, "--nnodes: invalid value 'a:b:c'"},
      {{"--node_rank", "-1", "t.py"}, "--node_rank: invalid value '-1' (expected an integer >= 0)"},
      {{"--node_rank", "1x", "t.py"}, "--node_rank: invalid value '1x'"},
      {{"--max_restarts", "-1", "t.py"}, "--max_restarts: invalid value '-1'"},
      {{"--monitor_interval", "0", "t.py"},
       "--monitor_interval: invalid value '0' (expected seconds > 0)"},
      {{"--monitor-interval", "-1", "t.py"}, "--monitor-interval: invalid value '-1'"},
      {{"--shutdown_timeout", "-1", "t.py"},
       "--shutdown_timeout: invalid value '-1' (expected seconds >= 0)"},
      {{"-r", "4", "t.py"}, "-r: invalid value '4'"},
      {{"--tee", "0:9", "t.py"}, "--tee: invalid value '0:9'"},
      {{"--redirects", "x", "t.py"}, "--redirects: invalid value 'x'"},
      {{"--local_ranks_filter", "a,b", "t.py"}, "--local_ranks_filter: invalid value 'a,b'"},
      {{"--rdzv_conf", "timeout", "t.py"}, "--rdzv_conf: key 'timeout' needs a value"},
      {{"--rdzv_conf", "=1", "t.py"}, "--rdzv_conf: invalid value '=1'"},
      {{"--rdzv_backend", "etcd", "t.py"},
       "--rdzv_backend: invalid value 'etcd' (expected static or c10d)"},
      {{"--rdzv_endpoint", "h:99999", "--rdzv_backend", "c10d", "t.py"},
       "--rdzv_endpoint: invalid port '99999'"},
      {{"--start_method", "thread", "t.py"},
       "--start_method: invalid value 'thread' (expected spawn, fork or forkserver)"},
      {{"--role", "", "t.py"}, "--role: invalid value ''"},
      {{"--log_dir=", "t.py"}, "--log_dir: invalid value ''"},
      {{"--env", "1A=2", "t.py"}, "--env: invalid value '1A=2'"},
      {{"--include", "a", "--exclude", "b", "t.py"}, "--include and --exclude cannot be combined"},
      {{"-m", "--no_python", "mod"}, "-m/--module and --no_python cannot be combined"},
      {{"--run_path", "-m", "mod"},
       "--run_path runs a Python script by path; it cannot be combined with -m/--module"},
      {{"--standalone=1", "t.py"}, "--standalone takes no value"},
      {{"--event-log-handler", "syslog", "t.py"}, "--event-log-handler: invalid value 'syslog' (expected console, null or dynamic_rendezvous)"},
      {{"--numa_binding", "node", "t.py"},
       "--numa_binding is a torchrun option that dlaunch does not support"},
      {{}, "missing the program to run"},
      {{"--nproc_per_node", "2"}, "missing the program to run"},
      {{"--standalone", "--"}, "missing the program to run"},
  };
  for (const auto& bad : cases) {
    CAPTURE(bad.expected);
    const auto message = usage_error(bad.argv);
    CHECK_MESSAGE(message.starts_with(bad.expected), message);
  }
}
