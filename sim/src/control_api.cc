#include "heatlink/sim/control_api.h"

#include <charconv>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <tuple>
#include <vector>

namespace heatlink::sim {

using Json = nlohmann::ordered_json;

namespace {

constexpr std::size_t kMaxTarget = 2048;  // no call needs more; keeps path matching cheap

ApiResponse reply(int status, const Json& body) {
  // Echoed client text may be any bytes: invalid UTF-8 becomes U+FFFD rather than a throw.
  return ApiResponse{status, body.dump(-1, ' ', false, Json::error_handler_t::replace)};
}
ApiResponse error(int status, std::string message) {
  return reply(status, Json{{"error", std::move(message)}});
}

// A query parameter as a number within [lo, hi], or `fallback` when absent.
std::optional<std::size_t> query_number(std::string_view query, std::string_view key,
                                        std::size_t fallback, std::size_t hi) {
  const std::string needle = std::string(key) + "=";
  const auto at = query.find(needle);
  if (at == std::string_view::npos || (at != 0 && query[at - 1] != '&')) return fallback;
  std::size_t value = 0;
  const char* begin = query.data() + at + needle.size();
  const char* end = query.data() + query.size();
  const auto [stop, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc{} || (stop != end && *stop != '&') || value > hi) return std::nullopt;
  return value;
}

const char* direction_name(Direction d) {
  return d == Direction::up ? "up" : d == Direction::down ? "down" : "both";
}

Json fault_json(std::uint64_t id, const LinkFault& f, Micros now) {
  const Json remaining = f.ends_at > 0 ? Json(static_cast<double>(f.ends_at - now) / 1e6) : Json();
  return Json{{"id", id},
              {"kind", fault_kind_name(f.kind)},
              {"direction", direction_name(f.direction)},
              {"delay_ms", f.delay / 1000},
              {"jitter_ms", f.jitter / 1000},
              {"period_s", f.period / 1'000'000},
              {"probability", f.probability},
              {"amount", f.amount},
              {"duration_s", static_cast<double>(f.lasting) / 1e6},
              {"remaining_s", remaining}};
}

// The pace as PUT /pace spells it: "realtime", "x20", "x0.5"; "fast" when nothing paces the run.
std::string pace_name(const Pace& pace) {
  if (pace.mode == Pace::Mode::fastest) return "fast";
  if (pace.factor == 1.0) return "realtime";
  char text[32];
  std::snprintf(text, sizeof text, "x%g", pace.factor);
  return text;
}

}  // namespace

struct ControlRoutes {
  using Handler = std::function<ApiResponse(ControlApi&, const std::smatch&, std::string_view query,
                                            const Json& body)>;
  struct Route {
    std::string method;
    std::regex path;
    Handler handler;
    std::vector<std::string_view> fields = {};  // what a body may give
  };

  static Json meter_json(ControlApi& api, std::size_t i) {
    SimulatedMeter& m = api.district_.meter(i);
    const MeterState& s = m.model_now().state();
    Json physical = Json::array();
    for (const auto& [name, flag] : kPhysicalFaultNames) {
      if (m.model().faults().has(flag)) physical.push_back(name);
    }
    char id[12];
    std::snprintf(id, sizeof id, "%08X", m.identity().id);
    Json out{{"index", i},
             {"id", id},
             {"kind", meter_kind_name(m.kind())},
             {"primary", m.identity().primary},
             {"energy_kwh", s.energy_kwh},
             {"used_kwh", s.used_kwh},
             {"volume_m3", s.volume_m3},
             {"power_kw", s.power_kw},
             {"flow_m3_per_h", s.flow_m3_per_h},
             {"supply_c", s.supply_c},
             {"return_c", s.return_c},
             {"valve_open", m.model().valve_open(api.district_.queue().now())},
             {"faults", Json{{"physical", physical},
                             {"leak_m3_per_h", m.model().faults().leak_m3_per_h},
                             {"clock_drift_ppm", m.model().faults().clock_drift_ppm}}}};
    if (m.answers().empty()) return out;
    Json answers = Json::array();
    for (const SimulatedMeter::Answer& a : m.answers())
      answers.push_back(Json::array({static_cast<double>(a.at) / 1e6, a.energy_kwh}));
    out["answers"] = answers;
    return out;
  }

