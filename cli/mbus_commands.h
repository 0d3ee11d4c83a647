// The `heatlink mbus ...` subcommands.
#pragma once

#include <CLI/CLI.hpp>

namespace heatlink::cli {

void add_mbus_commands(CLI::App& app);
// The exit status the chosen subcommand set (0 when it has not run).
int exit_status();

}  // namespace heatlink::cli
