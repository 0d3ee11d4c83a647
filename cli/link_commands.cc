// The technician's commands: `heatlink mbus scan|scan-secondary|read|set-address|raw` and
// `heatlink mbus cjt188 read|read-address|valve|set-time`, over a serial port or a TCP
// converter. Results go to stdout as JSON, progress to stderr (docs/technician-cli.md).
#include "link_commands.h"

#include <charconv>
#include <ctime>
#include <iostream>
#include <memory>

#include "frame_json.h"
#include "heatlink/master/link/link_driver.h"
#include "heatlink/protocol/cjt188_procedures.h"
#include "heatlink/protocol/mbus_procedures.h"
#include "host_port.h"

namespace heatlink::cli {

namespace {

namespace link = protocol::link;
namespace mbus = protocol::mbus;
namespace cjt188 = protocol::cjt188;

constexpr int kDeviceFailed = 1;  // the bus or a meter did not do what was asked
constexpr int kUsage = 2;
constexpr int kIoFailed = 3;  // the port or connection failed

struct LinkArgs {
  std::string device;
  unsigned baud = 2400;
  std::string tcp;
  unsigned timeout_ms = 0;
  bool quiet = false;
};

// A usage or I/O failure, reported on stderr; `code` becomes the exit status.
int complain(const std::string& command, const std::string& message, int code) {
  std::cerr << "heatlink mbus " << command << ": " << message << '\n';
  return code;
}

// The link the options name, opened once for every procedure a command runs.
struct OpenLink {
  std::unique_ptr<master::Transport> transport;
  link::Timing timing;
  int failure = 0;  // the exit status when the link could not be opened (already reported)
};

OpenLink open_link(const std::string& command, const LinkArgs& args) {
  OpenLink open;
  if (args.device.empty() == args.tcp.empty()) {
    open.failure =
        complain(command, "give exactly one of --device PATH and --tcp HOST:PORT", kUsage);
    return open;
  }
  master::IoStatus status;
  if (!args.device.empty()) {
    open.transport = master::open_serial(args.device, args.baud, status);
    open.timing = link::Timing::serial(args.baud);
  } else {
    const auto tcp = parse_host_port(args.tcp);
    if (!tcp) {
      open.failure =
          complain(command, "--tcp: expected HOST:PORT, found '" + args.tcp + "'", kUsage);
      return open;
    }
    open.transport = master::open_tcp(tcp->first, tcp->second, 10'000'000, status);
    open.timing = link::Timing::tcp_converter(args.baud);
  }
  if (!open.transport) open.failure = complain(command, status.error, kIoFailed);
  if (args.timeout_ms > 0)
    open.timing.fixed_timeout = static_cast<link::Micros>(args.timeout_ms) * 1000;
  return open;
}

// Runs `procedure` over an open link. Returns 0, or the exit status of an I/O failure
// (already reported).
int run_on(const std::string& command, const LinkArgs& args, OpenLink& open,
           link::Procedure& procedure) {
  link::Exchange::Observer observer;
  if (!args.quiet) {
    observer = [&command](const link::Request& request, const link::Outcome& outcome) {
      std::cerr << "heatlink mbus " << command << ": " << request.what << ": "
                << link::outcome_name(outcome.kind);
      if (outcome.attempts > 1) std::cerr << " (attempt " << outcome.attempts << ")";
      if (!outcome.detail.empty()) std::cerr << " - " << outcome.detail;
      std::cerr << '\n';
    };
  }
  link::Exchange exchange(procedure, open.timing, observer);
  master::SteadyClock clock;
  const master::IoStatus status = master::run(exchange, *open.transport, clock);
  if (!status.ok()) return complain(command, status.error, kIoFailed);
  return 0;
}

// Opens the link and runs one procedure over it.
int run_procedure(const std::string& command, const LinkArgs& args, link::Procedure& procedure) {
  OpenLink open = open_link(command, args);
  if (open.failure != 0) return open.failure;
  return run_on(command, args, open, procedure);
}

void add_link_options(CLI::App* command, LinkArgs& args) {
  command->add_option("--device", args.device, "serial port (8E1), e.g. /dev/ttyUSB0");
  command->add_option("--baud", args.baud, "baud rate (default 2400)")
      ->check(CLI::IsMember({300, 600, 1200, 2400, 4800, 9600, 19200, 38400}));
  command->add_option("--tcp", args.tcp, "HOST:PORT of a transparent serial-to-TCP converter");
  command->add_option("--timeout", args.timeout_ms,
                      "response timeout in ms (default: from the baud rate and the link)");
  command->add_flag("--quiet", args.quiet, "no progress on stderr");
}

Json status_json(const link::ProcedureBase& p) {
  Json j;
  j["status"] = link::verdict_name(p.verdict());
  if (p.verdict() != link::Verdict::ok) j["error"] = p.problem();
  return j;
}

Json frame_json(protocol::Bytes bytes) {
  const auto scanned = protocol::scan_any(bytes, protocol::Protocol::any);
  if (scanned.status != mbus::ScanStatus::complete) return Json{{"hex", protocol::to_hex(bytes)}};
  if (scanned.protocol == protocol::Protocol::cjt188) {
    cjt188::Reply reply;
    cjt188::decode_reply(scanned.cjt188, reply);
    return cjt188_frame_json(scanned.cjt188, reply);
  }
  if (scanned.mbus.type != mbus::FrameType::long_frame)
    return mbus_frame_json(scanned.mbus, nullptr);
  mbus::Telegram telegram;
  mbus::decode_telegram(scanned.mbus, telegram);
  return mbus_frame_json(scanned.mbus, &telegram);
}

Json secondary_json(const mbus::SecondaryAddress& a) {
  return Json{{"secondary", a.to_string()},
              {"manufacturer", mbus::manufacturer_letters(a.manufacturer).data()},
              {"version", a.version},
              {"medium", mbus::medium_name(a.medium)}};
}

void print(const Json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

// ---- M-Bus

struct ScanArgs {
  LinkArgs link;
  unsigned first = 1;
  unsigned last = 250;
};

int run_scan(const ScanArgs& args) {
  mbus::PrimaryScan scan(static_cast<std::uint8_t>(args.first),
                         static_cast<std::uint8_t>(args.last));
  if (const int code = run_procedure("scan", args.link, scan); code != 0) return code;
  Json meters = Json::array();
  for (const mbus::ScanHit& hit : scan.hits()) {
    Json m{{"primary", hit.primary}};
    if (hit.identified) m.update(secondary_json(hit.secondary));
    m["collision"] = hit.collision;
    meters.push_back(std::move(m));
  }
  print(Json{{"meters", meters}});
  return 0;
}

struct SecondaryScanArgs {
  LinkArgs link;
  std::string mask = "FFFFFFFFFFFFFFFF";
};

int run_scan_secondary(const SecondaryScanArgs& args) {
  const auto mask = mbus::SecondaryAddress::parse(args.mask);
  if (!mask) return complain("scan-secondary", "MASK: " + mask.error().message(), kUsage);
  mbus::SecondaryScan scan(*mask);
  if (const int code = run_procedure("scan-secondary", args.link, scan); code != 0) return code;
  Json meters = Json::array();
  for (const mbus::ScanHit& hit : scan.hits()) {
    Json m = secondary_json(hit.secondary);
    m["identified"] = hit.identified;
    meters.push_back(std::move(m));
  }
  print(Json{{"meters", meters}, {"probes", scan.probes()}});
  return 0;
}

struct ReadArgs {
  LinkArgs link;
  std::vector<std::string> addresses;
  std::optional<unsigned> data_set;
  unsigned retries = 3;
  unsigned max_telegrams = 16;
};

int run_read(const ReadArgs& args) {
  std::vector<mbus::Target> targets;
  for (const std::string& text : args.addresses) {
    auto target = mbus::Target::parse(text);
    if (!target) return complain("read", "'" + text + "': " + target.error().message(), kUsage);
    targets.push_back(*target);
  }
  OpenLink open = open_link("read", args.link);
  if (open.failure != 0) return open.failure;
  int status = 0;
  for (const mbus::Target& target : targets) {
    mbus::ReadOptions options;
    options.retries = args.retries;
    options.max_telegrams = args.max_telegrams;
    if (args.data_set) options.data_set = static_cast<std::uint8_t>(*args.data_set);
    mbus::MeterRead read(target, options);
    if (const int code = run_on("read", args.link, open, read); code != 0) return code;
    Json j{{"address", target.to_string()}};
    j.update(status_json(read));
    Json telegrams = Json::array();
    for (const auto& t : read.telegrams()) telegrams.push_back(frame_json(t));
    j["telegrams"] = std::move(telegrams);
    if (read.truncated()) j["truncated"] = true;
    print(j);
    if (read.verdict() != link::Verdict::ok) status = kDeviceFailed;
  }
  return status;
}

struct SetAddressArgs {
  LinkArgs link;
  std::string address;
  unsigned new_address = 0;
};

int run_set_address(const SetAddressArgs& args) {
  const auto target = mbus::Target::parse(args.address);
  if (!target)
    return complain("set-address", args.address + ": " + target.error().message(), kUsage);
  mbus::SetPrimaryAddress set(*target, static_cast<std::uint8_t>(args.new_address));
  if (const int code = run_procedure("set-address", args.link, set); code != 0) return code;
  Json j{{"address", target->to_string()}, {"new_address", args.new_address}};
  j.update(status_json(set));
  print(j);
  return set.verdict() == link::Verdict::ok ? 0 : kDeviceFailed;
}

struct RawArgs {
  LinkArgs link;
  std::string hex;
};

int run_raw(const RawArgs& args) {
  auto bytes = protocol::parse_hex(args.hex);
  if (!bytes) return complain("raw", "HEX: " + bytes.error().message(), kUsage);
  if (bytes->empty()) return complain("raw", "HEX: nothing to send", kUsage);
  mbus::RawExchange raw(*bytes);
  if (const int code = run_procedure("raw", args.link, raw); code != 0) return code;
  const link::Outcome& o = raw.outcome();
  Json j{{"sent", protocol::to_hex(*bytes)}, {"outcome", link::outcome_name(o.kind)}};
  if (!o.received.empty()) j["received"] = protocol::to_hex(o.received);
  if (o.kind == link::OutcomeKind::answered) j["frame"] = frame_json(o.frame);
  if (!o.detail.empty()) j["detail"] = o.detail;
  print(j);
  return o.kind == link::OutcomeKind::answered ? 0 : kDeviceFailed;
}

// ---- CJ/T 188

struct Cjt188Args {
  LinkArgs link;
  std::string address;
  std::string type = "20";
  std::string di = "901F";
  std::string action;
  std::string time;  // ISO local time; empty: now
  double poll_s = 5;
  unsigned max_polls = 12;
};

bool parse_hex_number(const std::string& text, unsigned max, unsigned& out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out, 16);
  return !text.empty() && ec == std::errc{} && ptr == end && out <= max;
}

// The meter the arguments name, or an exit status.
std::variant<cjt188::MeterId, int> meter_of(const std::string& command, const Cjt188Args& args) {
  cjt188::MeterId meter;
  unsigned type = 0;
  if (!parse_hex_number(args.type, 0xFF, type))
    return complain(command, "--type: expected a hex byte such as 20, found '" + args.type + "'",
                    kUsage);
  meter.meter_type = static_cast<std::uint8_t>(type);
  const auto address = cjt188::Address::parse(args.address);
  if (!address) return complain(command, "ADDRESS: " + address.error().message(), kUsage);
  meter.address = *address;
  return meter;
}

int run_cjt188_read(const Cjt188Args& args) {
  const auto meter = meter_of("cjt188 read", args);
  if (const int* code = std::get_if<int>(&meter)) return *code;
  unsigned di = 0;
  if (!parse_hex_number(args.di, 0xFFFF, di))
    return complain("cjt188 read", "--di: expected 4 hex digits, found '" + args.di + "'", kUsage);
  cjt188::DataRead read(std::get<cjt188::MeterId>(meter), static_cast<std::uint16_t>(di));
  if (const int code = run_procedure("cjt188 read", args.link, read); code != 0) return code;
  Json j{{"address", args.address}};
  j.update(status_json(read));
  if (!read.reply().empty()) j["frame"] = frame_json(read.reply());
  print(j);
  return read.verdict() == link::Verdict::ok ? 0 : kDeviceFailed;
}

int run_cjt188_read_address(const Cjt188Args& args) {
  unsigned type = 0;
  if (!parse_hex_number(args.type, 0xFF, type))
    return complain("cjt188 read-address", "--type: expected a hex byte", kUsage);
  cjt188::AddressRead read(static_cast<std::uint8_t>(type));
  if (const int code = run_procedure("cjt188 read-address", args.link, read); code != 0)
    return code;
  Json j = status_json(read);
  if (read.address()) {
    j["address"] = read.address()->to_string();
    j["meter_type"] = cjt188::meter_type_name(read.meter_type());
  }
  print(j);
  return read.verdict() == link::Verdict::ok ? 0 : kDeviceFailed;
}

int run_cjt188_valve(const Cjt188Args& args) {
  const auto meter = meter_of("cjt188 valve", args);
  if (const int* code = std::get_if<int>(&meter)) return *code;
  cjt188::ValveOptions options;
  options.poll_interval = static_cast<link::Micros>(args.poll_s * 1e6);
  options.max_polls = args.max_polls;
  cjt188::ValveCommand valve(std::get<cjt188::MeterId>(meter), args.action == "open", options);
  if (const int code = run_procedure("cjt188 valve", args.link, valve); code != 0) return code;
  Json j{{"address", args.address}, {"command", args.action}};
  j.update(status_json(valve));
  j["valve"] = cjt188::valve_name(valve.last_seen());
  j["polls"] = valve.polls();
  print(j);
  return valve.verdict() == link::Verdict::ok ? 0 : kDeviceFailed;
}

// "2026-11-25T08:00:00", or the local time now when `text` is empty.
std::optional<mbus::TimePoint> time_of(const std::string& text) {
  mbus::TimePoint t;
  t.type = 'I';
  if (text.empty()) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    t.year = static_cast<std::uint16_t>(local.tm_year + 1900);
    t.month = static_cast<std::uint8_t>(local.tm_mon + 1);
    t.day = static_cast<std::uint8_t>(local.tm_mday);
    t.hour = static_cast<std::uint8_t>(local.tm_hour);
    t.minute = static_cast<std::uint8_t>(local.tm_min);
    t.second = static_cast<std::uint8_t>(local.tm_sec);
    return t;
  }
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4u-%2u-%2uT%2u:%2u:%2u%c", &y, &mo, &d, &h, &mi, &s, &tail) !=
          6 ||
      y < 2000 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
    return std::nullopt;
  t.year = static_cast<std::uint16_t>(y);
  t.month = static_cast<std::uint8_t>(mo);
  t.day = static_cast<std::uint8_t>(d);
  t.hour = static_cast<std::uint8_t>(h);
  t.minute = static_cast<std::uint8_t>(mi);
  t.second = static_cast<std::uint8_t>(s);
  return t;
}

int run_cjt188_set_time(const Cjt188Args& args) {
  const auto meter = meter_of("cjt188 set-time", args);
  if (const int* code = std::get_if<int>(&meter)) return *code;
  const auto time = time_of(args.time);
  if (!time) {
    return complain("cjt188 set-time",
                    "--time: expected YYYY-MM-DDTHH:MM:SS (2000-2099), found '" + args.time + "'",
                    kUsage);
  }
  cjt188::TimeSet set(std::get<cjt188::MeterId>(meter), *time);
  if (const int code = run_procedure("cjt188 set-time", args.link, set); code != 0) return code;
  Json j{{"address", args.address}, {"time", iso_time(*time)}};
  j.update(status_json(set));
  print(j);
  return set.verdict() == link::Verdict::ok ? 0 : kDeviceFailed;
}

int g_status = 0;

template <class Args>
void on_run(CLI::App* command, std::shared_ptr<Args> args, int (*run)(const Args&)) {
  command->callback([args, run] { g_status = run(*args); });
}

void add_cjt188_commands(CLI::App* mbus_app) {
  CLI::App* cjt = mbus_app->add_subcommand("cjt188", "CJ/T 188 meters on the bus");
  cjt->require_subcommand(1);

  auto read = std::make_shared<Cjt188Args>();
  CLI::App* r = cjt->add_subcommand("read", "Read a meter's data (901F by default)");
  r->add_option("ADDRESS", read->address, "14 digits, A6 first")->required();
  r->add_option("--type", read->type, "meter type, hex (20 heat)");
  r->add_option("--di", read->di, "data identifier, hex (901F current data)");
  add_link_options(r, read->link);
  on_run(r, read, run_cjt188_read);

  auto who = std::make_shared<Cjt188Args>();
  CLI::App* w = cjt->add_subcommand("read-address", "Ask the only meter on the line its address");
  w->add_option("--type", who->type, "meter type, hex (20 heat)");
  add_link_options(w, who->link);
  on_run(w, who, run_cjt188_read_address);

  auto valve = std::make_shared<Cjt188Args>();
  CLI::App* v = cjt->add_subcommand("valve", "Open or close a valve and confirm it moved");
  v->add_option("ADDRESS", valve->address, "14 digits, A6 first")->required();
  v->add_option("ACTION", valve->action, "open or close")
      ->required()
      ->check(CLI::IsMember({"open", "close"}));
  v->add_option("--type", valve->type, "meter type, hex (20 heat)");
  v->add_option("--poll", valve->poll_s, "seconds between confirmation polls (default 5)");
  v->add_option("--max-polls", valve->max_polls, "polls before giving up (default 12)");
  add_link_options(v, valve->link);
  on_run(v, valve, run_cjt188_valve);

  auto time = std::make_shared<Cjt188Args>();
  CLI::App* t = cjt->add_subcommand("set-time", "Set a meter's clock");
  t->add_option("ADDRESS", time->address, "14 digits, A6 first")->required();
  t->add_option("--time", time->time, "YYYY-MM-DDTHH:MM:SS (default: local time now)");
  t->add_option("--type", time->type, "meter type, hex (20 heat)");
  add_link_options(t, time->link);
  on_run(t, time, run_cjt188_set_time);
}

}  // namespace

