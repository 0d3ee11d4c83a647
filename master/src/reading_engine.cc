#include "heatlink/master/reading_engine.h"

#include "heatlink/master/reading_extract.h"
#include "heatlink/protocol/cjt188_procedures.h"
#include "heatlink/protocol/mbus_procedures.h"

namespace heatlink::master {

namespace {

namespace mbus = protocol::mbus;
namespace cjt188 = protocol::cjt188;

// How the engine reaches a meter, from its base information.
std::variant<mbus::Target, cjt188::MeterId, std::string> target_of(const MeterRecord& m) {
  if (m.protocol == MeterProtocol::cjt188) {
    auto address = cjt188::Address::parse(m.secondary_address);
    if (!address)
      return "meter " + std::to_string(m.id) + ": CJ/T 188 address '" + m.secondary_address + "'";
    cjt188::MeterId id;
    id.address = *address;
    return id;
  }
  if (m.secondary_address.empty()) {
    mbus::Target t;
    t.primary = m.primary_address;
    return t;
  }
  auto secondary = mbus::SecondaryAddress::parse(m.secondary_address);
  if (!secondary)
    return "meter " + std::to_string(m.id) + ": secondary address '" + m.secondary_address + "'";
  mbus::Target t;
  t.by_secondary = true;
  t.secondary = *secondary;
  return t;
}

}  // namespace

struct ReadingEngine::Cycle {
  ConcentratorRecord concentrator;
  std::vector<MeterRecord> meters;
  std::size_t index = 0;
  std::vector<Reading> readings;
  CycleStats stats;
  std::function<void(const CycleStats&)> done;
};

ReadingEngine::ReadingEngine(Storage& storage, RunProcedure run, Now now, EngineOptions options)
    : storage_(storage), run_(std::move(run)), now_(std::move(now)), options_(options) {}

bool ReadingEngine::read_concentrator(const ConcentratorRecord& concentrator,
                                      std::function<void(const CycleStats&)> done) {
  if (busy(concentrator.id)) return false;
  auto cycle = std::make_shared<Cycle>();
  cycle->concentrator = concentrator;
  cycle->done = std::move(done);
  cycle->stats.concentrator_id = concentrator.id;
  cycle->stats.concentrator = concentrator.name;
  cycle->stats.started_at = now_();
  auto meters = storage_.meters_of(concentrator.id);
  if (auto* e = std::get_if<StorageError>(&meters)) {
    cycle->stats.error = e->message;
    cycle->stats.finished_at = now_();
    cycle->done(cycle->stats);
    return true;
  }
  cycle->meters = std::move(std::get<std::vector<MeterRecord>>(meters));
  cycle->stats.meters = cycle->meters.size();
  cycles_[concentrator.id] = cycle;
  next(cycle);
  return true;
}

void ReadingEngine::next(const std::shared_ptr<Cycle>& cycle) {
  if (cycle->index >= cycle->meters.size()) return finish(cycle);
  const MeterRecord meter = cycle->meters[cycle->index++];
  const auto target = target_of(meter);
  if (std::holds_alternative<std::string>(target)) {  // base information the line cannot use
    ++cycle->stats.failed;
    return next(cycle);
  }
  ExtractOptions extract;
  extract.meter_id = meter.id;
  extract.keep_raw = options_.keep_raw;
  extract.meter_utc_offset_s = options_.meter_utc_offset_s;
  if (const auto* cjt = std::get_if<cjt188::MeterId>(&target)) {
    auto read = std::make_shared<cjt188::DataRead>(*cjt, cjt188::kDiCurrentData, options_.retries);
    run_(cycle->concentrator.dtu_id, read,
         [this, cycle, read, extract](const IoStatus& io) mutable {
           if (!io.ok()) return line_failed(cycle, io);
           extract.received_at = now_();
           record(cycle, read->verdict() == protocol::link::Verdict::ok
                             ? reading_from_cjt188(read->reply(), extract)
                             : std::variant<Reading, std::string>(read->problem()));
         });
    return;
  }
  mbus::ReadOptions read_options;
  read_options.retries = options_.retries;
  auto read = std::make_shared<mbus::MeterRead>(std::get<mbus::Target>(target), read_options);
  run_(cycle->concentrator.dtu_id, read, [this, cycle, read, extract](const IoStatus& io) mutable {
    if (!io.ok()) return line_failed(cycle, io);
    extract.received_at = now_();
    record(cycle, read->verdict() == protocol::link::Verdict::ok
                      ? reading_from_mbus(read->telegrams(), extract)
                      : std::variant<Reading, std::string>(read->problem()));
  });
}

void ReadingEngine::record(const std::shared_ptr<Cycle>& cycle,
                           std::variant<Reading, std::string> reading) {
  if (auto* r = std::get_if<Reading>(&reading)) {
    cycle->readings.push_back(std::move(*r));
    ++cycle->stats.read;
  } else {
    ++cycle->stats.failed;
  }
  next(cycle);
}

void ReadingEngine::line_failed(const std::shared_ptr<Cycle>& cycle, const IoStatus& io) {
  ++cycle->stats.failed;  // the meter being read
  cycle->stats.error = io.error;
  finish(cycle);
}

void ReadingEngine::finish(const std::shared_ptr<Cycle>& cycle) {
  // Meters not reached (the line failed) count as failed.
  cycle->stats.failed += cycle->meters.size() - cycle->index;
  cycle->index = cycle->meters.size();
  if (!cycle->readings.empty()) {
    auto stored = storage_.store_readings(cycle->readings);
    if (auto* e = std::get_if<StorageError>(&stored)) {
      cycle->stats.error = e->message;
    } else {
      cycle->stats.stored = std::get<std::size_t>(stored);
    }
  }
  cycle->stats.finished_at = now_();
  cycles_.erase(cycle->concentrator.id);
  cycle->done(cycle->stats);
}

}  // namespace heatlink::master
