// Topology files: what they build, how they fail, and the determinism of a whole district.
#include "heatlink/sim/topology.h"

#include <gtest/gtest.h>

#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/frame_stream.h"
#include "heatlink/protocol/mbus_request.h"
#include "heatlink/sim/district.h"

namespace heatlink::sim {
namespace {

namespace mbus = protocol::mbus;

constexpr std::string_view kSmall = R"(
start: "2026-12-01T00:00:00"
stations:
  - name: s1
    concentrators:
      - name: hm
        channels:
          - name: a
            meters:
              - mix: {multical403: 50, sharky775: 50}
                count: 4
                id: 12345670
                primary: 249
              - kind: cjt188_heat
                count: 2
                id: 30000001
                primary: 0
          - name: b
            baud: 9600
            meters:
              - kind: sonometer30
                data_set: all
                faults: {no_response: 0.5, physical: [low_battery]}
)";

Topology parse(std::string_view text) {
  auto result = parse_topology(text, "test.yaml");
  if (const auto* error = std::get_if<TopologyError>(&result)) {
    ADD_FAILURE() << error->to_string();
    return {};
  }
  return std::get<Topology>(result);
}

TopologyError error_of(std::string_view text) {
  auto result = parse_topology(text, "bad.yaml");
  EXPECT_TRUE(std::holds_alternative<TopologyError>(result));
  return std::holds_alternative<TopologyError>(result) ? std::get<TopologyError>(result)
                                                       : TopologyError{};
}

TEST(Topology, ParsesStationsConcentratorsChannelsAndMeterGroups) {
  const Topology t = parse(kSmall);
  ASSERT_EQ(t.stations.size(), 1u);
  EXPECT_EQ(t.meter_count(), 7u);
  const auto& channels = t.stations[0].concentrators.at(0).channels;
  ASSERT_EQ(channels.size(), 2u);
  EXPECT_EQ(channels[0].segment.name, "hm/a");
  EXPECT_EQ(channels[1].segment.baud, 9600u);
  EXPECT_EQ(channels[1].groups[0].data_set, DataSet::all);
  EXPECT_EQ(channels[1].groups[0].link.no_response, 0.5);
  EXPECT_EQ(channels[1].groups[0].physical.flags, MeterFaults::low_battery);
  EXPECT_EQ(t.start.month, 12);
}

TEST(Topology, BuildsTheDistrictItDescribes) {
  District d(parse(kSmall), 1);
  ASSERT_EQ(d.meter_count(), 7u);
  EXPECT_EQ(d.meter(0).kind(), MeterKind::multical403);
  EXPECT_EQ(d.meter(3).kind(), MeterKind::sharky775);
  EXPECT_EQ(d.meter(0).identity().id, 0x12345670u);
  EXPECT_EQ(d.meter(1).identity().primary, 250);
  EXPECT_EQ(d.meter(2).identity().primary, 0);  // past 250: secondary addressing only
  EXPECT_EQ(d.meter(4).kind(), MeterKind::cjt188_heat);
  EXPECT_EQ(d.meter(6).data_set(), DataSet::all);
  EXPECT_EQ(d.meter(6).baud(), 2400u);
  ASSERT_NE(d.find_concentrator("hm"), nullptr);
  EXPECT_EQ(d.find_concentrator("hm")->channel_count(), 2u);
}

TEST(Topology, AddingAMeterChangesNoOtherMetersDraws) {
  std::string bigger(kSmall);
  bigger.replace(bigger.find("count: 4"), 8, "count: 5");
  District a(parse(kSmall), 9), b(parse(bigger), 9);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(a.meter(i).model().state().energy_kwh, b.meter(i).model().state().energy_kwh);
  }
}

TEST(Topology, NamesFileLineColumnAndKeyAndSuggestsTheNearestKey) {
  const TopologyError e = error_of(
      "stations:\n  - name: s\n    concentrators:\n      - name: c\n        chanels: []\n");
  EXPECT_EQ(e.file, "bad.yaml");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 9);
  EXPECT_EQ(e.key, "chanels");
  EXPECT_EQ(e.to_string(), "bad.yaml:5:9: key 'chanels': unknown key (did you mean 'channels'?)");
}

TEST(Topology, RefusesBadValuesWithTheirPlace) {
  EXPECT_NE(error_of("stations: []").message.find("at least one station"), std::string::npos);
  const std::string channel = "stations:\n- concentrators:\n  - channels:\n    - ";
  EXPECT_EQ(error_of(channel + "baud: 2500\n").key, "baud");
  const TopologyError kind = error_of(channel + "meters:\n      - kind: landis\n");
  EXPECT_EQ(kind.key, "kind");
  EXPECT_EQ(kind.line, 5);
  EXPECT_NE(kind.message.find("multical403"), std::string::npos);
  EXPECT_EQ(error_of(channel + "meters:\n      - {count: 10, id: 99999995}\n").key, "id");
  EXPECT_EQ(error_of(channel + "meters:\n      - {faults: {no_response: 2}}\n").key, "no_response");
  EXPECT_EQ(error_of(channel + "meters:\n      - {template: nope}\n").key, "template");
  EXPECT_EQ(error_of("start: yesterday\nstations: []").key, "start");
}

