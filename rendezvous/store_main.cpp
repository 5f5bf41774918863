// dlaunch-store: the store server alone, for torch clients and benchmarks to be pointed at
// before dlaunch serves it itself. Parses flags, sets up logging, runs StoreServer.
//
//   dlaunch-store [--port-file FILE] [--agent-token TOKEN] [--log-level LEVEL] [HOST:]PORT
//
// Prints "dlaunch-store: serving on HOST:PORT" once listening (PORT 0 picks a free port, also
// written to --port-file). SIGUSR1 begins a new worker epoch; SIGINT/SIGTERM stop it (exit 0).

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "rendezvous/logging.hpp"
#include "rendezvous/store_server.hpp"

namespace {

using namespace dlaunch::rendezvous;

int usage(const std::string& error) {
  std::cerr << "dlaunch-store: " << error << "\n"
            << "usage: dlaunch-store [--port-file FILE] [--agent-token TOKEN] "
               "[--log-level LEVEL] [HOST:]PORT\n";
  return 2;
}

void on_signal(boost::asio::signal_set& signals, StoreServer& server) {
  signals.async_wait([&signals, &server](const boost::system::error_code& error, int number) {
    if (error) return;
    if (number == SIGUSR1) {
      const auto epoch = server.begin_worker_epoch();
      log().info("store: worker epoch {} begins", epoch);
      on_signal(signals, server);
      return;
    }
    server.close();
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string port_file;
  StoreServerOptions options;
  std::optional<std::string> address;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      (void)flag;
      return std::string(argv[++i]);
    };
    if (arg == "--port-file" || arg == "--agent-token" || arg == "--log-level") {
      const auto v = value(arg.c_str());
      if (!v) return usage(arg + " needs a value");
      if (arg == "--port-file") port_file = *v;
      if (arg == "--agent-token") options.agent_token = *v;
      if (arg == "--log-level") {
        const auto level = spdlog::level::from_str(*v);
        if (level == spdlog::level::off && *v != "off")
          return usage("unknown log level '" + *v + "'");
        dlaunch::set_log_level(level);
      }
    } else if (arg == "-h" || arg == "--help") {
      usage("serves the c10d store");
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      return usage("unknown flag '" + arg + "'");
    } else if (address) {
      return usage("more than one address given");
    } else {
      address = arg;
    }
  }
  if (!address) return usage("no port given");

  try {
    const Endpoint endpoint = address->find_first_not_of("0123456789") == std::string::npos
                                  ? Endpoint{"0.0.0.0", parse_port(*address, true)}
                                  : parse_endpoint(*address, 6105);
    boost::asio::io_context io;
    StoreServer server(io, endpoint, options);
    const Endpoint bound{endpoint.host, server.port()};
    if (!port_file.empty()) {
      const std::string tmp = port_file + ".tmp";
      std::ofstream(tmp) << server.port() << "\n";
      std::rename(tmp.c_str(), port_file.c_str());
    }
    std::cout << "dlaunch-store: serving on " << bound.to_string() << std::endl;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGUSR1);
    on_signal(signals, server);
    io.run();
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "dlaunch-store: " << error.what() << "\n";
    return 1;
  }
}
