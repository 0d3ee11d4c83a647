#include "heatlink/sim/base_information.h"

#include <yaml-cpp/yaml.h>

#include <map>

namespace heatlink::sim {

std::string base_information_yaml(const Topology& topology, District& district) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "stations" << YAML::Value << YAML::BeginSeq;
  std::size_t index = 0;  // the district's meters come in topology order
  for (const StationSpec& station : topology.stations) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << station.name;
    out << YAML::Key << "concentrators" << YAML::Value << YAML::BeginSeq;
    for (const ConcentratorSpec& c : station.concentrators) {
      // Primary addresses in use on this concentrator, to see which are unique.
      std::map<std::uint8_t, int> primaries;
      std::size_t count = 0;
      for (const ChannelSpec& channel : c.channels) {
        for (const MeterGroup& g : channel.groups) count += g.count;
      }
      for (std::size_t i = index; i < index + count; ++i) {
        const SimulatedMeter& m = district.meter(i);
        if (speaks_mbus(m.kind()) && m.identity().primary != 0) ++primaries[m.identity().primary];
      }
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << c.config.name;
      if (!c.community.empty()) out << YAML::Key << "community" << YAML::Value << c.community;
      if (c.dtu) {
        out << YAML::Key << "dtu" << YAML::Value << YAML::DoubleQuoted << c.dtu->config.profile.id;
      }
      out << YAML::Key << "meters" << YAML::Value << YAML::BeginSeq;
      for (std::size_t channel = 0; channel < c.channels.size(); ++channel) {
        for (const MeterGroup& g : c.channels[channel].groups) {
          for (std::size_t i = 0; i < g.count; ++i) {
            const SimulatedMeter& m = district.meter(index++);
            const MeterIdentity& id = m.identity();
            out << YAML::Flow << YAML::BeginMap << YAML::Key << "channel" << YAML::Value << channel;
            if (!speaks_mbus(m.kind())) {
              out << YAML::Key << "protocol" << YAML::Value << "cjt188" << YAML::Key << "address"
                  << YAML::Value << YAML::DoubleQuoted << id.cjt188_address().to_string();
            } else {
              // Read by primary address where it is unique on the concentrator (the identity
              // checked on every answer), else by selecting the secondary address.
              if (id.primary != 0 && primaries[id.primary] == 1)
                out << YAML::Key << "primary" << YAML::Value << static_cast<unsigned>(id.primary);
              protocol::mbus::SecondaryAddress a;
              a.id = id.id;
              a.manufacturer = id.manufacturer(m.kind());
              a.version = id.version(m.kind());
              a.medium = id.medium(m.kind());
              out << YAML::Key << "secondary" << YAML::Value << YAML::DoubleQuoted << a.to_string();
            }
            out << YAML::Key << "vendor" << YAML::Value << meter_kind_name(m.kind())
                << YAML::EndMap;
          }
        }
      }
      out << YAML::EndSeq << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace heatlink::sim