  static Json dtu_json(ControlApi& api, std::size_t i) {
    Md109g& d = api.district_.dtu(i);
    const DtuCounters& c = d.counters();
    char ip[16];
    std::snprintf(ip, sizeof ip, "%u.%u.%u.%u", d.ip() >> 24, (d.ip() >> 16) & 0xFF,
                  (d.ip() >> 8) & 0xFF, d.ip() & 0xFF);
    return Json{{"index", i},
                {"id", d.config().profile.id},
                {"convention", protocol::dtu::convention_name(d.config().profile.convention)},
                {"state", bearer_state_name(d.state())},
                {"ip", ip},
                {"connects", c.connects},
                {"registrations", c.registrations},
                {"heartbeats", c.heartbeats},
                {"failures", c.failures},
                {"bytes_up", c.bytes_up},
                {"bytes_down", c.bytes_down}};
  }

  static Json concentrator_json(ControlApi& api, std::size_t i) {
    Hm660& c = api.district_.concentrator(i);
    Json channels = Json::array();
    for (std::size_t k = 0; k < c.channel_count(); ++k) {
      const MbusSegment& s = c.channel(k);
      channels.push_back(Json{{"index", k},
                              {"name", s.config().name},
                              {"baud", s.baud()},
                              {"meters", s.meter_count()},
                              {"unit_loads", s.unit_loads()},
                              {"powered", s.powered()},
                              {"short_circuit", s.short_circuited()}});
    }
    const auto dtu = api.district_.dtu_of(i);
    return Json{{"index", i},
                {"name", c.config().name},
                {"dtu", dtu ? Json(*dtu) : Json()},
                {"archive", c.archive().size()},
                {"buffered_readings", c.buffered_readings()},
                {"scanning", c.scanning()},
                {"powered", c.powered()},
                {"channels", channels}};
  }

  static std::optional<std::size_t> index(const std::smatch& m, std::size_t count,
                                          std::size_t group = 1) {
    std::size_t i = 0;
    const std::string text = m[group].str();
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
    if (ec != std::errc{} || end != text.data() + text.size() || i >= count) return std::nullopt;
    return i;
  }

