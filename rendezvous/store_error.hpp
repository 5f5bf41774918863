#pragma once
// StoreError: the error values of the store clients (StoreClient over a socket, LocalStore in
// process), as std::error_code with their own category, so agents can tell a timeout from a
// lost server.

#include <system_error>

namespace dlaunch::rendezvous {

enum class StoreError {
  kTimeout = 1,  // WAIT/BARRIER/connect ran out of time
  kClosed,       // the client or the server closed; the request's fate is unknown
  kRefused,      // the server refused the agent token
  kProtocol,     // the server's reply made no sense (or a PING echo did not match)
  kNotANumber,   // ADD/BARRIER on a value that is not a decimal integer
};

const std::error_category& store_category();
std::error_code make_error_code(StoreError error);

}  // namespace dlaunch::rendezvous

template <>
struct std::is_error_code_enum<dlaunch::rendezvous::StoreError> : std::true_type {};
