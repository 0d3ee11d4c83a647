// heatlink: one binary, many subcommands (DESIGN.md "Names").
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "gateway_command.h"
#include "heatlink/master/program/master_command.h"
#include "mbus_commands.h"
#include "run_command.h"
#include "sim_command.h"

int main(int argc, char** argv) {
  // Exceptions stop here (DESIGN.md rule 3): a failure the commands did not turn into a
  // result is reported and the exit status says so.
  try {
    CLI::App app{"HeatLink - district-heating meter reading"};
    app.require_subcommand(1);
    heatlink::cli::add_mbus_commands(app);
    int sim_status = 0;
    heatlink::cli::add_sim_command(app, sim_status);
    int gateway_status = 0;
    heatlink::cli::add_gateway_command(app, gateway_status);
    int master_status = 0;
    heatlink::master::add_master_command(app, master_status);
    int run_status = 0;
    heatlink::cli::add_run_command(app, run_status);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int code = app.exit(e);
      return code == 0 ? 0 : 2;
    }
    if (heatlink::cli::exit_status() != 0) return heatlink::cli::exit_status();
    if (sim_status != 0) return sim_status;
    if (run_status != 0) return run_status;
    return gateway_status != 0 ? gateway_status : master_status;
  } catch (const std::exception& e) {
    std::cerr << "heatlink: " << e.what() << '\n';
    return 3;
  }
}
