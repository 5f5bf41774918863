#pragma once
// The c10d TCPStore wire format shared by the server, its client and the tests: the two opcode
// numberings (v1 = torch 1.13–2.1, v2 = torch ≥ 2.2), the dialect-neutral Op every request is
// parsed into, the handshake magics, the limits, and little-endian append helpers.
// See shared/reference/tcpstore-protocol.md for the byte layouts. Header-only value code.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace dlaunch::rendezvous {

// Which protocol a connection speaks; decided by its first bytes.
enum class Dialect : std::uint8_t {
  kV1,     // torch 1.13–2.1: no handshake, v1 numbering
  kV2,     // torch ≥ 2.2: opens with VALIDATE, v2 numbering
  kAgent,  // dlaunch agents: opens with kAgentMagic + token, then v2 numbering, agent key space
  kHttp,   // a read-only HTTP client (status, metrics, probes): opens with an HTTP method
};

// Whether `byte` can open an HTTP request (GET, HEAD, POST, PUT, PATCH, OPTIONS, CONNECT,
// TRACE): an upper-case letter that is neither a v1/v2 opcode (0..18) nor kAgentMagic's 'D'.
inline bool opens_http(std::uint8_t byte) {
  return byte == 'G' || byte == 'H' || byte == 'P' || byte == 'O' || byte == 'C' || byte == 'T';
}

const char* dialect_name(Dialect dialect);

// Every operation of either numbering.
enum class Op : std::uint8_t {
  kValidate,
  kSet,
  kCompareSet,
  kGet,
  kAdd,
  kCheck,
  kWait,
  kGetNumKeys,
  kWatchKey,  // v1 only; refused
  kDeleteKey,
  kAppend,
  kMultiGet,
  kMultiSet,
  kCancelWait,
  kPing,
  kQueuePush,
  kQueuePop,
  kQueueLen,
  kListKeys,
  kBarrier,
};

inline constexpr std::size_t kOpCount = static_cast<std::size_t>(Op::kBarrier) + 1;

const char* op_name(Op op);

// Maps an opcode byte of `dialect` to an Op, or nullopt for an unknown byte.
std::optional<Op> decode_opcode(Dialect dialect, std::uint8_t byte);
// The opcode byte for `op` in `dialect`, or nullopt when the dialect has no such op.
std::optional<std::uint8_t> encode_opcode(Dialect dialect, Op op);

inline constexpr std::uint32_t kValidateMagic = 0x3C85F7CE;
// First bytes of an agent connection. 'D' (0x44) is neither a v1 opcode nor v2's VALIDATE.
inline constexpr std::string_view kAgentMagic = "DLAUNCH\x01";
inline constexpr std::size_t kMaxTokenLength = 1024;

// Limits of torch's libuv server, which ours copies.
inline constexpr std::uint64_t kMaxKeyLength = 8 * 1024;
inline constexpr std::uint64_t kMaxValueLength = 8 * 1024 * 1024;
inline constexpr std::uint64_t kMaxKeysPerOp = 128 * 1024;

// Reply bytes of WAIT/BARRIER/CANCEL_WAIT and CHECK.
inline constexpr std::uint8_t kStopWaiting = 0;
inline constexpr std::uint8_t kWaitCanceled = 1;
inline constexpr std::uint8_t kReady = 0;
inline constexpr std::uint8_t kNotReady = 1;
// Reply to an agent hello.
inline constexpr std::uint8_t kAgentAccepted = 0;
inline constexpr std::uint8_t kAgentRefused = 1;

// Little-endian encoders (every platform torch supports is little-endian; we still spell it).
inline void put_u8(std::string& out, std::uint8_t v) {
  out.push_back(static_cast<char>(v));
}
inline void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_i64(std::string& out, std::int64_t v) {
  put_u64(out, static_cast<std::uint64_t>(v));
}
inline void put_bytes(std::string& out, std::string_view bytes) {
  put_u64(out, bytes.size());
  out.append(bytes);
}

inline std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}
inline std::uint64_t get_u64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

}  // namespace dlaunch::rendezvous
