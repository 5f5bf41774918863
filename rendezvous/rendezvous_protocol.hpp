#pragma once
// The agents' rendezvous protocol: its keys in the server's agent key space (which workers
// cannot reach) and its messages (JSON). One host (the agent that serves the store) decides;
// every agent, the host's own included, is a member that talks to it through these keys:
//
//   rdzv/inbox                 queue, member -> host: join, result, bye
//   rdzv/agent/<id>/welcome    host -> member: the round to wait for, or why it is refused
//   rdzv/agent/<id>/hb         member's heartbeat counter (ADD); the host watches it move
//   rdzv/round/<r>/plan        host -> all: the round's members, node ranks, global ranks
//   rdzv/round/<r>/stop        anyone -> all: why round r ends (set once: the first writer wins,
//                              so every agent waiting on it learns of the first failure at once)
//   rdzv/round/<r>/next        host -> all: restart into round r' or exit with a code
//
// The leader's direct channel (status_board.*, request_broadcast.*, leader_link.*), on its own
// connections so that it never delays the above:
//   rdzv/status                queue, member -> leader: "<id>\n<status document>"
//   rdzv/bcast/last            the newest request's number
//   rdzv/bcast/<n>             leader -> all: request n (its deadline and body)
//   rdzv/bcast/<n>/answers     queue, member -> leader: "<id>\n<answer>"
//
// A member's watch connection waits on plan, then stop, then next of each round, in order,
// so one WAIT at a time suffices. Round r is also attempt r: TORCHELASTIC_RESTART_COUNT.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dlaunch::rendezvous {

namespace rdzv_keys {
inline std::string inbox() {
  return "rdzv/inbox";
}
inline std::string welcome(const std::string& id) {
  return "rdzv/agent/" + id + "/welcome";
}
inline std::string heartbeat(const std::string& id) {
  return "rdzv/agent/" + id + "/hb";
}
inline std::string plan(int round) {
  return "rdzv/round/" + std::to_string(round) + "/plan";
}
inline std::string stop(int round) {
  return "rdzv/round/" + std::to_string(round) + "/stop";
}
inline std::string next(int round) {
  return "rdzv/round/" + std::to_string(round) + "/next";
}
inline std::string status_queue() {
  return "rdzv/status";
}
inline std::string bcast_last() {
  return "rdzv/bcast/last";
}
inline std::string bcast_request(std::uint64_t n) {
  return "rdzv/bcast/" + std::to_string(n);
}
inline std::string bcast_answers(std::uint64_t n) {
  return "rdzv/bcast/" + std::to_string(n) + "/answers";
}
}  // namespace rdzv_keys

// The direct channel's queue entries: "<node id>\n<JSON text>". untag() returns false for an
// entry without the separator.
inline std::string tagged(const std::string& id, const std::string& body) {
  return id + "\n" + body;
}
inline bool untag(const std::string& entry, std::string& id, std::string& body) {
  const auto cut = entry.find('\n');
  if (cut == std::string::npos) return false;
  id = entry.substr(0, cut);
  body = entry.substr(cut + 1);
  return true;
}

// What an agent says about itself when it joins.
struct NodeInfo {
  std::string id;  // unique per agent process
  std::string run_id;
  std::string hostname;
  std::string addr;     // shown in messages; dynamic ranks sort by it
  std::string peer_ip;  // the address the host sees it connect from (empty on the host)
  std::vector<std::string> sockets;  // "ip:port" of its connections, to notice them close
  int nproc = 1;
  int node_rank = -1;            // static: the rank it was given
  std::string nnodes;            // its --nnodes ("2", "2:4"): every node must say the same
  std::string describe() const;  // "node 2 (host-a, 10.0.0.3)"
};

struct Welcome {
  int round = 0;
  bool wait_next = false;  // a round is under way: wait for its next step, not for its plan
  std::string error;       // non-empty: refused (wrong run id, node rank taken, job over)
};

struct PlanMember {
  std::string id;
  std::string hostname;
  std::string addr;
  int node_rank = 0;
  int nproc = 1;
  int first_rank = 0;  // global rank of its local rank 0 (prefix sum of nproc)
};

struct RoundPlan {
  int round = 0;
  int world_size = 0;
  std::vector<PlanMember> members;  // by node rank
  std::string master_addr;          // the workers' store: the host's endpoint
  std::uint16_t master_port = 0;
  std::string error;  // non-empty: the round cannot form; everyone exits
  int error_code = 1;
  const PlanMember* find(const std::string& id) const;
};

// Why a round ends; written once to its stop key.
struct StopReason {
  enum class Kind { kFailure, kSignal, kLost, kJoined, kDone, kBarrier };
  Kind kind = Kind::kDone;
  int node_rank = -1;
  std::string hostname;
  std::string addr;
  int rank = -1;  // kFailure: the worker's global and local rank
  int local_rank = -1;
  int code = 0;      // kFailure: the worker's shell code; kSignal: 128+N
  std::string what;  // "exit code 7", "SIGTERM", "no heartbeat for 2 s"
  std::string describe() const;
};

// A member's account of its round, sent once its workers are all gone.
struct RoundResult {
  std::string id;
  int round = 0;
  bool succeeded = false;     // every local worker exited 0
  bool failed = false;        // a local worker failed on its own (not stopped by the agent)
  std::optional<int> signal;  // the agent itself was told to stop
  nlohmann::json records;     // the agent's worker records, opaque here
};

struct NextStep {
  bool restart = false;
  int round = 0;       // restart: the next round
  int code = 0;        // exit: the job's exit code (the root cause's)
  std::string reason;  // exit: why, when it failed
};

nlohmann::json to_json(const NodeInfo& info);
nlohmann::json to_json(const Welcome& welcome);
nlohmann::json to_json(const RoundPlan& plan);
nlohmann::json to_json(const StopReason& reason);
nlohmann::json to_json(const RoundResult& result);
nlohmann::json to_json(const NextStep& step);

// Parsers throw (nlohmann::json::exception, std::invalid_argument) on malformed input.
NodeInfo node_info_from_json(const nlohmann::json& j);
Welcome welcome_from_json(const nlohmann::json& j);
RoundPlan plan_from_json(const nlohmann::json& j);
StopReason stop_from_json(const nlohmann::json& j);
RoundResult result_from_json(const nlohmann::json& j);

// The stop key's value as written by to_json(StopReason). Never throws: text that does not
// parse still stops the round, as a kBarrier reason saying it was unreadable.
StopReason stop_from_text(const std::string& text);
NextStep next_from_json(const nlohmann::json& j);

}  // namespace dlaunch::rendezvous
