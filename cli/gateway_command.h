// `heatlink gateway`: the DTU gateway on its own (docs/gateway.md).
#pragma once

#include <CLI/CLI.hpp>

namespace heatlink::cli {

void add_gateway_command(CLI::App& app, int& status);

}  // namespace heatlink::cli
