// `heatlink mbus scan|scan-secondary|read|set-address|raw|cjt188 ...`: the technician's tools
// over a serial port or a TCP converter.
#pragma once

#include <CLI/CLI.hpp>

namespace heatlink::cli {

void add_link_commands(CLI::App* mbus_app);
// The exit status of the link command that ran (0 when none did): 0 done, 1 the bus or a
// meter did not do what was asked, 2 usage, 3 the port or connection failed.
int link_exit_status();

}  // namespace heatlink::cli
