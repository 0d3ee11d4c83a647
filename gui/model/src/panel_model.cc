#include "heatlink/gui/panel_model.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "heatlink/sim/gprs_link.h"
#include "heatlink/sim/heat_meter_model.h"

namespace heatlink::gui {

namespace {

std::string error_of(const LinkResult& r) {
  const auto* e = std::get_if<LinkError>(&r);
  return e == nullptr ? std::string() : e->message;
}

double number(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::int64_t integer(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

std::string text(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

MeterView meter_of(const Json& m) {
  MeterView v;
  v.index = static_cast<std::size_t>(integer(m, "index"));
  v.id = text(m, "id");
  v.kind = text(m, "kind");
  v.primary = static_cast<int>(integer(m, "primary"));
  v.energy_kwh = number(m, "energy_kwh");
  v.volume_m3 = number(m, "volume_m3");
  v.power_kw = number(m, "power_kw");
  v.flow_m3_per_h = number(m, "flow_m3_per_h");
  v.supply_c = number(m, "supply_c");
  v.return_c = number(m, "return_c");
  v.valve_open = m.value("valve_open", true);
  v.faults = m.value("faults", Json::object());
  return v;
}

LinkFault link_fault_of(const Json& f) {
  LinkFault v;
  v.id = integer(f, "id");
  v.kind = text(f, "kind");
  v.direction = text(f, "direction");
  v.delay_ms = number(f, "delay_ms");
  v.jitter_ms = number(f, "jitter_ms");
  v.period_s = number(f, "period_s");
  v.probability = number(f, "probability");
  v.amount = number(f, "amount");
  if (const auto it = f.find("remaining_s"); it != f.end() && it->is_number())
    v.remaining_s = it->get<double>();
  return v;
}

// The traffic sources whose last frame marks a channel busy ("hm660-1/ch1").
constexpr double kReadingWindowS = 2.0;

}  // namespace

// The simulator's own lists: the panel offers what it accepts.
const std::vector<std::string>& link_fault_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> names;
    for (const std::string_view name : sim::fault_kind_names()) names.emplace_back(name);
    return names;
  }();
  return kinds;
}

const std::vector<std::string>& physical_fault_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> names;
    for (const auto& [name, flag] : sim::kPhysicalFaultNames) names.emplace_back(name);
    return names;
  }();
  return kinds;
}

bool MeterView::faulty() const {
  if (!faults.is_object()) return false;
  const auto physical = faults.find("physical");
  return (physical != faults.end() && physical->is_array() && !physical->empty()) ||
         number(faults, "leak_m3_per_h") > 0 || number(faults, "clock_drift_ppm") != 0;
}

DeviceState Snapshot::state_of_dtu(std::size_t dtu) const {
  if (dtu >= dtus.size() || !dtus[dtu].online()) return DeviceState::offline;
  // A link's own character (its preset's latency and bandwidth) is no fault.
  for (const LinkFault& f : dtus[dtu].faults)
    if (f.kind != "latency" && f.kind != "bandwidth") return DeviceState::fault;
  return DeviceState::online;
}

DeviceState Snapshot::state_of_channel(const ConcentratorView& c, const ChannelView& ch) const {
  if (c.dtu && state_of_dtu(*c.dtu) == DeviceState::offline) return DeviceState::offline;
  if (ch.short_circuit || !ch.powered) return DeviceState::fault;
  if (ch.last_traffic_t >= 0 && virtual_time_s - ch.last_traffic_t < kReadingWindowS)
    return DeviceState::reading;
  return DeviceState::online;
}

DeviceState Snapshot::state_of_meter(std::size_t meter) const {
  const auto [c, ch] = place_of(meter);
  return state_of_meter(
      meter, c != nullptr && ch != nullptr ? state_of_channel(*c, *ch) : DeviceState::online);
}

DeviceState Snapshot::state_of_meter(std::size_t meter, DeviceState channel) const {
  if (channel == DeviceState::offline) return DeviceState::offline;
  if (meter < meters.size() && meters[meter].faulty()) return DeviceState::fault;
  return DeviceState::online;
}

std::pair<const ConcentratorView*, const ChannelView*> Snapshot::place_of(std::size_t meter) const {
  for (const ConcentratorView& c : concentrators)
    for (const ChannelView& ch : c.channels)
      if (meter >= ch.first_meter && meter < ch.first_meter + ch.meters) return {&c, &ch};
  return {nullptr, nullptr};
}

