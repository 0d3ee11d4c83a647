// `heatlink sim`: a simulated district as a live program.
#pragma once

#include <CLI/CLI.hpp>

namespace heatlink::cli {

// Registers the subcommand; its exit status goes to `status` when it runs.
void add_sim_command(CLI::App& app, int& status);

}  // namespace heatlink::cli
