#include "mbus_commands.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "decode.h"
#include "link_commands.h"

namespace heatlink::cli {

namespace {

int g_exit_status = 0;

struct DecodeArgs {
  std::string format = "json";
  std::string protocol = "auto";
  bool binary = false;
  std::string file = "-";
};

bool read_all(const std::string& path, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

int run_decode(const DecodeArgs& args) {
  DecodeOptions options;
  options.format = args.format == "text" ? OutputFormat::text : OutputFormat::json;
  options.protocol = *protocol::parse_protocol(args.protocol);
  options.binary = args.binary;
  std::string input;
  if (!read_all(args.file, input)) {
    std::cerr << "heatlink mbus decode: cannot read " << args.file << '\n';
    return 2;
  }
  return decode_input(input, options, std::cout);
}

}  // namespace

void add_mbus_commands(CLI::App& app) {
  CLI::App* mbus = app.add_subcommand("mbus", "M-Bus and CJ/T 188 tools");
  mbus->require_subcommand(1);

  auto args = std::make_shared<DecodeArgs>();
  CLI::App* decode = mbus->add_subcommand("decode", "Decode frames from hex text or raw bytes");
  decode->add_option("--format", args->format, "json (JSON Lines) or text")
      ->check(CLI::IsMember({"json", "text"}));
  decode->add_option("--protocol", args->protocol, "auto, mbus or cjt188")
      ->check(CLI::IsMember({"auto", "mbus", "cjt188"}));
  decode->add_flag("--binary", args->binary, "input is raw bytes, not hex text");
  decode->add_option("file", args->file, "input file, or - for standard input");
  decode->callback([args] { g_exit_status = run_decode(*args); });

  add_link_commands(mbus);
}

int exit_status() {
  return g_exit_status != 0 ? g_exit_status : link_exit_status();
}

}  // namespace heatlink::cli
