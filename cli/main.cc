// heatlink: one binary, many subcommands (DESIGN.md "Names").
#include <CLI/CLI.hpp>
#include <iostream>

#include "mbus_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"HeatLink - district-heating meter reading"};
  app.require_subcommand(1);
  heatlink::cli::add_mbus_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return heatlink::cli::exit_status();
}
