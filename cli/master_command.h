// `heatlink master`: the DTU gateway, the reading engine and the storage in one process
// (docs/master.md).
#pragma once

#include <CLI/CLI.hpp>

namespace heatlink::cli {

void add_master_command(CLI::App& app, int& status);

}  // namespace heatlink::cli