  static const std::vector<Route>& table() {
    static const std::vector<Route> routes = {
        {"GET", std::regex("/api/v1/status"),
         [](ControlApi& api, const std::smatch&, std::string_view, const Json&) {
           District& d = api.district_;
           const Pace pace = api.runner_ != nullptr ? api.runner_->pace() : Pace::fastest();
           return reply(200, Json{{"virtual_time_s", static_cast<double>(d.queue().now()) / 1e6},
                                  {"paused", api.paused_},
                                  {"pace", pace_name(pace)},
                                  {"meters", d.meter_count()},
                                  {"concentrators", d.concentrator_count()},
                                  {"dtus", d.dtu_count()},
                                  {"seed", d.seed()}});
         }},
        {"GET", std::regex("/api/v1/meters"),
         [](ControlApi& api, const std::smatch&, std::string_view query, const Json&) {
           const auto offset = query_number(query, "offset", 0, 1u << 30);
           const auto limit = query_number(query, "limit", 100, 1000);
           if (!offset || !limit)
             return error(400, "offset and limit are whole numbers (limit at most 1000)");
           Json list = Json::array();
           for (std::size_t i = *offset; i < api.district_.meter_count() && i < *offset + *limit;
                ++i) {
             list.push_back(meter_json(api, i));
           }
           return reply(200, Json{{"total", api.district_.meter_count()}, {"meters", list}});
         }},
        {"GET", std::regex("/api/v1/meters/([0-9]+)"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json&) {
           const auto i = index(m, api.district_.meter_count());
           if (!i) return error(404, "no meter with that index");
           return reply(200, meter_json(api, *i));
         }},
        {"GET", std::regex("/api/v1/meters/([0-9]+)/telegram"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json&) {
           const auto i = index(m, api.district_.meter_count());
           if (!i) return error(404, "no meter with that index");
           SimulatedMeter& meter = api.district_.meter(*i);
           const protocol::FrameBytes frame = meter.preview();
           return reply(
               200, Json{{"protocol", meter.kind() == MeterKind::cjt188_heat ? "cjt188" : "mbus"},
                         {"hex", protocol::to_hex(frame.view())}});
         }},
        {"PUT",
         std::regex("/api/v1/meters/([0-9]+)/faults"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json& body) {
           const auto i = index(m, api.district_.meter_count());
           if (!i) return error(404, "no meter with that index");
           if (!body.is_object()) return error(400, "expected a JSON object");
           MeterFaults faults;
           if (body.contains("physical")) {
             if (!body["physical"].is_array())
               return error(400, "physical: expected a list of fault names");
             for (const auto& name : body["physical"]) {
               const auto* found = std::find_if(
                   kPhysicalFaultNames.begin(), kPhysicalFaultNames.end(), [&](const auto& p) {
                     return name.is_string() && p.first == name.get<std::string>();
                   });
               if (found == kPhysicalFaultNames.end())
                 return error(400, "physical: unknown fault " + name.dump());
               faults.flags = static_cast<std::uint16_t>(faults.flags | found->second);
             }
           }
           for (const auto& [key, lo, hi] : {std::tuple{"leak_m3_per_h", 0.0, 100.0},
                                             std::tuple{"clock_drift_ppm", -1e5, 1e5}}) {
             if (body.contains(key) && (!body[key].is_number() || body[key].get<double>() < lo ||
                                        body[key].get<double>() > hi)) {
               return error(400, std::string(key) + ": expected a number in [" + Json(lo).dump() +
                                     ", " + Json(hi).dump() + "]");
             }
           }
           faults.leak_m3_per_h = body.value("leak_m3_per_h", 0.0F);
           faults.clock_drift_ppm = body.value("clock_drift_ppm", 0.0F);
           api.district_.meter(*i).model_now();
           api.district_.meter(*i).model().set_faults(faults);
           return reply(200, meter_json(api, *i));
         },
         {"physical", "leak_m3_per_h", "clock_drift_ppm"}},
        {"PUT",
         std::regex("/api/v1/meters/([0-9]+)/values"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json& body) {
           const auto i = index(m, api.district_.meter_count());
           if (!i) return error(404, "no meter with that index");
           if (!body.is_object()) return error(400, "expected a JSON object");
           if (body.contains("energy_kwh") &&
               (!body["energy_kwh"].is_number() || body["energy_kwh"].get<double>() < 0 ||
                body["energy_kwh"].get<double>() > 1e9))
             return error(400, "energy_kwh: expected a number in [0, 1e9]");
           if (body.contains("valve_open") && !body["valve_open"].is_boolean())
             return error(400, "valve_open: expected true or false");
           if (body.contains("primary_address") && (!body["primary_address"].is_number_unsigned() ||
                                                    body["primary_address"].get<unsigned>() > 250))
             return error(400, "primary_address: expected an integer in [0, 250]");
           SimulatedMeter& meter = api.district_.meter(*i);
           const double energy = meter.model_now().state().energy_kwh;
           if (body.contains("energy_kwh"))
             meter.model().step_energy(body["energy_kwh"].get<double>() - energy);
           if (body.contains("valve_open")) {
             meter.model().command_valve(body["valve_open"].get<bool>(),
                                         api.district_.queue().now(), meter.valve_travel);
           }
           if (body.contains("primary_address"))
             meter.mbus().set_primary(
                 static_cast<std::uint8_t>(body["primary_address"].get<unsigned>()));
           return reply(200, meter_json(api, *i));
         },
         {"energy_kwh", "valve_open", "primary_address"}},
        {"POST",
         std::regex("/api/v1/meters/([0-9]+)/replace"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json& body) {
           const auto i = index(m, api.district_.meter_count());
           if (!i) return error(404, "no meter with that index");
           if (!body.is_object()) return error(400, "expected a JSON object");
           const auto digits = body.find("id");
           if (digits == body.end() || !digits->is_string() ||
               digits->get<std::string>().size() != 8 ||
               digits->get<std::string>().find_first_not_of("0123456789") != std::string::npos)
             return error(400, "id: expected the new meter's 8-digit identification number");
           const double energy = body.value("energy_kwh", 0.0);
           if (!(energy >= 0 && energy <= 1e9))
             return error(400, "energy_kwh: expected a number in [0, 1e9]");
           const std::uint32_t id =
               static_cast<std::uint32_t>(std::stoul(digits->get<std::string>(), nullptr, 16));
           api.district_.meter(*i).replace(id, energy);
           return reply(200, meter_json(api, *i));
         },
         {"id", "energy_kwh"}},
        {"GET", std::regex("/api/v1/concentrators"),
         [](ControlApi& api, const std::smatch&, std::string_view, const Json&) {
           Json list = Json::array();
           for (std::size_t i = 0; i < api.district_.concentrator_count(); ++i)
             list.push_back(concentrator_json(api, i));
           return reply(200, Json{{"concentrators", list}});
         }},
        {"PUT",
         std::regex("/api/v1/concentrators/([0-9]+)/channels/([0-9]+)/short_circuit"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json& body) {
           const auto i = index(m, api.district_.concentrator_count());
           if (!i) return error(404, "no concentrator with that index");
           const auto k = index(m, api.district_.concentrator(*i).channel_count(), 2);
           if (!k) return error(404, "no channel with that index");
           if (!body.is_object() || !body.contains("shorted") || !body["shorted"].is_boolean())
             return error(400, "expected {\"shorted\": true or false}");
           api.district_.concentrator(*i).channel(*k).set_short_circuit(
               body["shorted"].get<bool>());
           return reply(200, concentrator_json(api, *i));
         },
         {"shorted"}},
        {"POST", std::regex("/api/v1/concentrators/([0-9]+)/(power-on|power-off)"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json&) {
           const auto i = index(m, api.district_.concentrator_count());
           if (!i) return error(404, "no concentrator with that index");
           api.district_.concentrator(*i).set_powered(m[2] == "power-on");
           return reply(200, concentrator_json(api, *i));
         }},
        {"GET", std::regex("/api/v1/dtus"),
         [](ControlApi& api, const std::smatch&, std::string_view, const Json&) {
           Json list = Json::array();
           for (std::size_t i = 0; i < api.district_.dtu_count(); ++i)
             list.push_back(dtu_json(api, i));
           return reply(200, Json{{"dtus", list}});
         }},
        {"POST", std::regex("/api/v1/dtus/([0-9]+)/(reboot|power-on|power-off)"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json&) {
           const auto i = index(m, api.district_.dtu_count());
           if (!i) return error(404, "no DTU with that index");
           Md109g& d = api.district_.dtu(*i);
           const std::string action = m[2].str();
           if (action == "reboot")
             d.reboot();
           else if (action == "power-on")
             d.power_on();
           else
             d.power_off();
           return reply(200, dtu_json(api, *i));
         }},
        {"POST",
         std::regex("/api/v1/dtus/([0-9]+)/identity"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json& body) {
           const auto i = index(m, api.district_.dtu_count());
           if (!i) return error(404, "no DTU with that index");
           if (!body.is_object() || !body.contains("id") || !body["id"].is_string())
             return error(400, "expected {\"id\": \"the DTU ID to register with\"}");
           Md109g& d = api.district_.dtu(*i);
           protocol::dtu::Profile profile = d.config().profile;
           profile.id = body["id"].get<std::string>();
           if (const std::string problem = profile.problem(); !problem.empty())
             return error(400, "id: " + problem);
           d.configure_id(profile.id);
           return reply(200, dtu_json(api, *i));
         },
         {"id"}},
        {"GET", std::regex("/api/v1/dtus/([0-9]+)/faults"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json&) {
           const auto i = index(m, api.district_.dtu_count());
           if (!i) return error(404, "no DTU with that index");
           Json list = Json::array();
           for (const auto& [id, f] : api.district_.link(*i).active())
             list.push_back(fault_json(id, f, api.district_.queue().now()));
           return reply(200, Json{{"faults", list}});
         }},
        {"POST",
         std::regex("/api/v1/dtus/([0-9]+)/faults"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json& body) {
           const auto i = index(m, api.district_.dtu_count());
           if (!i) return error(404, "no DTU with that index");
           if (!body.is_object() || !body.contains("kind") || !body["kind"].is_string()) {
             return error(400, "expected {\"kind\": ...} with a fault kind (docs/topology.md)");
           }
           const auto kind = parse_fault_kind(body["kind"].get<std::string>());
           if (!kind) return error(400, "kind: unknown fault " + body["kind"].dump());
           LinkFault f;
           f.kind = *kind;
           const std::string direction = body.value("direction", std::string("both"));
           if (direction != "up" && direction != "down" && direction != "both") {
             return error(400, "direction: expected up, down or both");
           }
           f.direction = direction == "up"     ? Direction::up
                         : direction == "down" ? Direction::down
                                               : Direction::both;
           for (const char* key :
                {"delay_ms", "jitter_ms", "period_s", "probability", "amount", "duration_s"}) {
             if (body.contains(key) && (!body[key].is_number() || body[key].get<double>() < 0 ||
                                        body[key].get<double>() > 1e9)) {
               return error(400, std::string(key) + ": expected a number in [0, 1e9]");
             }
           }
           f.delay = milliseconds(body.value("delay_ms", std::int64_t{0}));
           f.jitter = milliseconds(body.value("jitter_ms", std::int64_t{0}));
           f.period = seconds(body.value("period_s", std::int64_t{0}));
           f.probability = body.value("probability", 1.0);
           if (f.probability > 1) return error(400, "probability: at most 1");
           f.amount = body.value("amount", std::uint64_t{0});
           f.lasting = static_cast<Micros>(body.value("duration_s", 0.0) * 1e6);
           const std::uint64_t id = api.district_.link(*i).start(f);
           const Micros now = api.district_.queue().now();
           if (f.lasting > 0) f.ends_at = now + f.lasting;
           return reply(201, fault_json(id, f, now));
         },
         {"kind", "direction", "delay_ms", "jitter_ms", "period_s", "probability", "amount",
          "duration_s"}},
        {"DELETE", std::regex("/api/v1/dtus/([0-9]+)/faults/([0-9]+)"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json&) {
           const auto i = index(m, api.district_.dtu_count());
           if (!i) return error(404, "no DTU with that index");
           std::uint64_t id = 0;
           const std::string text = m[2].str();
           const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
           if (ec != std::errc{} || !api.district_.link(*i).stop(id))
             return error(404, "no such fault");
           return reply(200, Json{{"stopped", true}});
         }},
        {"POST", std::regex("/api/v1/heal"),
         [](ControlApi& api, const std::smatch&, std::string_view, const Json&) {
           for (std::size_t i = 0; i < api.district_.dtu_count(); ++i)
             api.district_.link(i).heal_all();
           for (std::size_t i = 0; i < api.district_.meter_count(); ++i) {
             api.district_.meter(i).model_now();
             api.district_.meter(i).model().set_faults(MeterFaults{});
           }
           for (std::size_t i = 0; i < api.district_.concentrator_count(); ++i) {
             Hm660& c = api.district_.concentrator(i);
             for (std::size_t k = 0; k < c.channel_count(); ++k)
               c.channel(k).set_short_circuit(false);
           }
           return reply(200, Json{{"healed", true}});
         }},
        {"GET", std::regex("/api/v1/weather"),
         [](ControlApi& api, const std::smatch&, std::string_view, const Json&) {
           const WeatherProfile& w = api.district_.weather();
           return reply(200,
                        Json{{"annual_mean", w.annual_mean},
                             {"annual_amplitude", w.annual_amplitude},
                             {"daily_amplitude", w.daily_amplitude},
                             {"outdoor_now_c", w.outdoor_temperature(api.district_.queue().now(),
                                                                     api.district_.calendar())}});
         }},
        {"PUT",
         std::regex("/api/v1/weather"),
         [](ControlApi& api, const std::smatch&, std::string_view, const Json& body) {
           if (!body.is_object()) return error(400, "expected a JSON object");
           WeatherProfile& w = api.district_.weather();
           for (const char* key : {"annual_mean", "annual_amplitude", "daily_amplitude"}) {
             if (!body.contains(key)) continue;
             if (!body[key].is_number())
               return error(400, std::string(key) + ": expected a number");
             const double v = body[key].get<double>();
             if (v < -50 || v > 50)
               return error(400, std::string(key) + ": out of range [-50, 50]");
           }
           w.annual_mean = body.value("annual_mean", w.annual_mean);
           w.annual_amplitude = body.value("annual_amplitude", w.annual_amplitude);
           w.daily_amplitude = body.value("daily_amplitude", w.daily_amplitude);
           w.table.clear();
           return reply(200, Json{{"annual_mean", w.annual_mean},
                                  {"annual_amplitude", w.annual_amplitude},
                                  {"daily_amplitude", w.daily_amplitude}});
         },
         {"annual_mean", "annual_amplitude", "daily_amplitude"}},
        {"POST", std::regex("/api/v1/(pause|resume)"),
         [](ControlApi& api, const std::smatch& m, std::string_view, const Json&) {
           const bool pause = m[1].str() == "pause";
           if (pause && !api.paused_) {
             api.paused_ = true;
             if (api.runner_ != nullptr) api.pace_before_pause_ = api.runner_->pace();
           } else if (!pause && api.paused_) {
             api.paused_ = false;
             if (api.runner_ != nullptr)
               api.runner_->set_pace(api.pace_before_pause_);  // re-anchors the clock
           }
           return reply(200, Json{{"paused", api.paused_}});
         }},
        {"PUT",
         std::regex("/api/v1/pace"),
         [](ControlApi& api, const std::smatch&, std::string_view, const Json& body) {
           if (!body.is_object() || !body.contains("pace") || !body["pace"].is_string()) {
             return error(400, "expected {\"pace\": \"realtime\" or \"xN\"}");
           }
           const auto pace = Pace::parse(body["pace"].get<std::string>());
           if (!pace || pace->mode == Pace::Mode::fastest)
             return error(400, "pace: expected realtime or xN (0 < N <= 100000)");
           if (api.runner_ == nullptr)
             return error(409, "this simulation has no wall clock to pace against");
           api.runner_->set_pace(*pace);
           return reply(200, Json{{"pace", body["pace"]}});
         },
         {"pace"}},
    };
    return routes;
  }
};

namespace {

// A field this call does not take: an error, never ignored (a typo would otherwise do
// something else than asked - clear a meter's faults instead of setting them).
std::optional<std::string> unknown_field(const Json& body,
                                         const std::vector<std::string_view>& fields) {
  if (!body.is_object()) return std::nullopt;
  for (const auto& [key, value] : body.items()) {
    if (std::find(fields.begin(), fields.end(), key) != fields.end()) continue;
    std::string known;
    for (const std::string_view f : fields) known += (known.empty() ? "" : ", ") + std::string(f);
    return "unknown field '" + key + "' (" +
           (known.empty() ? std::string("this call takes no fields") : "this call takes " + known) +
           ")";
  }
  return std::nullopt;
}

}  // namespace

ControlApi::ControlApi(District& district, PacedRunner* runner)
    : district_(district), runner_(runner) {}

ApiResponse ControlApi::handle(const ApiRequest& request) {
  if (request.target.size() > kMaxTarget)
    return error(414, "the target is longer than " + std::to_string(kMaxTarget) + " bytes");
  if (follow_runner_ && runner_ != nullptr && !paused_)
    district_.queue().run_until(runner_->virtual_now());
  const auto q = request.target.find('?');
  const std::string path = request.target.substr(0, q);
  const std::string_view query =
      q == std::string::npos ? std::string_view{} : std::string_view(request.target).substr(q + 1);
  Json body;
  if (!request.body.empty()) {
    body = Json::parse(request.body, nullptr, false);
    if (body.is_discarded()) return error(400, "the body is not valid JSON");
  }
  bool path_known = false;
  for (const auto& route : ControlRoutes::table()) {
    std::smatch m;
    if (!std::regex_match(path, m, route.path)) continue;
    path_known = true;
    if (route.method != request.method) continue;
    if (auto unknown = unknown_field(body, route.fields)) return error(400, *unknown);
    try {
      return route.handler(*this, m, query, body);
    } catch (const nlohmann::json::exception& e) {  // a field of the wrong type the checks missed
      return error(400, std::string("the body does not fit this call: ") + e.what());
    }
  }
  return path_known ? error(405, request.method + " is not allowed on " + path)
                    : error(404, "no such call: " + path);
}

}  // namespace heatlink::sim