PanelModel::PanelModel(std::string host, std::uint16_t port, Options options)
    : options_(options),
      host_(std::move(host)),
      port_(port),
      snapshot_(std::make_shared<Snapshot>()) {
  traffic_.follow(host_, port_);
  worker_ = std::thread([this] { run(); });
}

PanelModel::~PanelModel() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
  traffic_.stop();
}

std::shared_ptr<const Snapshot> PanelModel::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::vector<MeterSample> PanelModel::history() const {
  std::lock_guard lock(mutex_);
  return {history_.begin(), history_.end()};
}

void PanelModel::refresh() {
  std::unique_lock lock(mutex_);
  const std::uint64_t asked = ++refresh_asked_;
  wake_.notify_all();
  wake_.wait(lock, [&] { return refresh_done_ >= asked || stopping_; });
}

void PanelModel::select_meter(std::optional<std::size_t> meter) {
  std::lock_guard lock(mutex_);
  if (selected_ != meter) history_.clear();
  selected_ = meter;
}

std::optional<std::size_t> PanelModel::selected_meter() const {
  std::lock_guard lock(mutex_);
  return selected_;
}

std::vector<std::string> PanelModel::command_log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

void PanelModel::queue(std::string what, Command command, Done done) {
  {
    std::lock_guard lock(mutex_);
    commands_.emplace_back(std::move(what), std::move(command), std::move(done));
  }
  wake_.notify_all();
}

void PanelModel::start_link_fault(std::size_t dtu, const LinkFaultSpec& spec, Done done) {
  const Json body{{"kind", spec.kind},         {"direction", spec.direction},
                  {"delay_ms", spec.delay_ms}, {"jitter_ms", spec.jitter_ms},
                  {"period_s", spec.period_s}, {"probability", spec.probability},
                  {"amount", spec.amount},     {"duration_s", spec.duration_s}};
  queue(
      "start " + spec.kind + " on DTU " + std::to_string(dtu),
      [dtu, body](SimLink& link) {
        return error_of(link.call("POST", "/dtus/" + std::to_string(dtu) + "/faults", body));
      },
      std::move(done));
}

void PanelModel::stop_link_fault(std::size_t dtu, std::int64_t id, Done done) {
  queue(
      "stop fault " + std::to_string(id) + " on DTU " + std::to_string(dtu),
      [dtu, id](SimLink& link) {
        return error_of(
            link.call("DELETE", "/dtus/" + std::to_string(dtu) + "/faults/" + std::to_string(id)));
      },
      std::move(done));
}

void PanelModel::set_meter_faults(std::size_t meter, const Json& faults, Done done) {
  queue(
      "set faults of meter " + std::to_string(meter),
      [meter, faults](SimLink& link) {
        return error_of(link.call("PUT", "/meters/" + std::to_string(meter) + "/faults", faults));
      },
      std::move(done));
}

void PanelModel::set_channel_short(std::size_t concentrator, std::size_t channel, bool shorted,
                                   Done done) {
  queue(
      std::string(shorted ? "short" : "clear") + " channel " + std::to_string(channel) +
          " of concentrator " + std::to_string(concentrator),
      [=](SimLink& link) {
        return error_of(link.call("PUT",
                                  "/concentrators/" + std::to_string(concentrator) + "/channels/" +
                                      std::to_string(channel) + "/short_circuit",
                                  Json{{"shorted", shorted}}));
      },
      std::move(done));
}

void PanelModel::dtu_power(std::size_t dtu, const std::string& action, Done done) {
  queue(
      action + " DTU " + std::to_string(dtu),
      [dtu, action](SimLink& link) {
        return error_of(link.call("POST", "/dtus/" + std::to_string(dtu) + "/" + action));
      },
      std::move(done));
}

void PanelModel::heal_all(Done done) {
  queue(
      "heal all", [](SimLink& link) { return error_of(link.call("POST", "/heal")); },
      std::move(done));
}

void PanelModel::pause(bool paused, Done done) {
  queue(
      paused ? "pause" : "resume",
      [paused](SimLink& link) {
        return error_of(link.call("POST", paused ? "/pause" : "/resume"));
      },
      std::move(done));
}

void PanelModel::set_pace(const std::string& pace, Done done) {
  queue(
      "pace " + pace,
      [pace](SimLink& link) {
        return error_of(link.call("PUT", "/pace", Json{{"pace", pace}}));
      },
      std::move(done));
}

