#include "heatlink/sim/district.h"

#include <string>

namespace heatlink::sim {

namespace {

// The kind of the `index`-th of `count` meters of a group: shares split the group into runs,
// so that the same group always gives the same kinds in the same places.
MeterKind kind_at(const MeterGroup& g, std::size_t index) noexcept {
  double total = 0;
  for (const auto& [kind, share] : g.mix) total += share;
  const double position = (static_cast<double>(index) + 0.5) / static_cast<double>(g.count) * total;
  double cumulative = 0;
  for (const auto& [kind, share] : g.mix) {
    cumulative += share;
    if (position < cumulative) return kind;
  }
  return g.mix.back().first;
}

}  // namespace

District::District(const Topology& topology, std::uint64_t seed, Trace* trace, ServerEnd* server)
    : seed_(seed), calendar_(topology.start), weather_(topology.weather) {
  for (const StationSpec& s : topology.stations) {
    const HeatStation& station =
        stations_.emplace_back(HeatStation{&calendar_, &weather_, s.curve, true});
    for (const ConcentratorSpec& c : s.concentrators) {
      Hm660& hm660 = concentrators_.emplace_back(queue_, c.config, trace);
      hm660.set_calendar(&calendar_);
      for (const ChannelSpec& channel : c.channels) {
        hm660.add_channel(channel.segment, seed ^ fnv1a(channel.segment.name));
        const std::size_t index = hm660.channel_count() - 1;
        for (const MeterGroup& g : channel.groups) {
          for (std::size_t i = 0; i < g.count; ++i) {
            const auto id = static_cast<std::uint32_t>(g.first_id + i);
            const int primary = g.first_primary == 0 ? 0 : g.first_primary + static_cast<int>(i);
            // Each meter draws from its own stream: adding a meter changes no other meter.
            RandomStream random = RandomStream::derive(seed, "meter/" + std::to_string(id));
            const Household household = Household::draw(random);
            const double energy = random.uniform(g.energy_min_kwh, g.energy_max_kwh);
            HeatMeterModel model(household, 0, energy, energy * random.uniform(0.015, 0.03));
            model.set_faults(g.physical);
            const MeterIdentity identity{bcd_id(id),
                                         static_cast<std::uint8_t>(primary <= 250 ? primary : 0),
                                         g.energy_unit, g.cjt188};
            SimulatedMeter& meter =
                meters_.emplace_back(kind_at(g, i), identity, model, station, queue_);
            meter.set_data_set(g.data_set);
            hm660.attach(index, meter, g.link);
          }
        }
      }
      dtu_of_.emplace_back();
      if (server != nullptr && c.dtu) {
        wire_dtu(hm660, *c.dtu, *server, trace);
        dtu_of_.back() = dtus_.size() - 1;
      }
    }
  }
}

void District::wire_dtu(Hm660& hm660, const DtuSpec& spec, ServerEnd& server, Trace* trace) {
  // Each link numbers its connections in a range of its own: ids are unique in the district.
  const std::uint64_t first_connection = (std::uint64_t{links_.size()} + 1) << 32;
  GprsLink& link =
      links_.emplace_back(queue_, server, seed_, spec.config.profile.id, trace, first_connection);
  for (const LinkFault& f : link_preset(spec.link)) link.start(f);
  Md109g& dtu = dtus_.emplace_back(queue_, spec.config, seed_, link, trace);
  link.bind(dtu);
  SerialLine& line = serial_lines_.emplace_back(queue_, seed_ ^ fnv1a(spec.config.profile.id));
  hm660.set_rs232_sender([&line, &dtu](protocol::Bytes b) {
    line.carry(b, [&dtu](protocol::Bytes bytes) { dtu.serial_receive(bytes); });
  });
  dtu.set_serial_sender([&line, &hm660](protocol::Bytes b) {
    line.carry(b, [&hm660](protocol::Bytes bytes) { hm660.receive_rs232(bytes); });
  });
}

void District::power_on_dtus() {
  for (Md109g& d : dtus_) d.power_on();
}

void District::keep_answers(std::size_t count) {
  for (SimulatedMeter& m : meters_) m.keep_answers(count);
}

Hm660* District::find_concentrator(std::string_view name) {
  for (Hm660& c : concentrators_) {
    if (c.config().name == name) return &c;
  }
  return nullptr;
}

}  // namespace heatlink::sim
