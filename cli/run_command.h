// `heatlink run FILE.yaml|DIR [--seed N] [--live] [--junit OUT.xml] [--trace OUT.jsonl]`:
// runs scenarios and reports (docs/scenarios.md). Exit status 0 only when every check of
// every scenario holds; 1 when one fails; 2 when a scenario cannot be loaded.
#pragma once

#include <CLI/CLI.hpp>

namespace heatlink::cli {

void add_run_command(CLI::App& app, int& status);

}  // namespace heatlink::cli
