// The simulator and master under test run as child processes; these start and stop them, and
// open the loopback listener a test plays the server with.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace heatlink::test {

// Starts args[0] with `args`; -1 when it cannot be started.
pid_t spawn(std::vector<std::string> args);

// Sends SIGTERM and waits; true when the child exited with status 0. `status` gets the wait
// status for the failure message.
bool terminate(pid_t pid, int& status);

// Runs args[0] with `args` to the end and returns its exit status (-1 when it did not exit
// normally); its standard output goes to `out`, its standard error to the test's.
int run_to_end(std::vector<std::string> args, std::string& out);

// A socket listening on 127.0.0.1 at a free port, written to `port`; -1 on failure.
int listen_on_loopback(std::uint16_t& port);

// A TCP connection to 127.0.0.1:`port`, retried for up to 5 s while nobody listens yet; -1
// when it never succeeds.
int connect_to_loopback(std::uint16_t port);

// One HTTP/1.1 request on a fresh connection (Connection: close); the whole response, or ""
// when the server cannot be reached.
std::string http_request(std::uint16_t port, const std::string& method, const std::string& target,
                         const std::string& body = {});

}  // namespace heatlink::test