// Numbers are finite: .nan and .inf took the meters' energy before (and a scan then found
// nonsense addresses in their telegrams).
TEST(Topology, RefusesANumberThatIsNotFinite) {
  const std::string channel = "stations:\n- concentrators:\n  - channels:\n    - ";
  const TopologyError e = error_of(channel + "meters:\n      - {energy_kwh: [.nan, .inf]}\n");
  EXPECT_EQ(e.key, "energy_kwh");
  EXPECT_EQ(e.line, 5);
  EXPECT_NE(e.message.find("finite"), std::string::npos) << e.to_string();
  EXPECT_EQ(error_of("weather: {annual_mean: .inf}\nstations: []").key, "annual_mean");
}

// Two DTUs with one ID is a typo (the master would take one for the other), unless the second
// says it claims the ID on purpose.
TEST(Topology, TwoDtusWithOneIdAreRefusedUnlessTheSecondSaysItIsACloneOnPurpose) {
  const std::string two = R"(stations:
  - concentrators:
      - name: a
        channels: [{meters: [{count: 1, id: 10000001, primary: 1}]}]
        dtu: {id: "13800000001"}
      - name: b
        channels: [{meters: [{count: 1, id: 10000002, primary: 1}]}]
        dtu: {id: "13800000001")";
  const TopologyError e = error_of(two + "}\n");
  EXPECT_EQ(e.key, "id");
  EXPECT_EQ(e.line, 8);
  EXPECT_NE(e.message.find("line 5"), std::string::npos) << e.to_string();
  EXPECT_NE(e.message.find("cloned: true"), std::string::npos) << e.to_string();
  EXPECT_EQ(parse(two + ", cloned: true}\n").stations[0].concentrators.size(), 2u);
}

// Text that is not UTF-8 is refused where it stands (the master crashed serving it before).
TEST(Topology, RefusesTextThatIsNotUtf8AtItsPlace) {
  const TopologyError e = error_of("stations:\n  - name: s\xE4\xFF\n    concentrators: []\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 12);
  EXPECT_NE(e.message.find("not UTF-8 (byte 0xE4)"), std::string::npos) << e.to_string();
  EXPECT_EQ(error_of("stations:\n  - name: \xE5\x8C\x97\xFF\n").column, 12)
      << "the column counts characters: 北 is one";
}

TEST(Topology, ReportsYamlSyntaxErrorsByLine) {
  const TopologyError e = error_of("stations:\n  - name: [unclosed\n");
  EXPECT_GE(e.line, 2);
  EXPECT_FALSE(e.message.empty());
}

TEST(Topology, LoadsTheBundledSmallDistrict) {
  auto result = load_topology(HEATLINK_SOURCE_DIR "/scenarios/topologies/small-district.yaml");
  ASSERT_TRUE(std::holds_alternative<Topology>(result))
      << std::get<TopologyError>(result).to_string();
  EXPECT_EQ(std::get<Topology>(result).meter_count(), 310u);
}

// Reads every meter of the district through the concentrator's RS-232 side for a simulated
// day and returns the trace hash.
std::uint64_t day_of_reads(std::uint64_t seed) {
  Trace trace;
  District d(parse(kSmall), seed, &trace);
  Hm660& hm = d.concentrator(0);
  std::size_t replies = 0;
  hm.set_rs232_sender([&](protocol::Bytes b) {
    trace.record(d.queue().now(), "master", "received", b);
    ++replies;
  });
  for (Micros t = 0; t < days(1); t += hours(1)) {
    d.queue().run_until(t);
    for (std::size_t i = 0; i < d.meter_count(); ++i) {
      SimulatedMeter& m = d.meter(i);
      const protocol::FrameBytes request =
          m.kind() == MeterKind::cjt188_heat
              ? protocol::cjt188::read_data(protocol::cjt188::kHeatHeating,
                                            m.identity().cjt188_address(),
                                            protocol::cjt188::kDiCurrentData, 1)
              : mbus::select_secondary(mbus::SecondaryAddress{m.identity().id, 0xFFFF, 0xFF, 0xFF});
      hm.receive_rs232(request.view());
      d.queue().run_until(d.queue().now() + seconds(3));
      if (m.kind() != MeterKind::cjt188_heat) {
        hm.receive_rs232(mbus::req_ud2(mbus::kAddressSelected, true).view());
        d.queue().run_until(d.queue().now() + seconds(3));
      }
    }
  }
  EXPECT_GT(replies, 100u);
  return trace.hash();
}

TEST(Determinism, OneSeedGivesOneTraceAnotherSeedAnother) {
  const std::uint64_t first = day_of_reads(7);
  EXPECT_EQ(day_of_reads(7), first);
  EXPECT_NE(day_of_reads(8), first);
}

}  // namespace
}  // namespace heatlink::sim