void PanelModel::step(std::chrono::milliseconds wall, Done done) {
  queue(
      "step " + std::to_string(wall.count()) + " ms",
      [wall](SimLink& link) {
        if (auto e = error_of(link.call("POST", "/resume")); !e.empty()) return e;
        std::this_thread::sleep_for(wall);
        return error_of(link.call("POST", "/pause"));
      },
      std::move(done));
}

void PanelModel::attach(std::string host, std::uint16_t port) {
  {
    std::lock_guard lock(mutex_);
    if (host == host_ && port == port_) return;
    host_ = host;
    port_ = port;
    retarget_ = true;
    history_.clear();
    snapshot_ = std::make_shared<Snapshot>();
    ++refresh_asked_;
  }
  traffic_.clear();
  traffic_.follow(host, port);
  wake_.notify_all();
}

std::pair<std::string, std::uint16_t> PanelModel::attached_to() const {
  std::lock_guard lock(mutex_);
  return {host_, port_};
}

void PanelModel::run() {
  auto link = std::make_unique<SimLink>(host_, port_);
  std::unique_ptr<SimLink> master;
  if (!options_.master_host.empty())
    master = std::make_unique<SimLink>(options_.master_host, options_.master_port,
                                       options_.master_token);
  auto next_poll = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_until(lock, next_poll, [&] {
      return stopping_ || !commands_.empty() || refresh_asked_ > refresh_done_;
    });
    if (stopping_) break;
    if (retarget_) {
      retarget_ = false;
      link = std::make_unique<SimLink>(host_, port_);
    }
    while (!commands_.empty()) {
      auto [what, command, done] = std::move(commands_.front());
      commands_.pop_front();
      lock.unlock();
      const std::string error = command(*link);
      if (done) done(error);
      lock.lock();
      log_.push_back(what + (error.empty() ? ": done" : ": " + error));
      if (log_.size() > 200) log_.erase(log_.begin());
    }
    const std::uint64_t asked = refresh_asked_;
    lock.unlock();
    poll(*link, master.get());
    lock.lock();
    refresh_done_ = std::max(refresh_done_, asked);
    next_poll = std::chrono::steady_clock::now() + options_.poll_every;
    wake_.notify_all();
  }
}

MasterView PanelModel::poll_master(SimLink& link) {
  MasterView view;
  const auto dtus = link.call("GET", "/system/dtus");
  if (!std::holds_alternative<Json>(dtus)) {
    view.error = error_of(dtus);
    return view;
  }
  for (const Json& d : std::get<Json>(dtus).value("items", Json::array())) {
    MasterDtu v;
    v.online = d.value("online", false);
    v.remote = text(d, "remote");
    v.last_drop = text(d, "last_drop");
    v.registrations = integer(d, "registrations");
    v.heartbeats = integer(d, "heartbeats");
    view.dtus[text(d, "dtu_id")] = v;
  }
  const auto concentrators = link.call("GET", "/system/concentrators");
  if (!std::holds_alternative<Json>(concentrators)) {
    view.error = error_of(concentrators);
    return view;
  }
  for (const Json& c : std::get<Json>(concentrators).value("items", Json::array())) {
    MasterConcentrator v;
    v.dtu_id = text(c, "dtu_id");
    v.dtu_online = c.value("dtu_online", false);
    v.meters = integer(c, "meters");
    if (const auto last = c.find("last_cycle"); last != c.end() && last->is_object()) {
      v.last_read = integer(*last, "read");
      v.last_failed = integer(*last, "failed");
      v.last_finished_at = integer(*last, "finished_at");
    }
    view.concentrators[text(c, "name")] = v;
  }
  view.attached = true;
  return view;
}