int link_exit_status() {
  return g_status;
}

void add_link_commands(CLI::App* mbus_app) {
  auto scan = std::make_shared<ScanArgs>();
  CLI::App* s = mbus_app->add_subcommand("scan", "Find meters by primary address");
  s->add_option("--first", scan->first, "first address (default 1)")->check(CLI::Range(0, 250));
  s->add_option("--last", scan->last, "last address (default 250)")->check(CLI::Range(0, 250));
  add_link_options(s, scan->link);
  on_run(s, scan, run_scan);

  auto secondary = std::make_shared<SecondaryScanArgs>();
  CLI::App* ss = mbus_app->add_subcommand("scan-secondary", "Find meters by secondary address");
  ss->add_option("MASK", secondary->mask, "16 hex digits, F as wildcard (default: all)");
  add_link_options(ss, secondary->link);
  on_run(ss, secondary, run_scan_secondary);

  auto read = std::make_shared<ReadArgs>();
  CLI::App* r = mbus_app->add_subcommand("read", "Read meters (every telegram)");
  r->add_option("ADDRESS", read->addresses, "primary address or 16-digit secondary address")
      ->required();
  r->add_option("--data-set", read->data_set,
                "select a data set first (application reset sub-code; Danfoss SonoMeter)")
      ->check(CLI::Range(0, 255));
  r->add_option("--retries", read->retries, "repeats of a request (default 3)");
  r->add_option("--max-telegrams", read->max_telegrams, "stop after this many (default 16)")
      ->check(CLI::Range(1, 255));
  add_link_options(r, read->link);
  on_run(r, read, run_read);

  auto set = std::make_shared<SetAddressArgs>();
  CLI::App* sa = mbus_app->add_subcommand("set-address", "Give a meter a new primary address");
  sa->add_option("ADDRESS", set->address, "the meter: primary or secondary address")->required();
  sa->add_option("NEW", set->new_address, "the new primary address (1-250)")
      ->required()
      ->check(CLI::Range(1, 250));
  add_link_options(sa, set->link);
  on_run(sa, set, run_set_address);

  auto raw = std::make_shared<RawArgs>();
  CLI::App* rw = mbus_app->add_subcommand("raw", "Send bytes and show what comes back");
  rw->add_option("HEX", raw->hex, "the bytes, as hex")->required();
  add_link_options(rw, raw->link);
  on_run(rw, raw, run_raw);

  add_cjt188_commands(mbus_app);
}

}  // namespace heatlink::cli
