// `heatlink master`: the DTU gateway, the reading engine, the storage and the web API in one
// process; and `heatlink manual-read`, which asks the masters for a read (docs/master.md).
#pragma once

#include <CLI/CLI.hpp>

namespace heatlink::master {

// Adds both subcommands to `app`; the one that runs sets `status` to its exit code.
void add_master_command(CLI::App& app, int& status);

}  // namespace heatlink::master