void PanelModel::poll(SimLink& link, SimLink* master) {
  auto next = std::make_shared<Snapshot>();
  {
    std::lock_guard lock(mutex_);
    next->polls = snapshot_->polls + 1;
  }
  if (master != nullptr) next->master = poll_master(*master);
  // Not reached: the district as last seen stays on show (a finished run's), marked detached.
  auto fail = [&](const LinkResult& r) {
    std::lock_guard lock(mutex_);
    auto kept = std::make_shared<Snapshot>(*snapshot_);
    kept->attached = false;
    kept->error = error_of(r);
    kept->polls = next->polls;
    kept->master = next->master;
    snapshot_ = kept;
  };
  const auto status = link.call("GET", "/status");
  if (!std::holds_alternative<Json>(status)) return fail(status);
  const Json& s = std::get<Json>(status);
  next->virtual_time_s = number(s, "virtual_time_s");
  next->paused = s.value("paused", false);
  next->pace = text(s, "pace");
  next->seed = static_cast<std::uint64_t>(integer(s, "seed"));

  const auto dtus = link.call("GET", "/dtus");
  if (!std::holds_alternative<Json>(dtus)) return fail(dtus);
  for (const Json& d : std::get<Json>(dtus).value("dtus", Json::array())) {
    DtuView v;
    v.index = static_cast<std::size_t>(integer(d, "index"));
    v.id = text(d, "id");
    v.convention = text(d, "convention");
    v.state = text(d, "state");
    v.ip = text(d, "ip");
    v.connects = integer(d, "connects");
    v.registrations = integer(d, "registrations");
    v.heartbeats = integer(d, "heartbeats");
    v.failures = integer(d, "failures");
    v.bytes_up = integer(d, "bytes_up");
    v.bytes_down = integer(d, "bytes_down");
    const auto faults = link.call("GET", "/dtus/" + std::to_string(v.index) + "/faults");
    if (!std::holds_alternative<Json>(faults)) return fail(faults);
    for (const Json& f : std::get<Json>(faults).value("faults", Json::array()))
      v.faults.push_back(link_fault_of(f));
    next->dtus.push_back(std::move(v));
  }

  const auto concentrators = link.call("GET", "/concentrators");
  if (!std::holds_alternative<Json>(concentrators)) return fail(concentrators);
  // The last frame on each channel, from the traffic kept.
  std::map<std::string, double> last_frame;
  for (const TrafficEvent& e : traffic_.latest(TrafficFilter{"", true}, 4000))
    last_frame[e.source] = e.t;
  std::size_t first_meter = 0;
  for (const Json& c : std::get<Json>(concentrators).value("concentrators", Json::array())) {
    ConcentratorView v;
    v.index = static_cast<std::size_t>(integer(c, "index"));
    v.name = text(c, "name");
    v.archive = static_cast<std::size_t>(integer(c, "archive"));
    v.buffered = static_cast<std::size_t>(integer(c, "buffered_readings"));
    v.scanning = c.value("scanning", false);
    if (const auto dtu = c.find("dtu");
        dtu != c.end() && dtu->is_number_unsigned() && dtu->get<std::size_t>() < next->dtus.size())
      v.dtu = dtu->get<std::size_t>();
    for (const Json& ch : c.value("channels", Json::array())) {
      ChannelView cv;
      cv.index = static_cast<std::size_t>(integer(ch, "index"));
      cv.name = text(ch, "name");
      cv.baud = static_cast<int>(integer(ch, "baud"));
      cv.meters = static_cast<std::size_t>(integer(ch, "meters"));
      cv.unit_loads = number(ch, "unit_loads");
      cv.powered = ch.value("powered", true);
      cv.short_circuit = ch.value("short_circuit", false);
      cv.first_meter = first_meter;
      first_meter += cv.meters;
      if (const auto it = last_frame.find(cv.name); it != last_frame.end())
        cv.last_traffic_t = it->second;
      v.channels.push_back(std::move(cv));
    }
    next->concentrators.push_back(std::move(v));
  }

  for (std::size_t offset = 0;; offset += 1000) {
    const auto page = link.call("GET", "/meters?offset=" + std::to_string(offset) + "&limit=1000");
    if (!std::holds_alternative<Json>(page)) return fail(page);
    const Json& p = std::get<Json>(page);
    for (const Json& m : p.value("meters", Json::array())) next->meters.push_back(meter_of(m));
    if (next->meters.size() >= static_cast<std::size_t>(integer(p, "total")) ||
        p.value("meters", Json::array()).empty())
      break;
  }
  next->attached = true;
  std::optional<std::size_t> selected;
  {
    std::lock_guard lock(mutex_);
    selected = selected_;
  }
  if (selected && *selected < next->meters.size()) {
    const auto telegram = link.call("GET", "/meters/" + std::to_string(*selected) + "/telegram");
    if (const auto* t = std::get_if<Json>(&telegram))
      next->telegram = decode_telegram(text(*t, "protocol"), text(*t, "hex"));
  }
  std::lock_guard lock(mutex_);
  if (selected_ && *selected_ < next->meters.size()) {
    const MeterView& m = next->meters[*selected_];
    history_.push_back({next->virtual_time_s, m.flow_m3_per_h, m.supply_c, m.return_c, m.power_kw});
    while (history_.size() > options_.history) history_.pop_front();
  }
  snapshot_ = next;
}

}  // namespace heatlink::gui
