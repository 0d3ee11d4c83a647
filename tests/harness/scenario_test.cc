// The scenario loader: every error names file, line, column and key, and suggests the nearest
// valid key or name; a valid scenario reads completely.
#include "heatlink/harness/scenario.h"

#include <gtest/gtest.h>

#include <string>

namespace {

namespace harness = heatlink::harness;

constexpr const char* kValid = R"(meta:
  id: t
  seed: 9
  duration: 1h30m
topology:
  start: "2026-12-01T00:00:00"
  stations:
    - name: s
      concentrators:
        - name: c
          dtu: {id: "13800000001", heartbeat_s: 30}
          channels:
            - meters:
                - {kind: multical403, count: 2, id: 10000001, primary: 1}
master:
  schedules: [{name: q, every_s: 900}]
timeline:
  - {at: 10m, do: link_fault, dtu: "13800000001", fault: {kind: loss, probability: 0.5}, for: 5m}
  - {every: 15m, until: 1h, do: manual_read, meter: "10000001", name: r}
  - {when: {event: dtu_offline, dtu: "13800000001"}, do: heal_all}
expectations:
  steady_state:
    - {check: read_success_rate}
  checks:
    - {check: manual_read_latency, action: r, max: 60}
    - {check: fault_raised, code: low_battery, from: 5m, to: 1h}
)";

harness::ScenarioError error_of(const std::string& text) {
  auto loaded = harness::parse_scenario(text, "s.yaml");
  EXPECT_TRUE(std::holds_alternative<harness::ScenarioError>(loaded)) << text;
  if (auto* e = std::get_if<harness::ScenarioError>(&loaded)) return *e;
  return {};
}

// kValid with one line replaced.
std::string with(const std::string& from, const std::string& to) {
  std::string text = kValid;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(ScenarioLoader, ReadsEveryPart) {
  auto loaded = harness::parse_scenario(kValid, "s.yaml");
  ASSERT_TRUE(std::holds_alternative<harness::Scenario>(loaded))
      << std::get<harness::ScenarioError>(loaded).to_string();
  const auto& s = std::get<harness::Scenario>(loaded);
  EXPECT_EQ(s.meta.id, "t");
  EXPECT_EQ(s.meta.seed, 9u);
  EXPECT_EQ(s.meta.duration, 5400);
  EXPECT_EQ(s.topology.meter_count(), 2u);
  ASSERT_EQ(s.master.dispatcher.schedules.size(), 1u);
  EXPECT_EQ(s.master.dispatcher.schedules[0].every_s, 900);
  ASSERT_EQ(s.timeline.size(), 3u);
  EXPECT_EQ(s.timeline[0].action.kind, harness::ActionKind::link_fault);
  EXPECT_EQ(s.timeline[0].action.fault.kind, heatlink::sim::FaultKind::loss);
  EXPECT_EQ(s.timeline[0].action.lasting, 300);
  EXPECT_EQ(s.timeline[0].line, 18);
  EXPECT_EQ(s.timeline[1].trigger.every, 900);
  EXPECT_EQ(s.timeline[2].trigger.when, harness::EventKind::dtu_offline);
  EXPECT_EQ(s.timeline[2].trigger.when_target, "13800000001");
  ASSERT_EQ(s.expectations.checks.size(), 2u);
  EXPECT_EQ(s.expectations.checks[1].from, 300);
  EXPECT_EQ(s.expectations.checks[1].to, 3600);
}

TEST(ScenarioLoader, DurationsInEveryUnit) {
  EXPECT_EQ(harness::parse_duration("90"), 90);
  EXPECT_EQ(harness::parse_duration("90s"), 90);
  EXPECT_EQ(harness::parse_duration("15m"), 900);
  EXPECT_EQ(harness::parse_duration("1h30m"), 5400);
  EXPECT_EQ(harness::parse_duration("2d"), 172800);
  EXPECT_FALSE(harness::parse_duration(""));
  EXPECT_FALSE(harness::parse_duration("1h30"));
  EXPECT_FALSE(harness::parse_duration("10x"));
  EXPECT_FALSE(harness::parse_duration("-5m"));
  // What the fuzzer found: a number whose product with its unit overflows.
  EXPECT_FALSE(harness::parse_duration("1h305555151453061574m"));
  EXPECT_FALSE(harness::parse_duration("9223372036854775807s"));
  EXPECT_EQ(harness::parse_duration("36500d"), std::int64_t{36500} * 86400);
}

TEST(ScenarioLoader, AnUnknownKeySuggestsTheNearest) {
  const auto e = error_of(with("  seed: 9", "  sead: 9"));
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 3);
  EXPECT_EQ(e.key, "sead");
  EXPECT_EQ(e.to_string(), "s.yaml:3:3: key 'sead': unknown key in meta (did you mean 'seed'?)");
}

TEST(ScenarioLoader, AnUnknownActionOrCheckOrFaultIsNamed) {
  auto e = error_of(with("do: heal_all", "do: heal_al"));
  EXPECT_EQ(e.key, "do");
  EXPECT_NE(e.message.find("did you mean 'heal_all'"), std::string::npos) << e.message;
  e = error_of(with("check: manual_read_latency", "check: manual_read_latncy"));
  EXPECT_NE(e.message.find("did you mean 'manual_read_latency'"), std::string::npos);
  e = error_of(with("kind: loss", "kind: los"));
  EXPECT_EQ(e.key, "kind");
  EXPECT_EQ(e.line, 18);
  EXPECT_NE(e.message.find("did you mean 'loss'"), std::string::npos) << e.message;
}

TEST(ScenarioLoader, BadValuesNameTheirPlace) {
  auto e = error_of(with("duration: 1h30m", "duration: soon"));
  EXPECT_EQ(e.line, 4);
  EXPECT_EQ(e.key, "duration");
  EXPECT_NE(e.message.find("'soon'"), std::string::npos);
  e = error_of(with("probability: 0.5", "probability: 1.5"));
  EXPECT_EQ(e.key, "probability");
  EXPECT_NE(e.message.find("out of range [0, 1]"), std::string::npos);
  e = error_of(with("{check: manual_read_latency, action: r, max: 60}",
                    "{check: manual_read_latency, action: r}"));
  EXPECT_EQ(e.key, "max");
  e = error_of(with(", dtu: \"13800000001\", fault:", ", fault:"));
  EXPECT_EQ(e.key, "dtu");
  EXPECT_NE(e.message.find("link_fault needs `dtu`"), std::string::npos);
  e = error_of(with("{at: 10m, do: link_fault", "{do: link_fault"));
  EXPECT_NE(e.message.find("give `at`, `every` or `when`"), std::string::npos);
  e = error_of(with("from: 5m, to: 1h", "from: 1h, to: 5m"));
  EXPECT_NE(e.message.find("ends before it begins"), std::string::npos);
  const std::string fault =
      "do: link_fault, dtu: \"13800000001\", fault: {kind: loss, probability: 0.5}";
  e = error_of(with(fault, "do: meter_replace, meter: \"10000001\", new_id: \"2000041\""));
  EXPECT_EQ(e.key, "new_id");
  EXPECT_NE(e.message.find("8-digit identification"), std::string::npos) << e.message;
  e = error_of(with(fault, "do: meter_replace, meter: \"10000001\""));
  EXPECT_NE(e.message.find("meter_replace needs `new_id`"), std::string::npos) << e.message;
}

// The names a file's checks and timeline give are held against its topology (and fault codes
// against the master's catalogue) when it loads, at the key's line and column, not after a
// run; a key given twice in a mapping is refused where the second one stands.
TEST(ScenarioLoader, NamesAndDuplicateKeysAreCheckedWhenTheFileLoads) {
  auto e = error_of(with("meter: \"10000001\", name: r", "meter: \"10000003\", name: r"));
  EXPECT_EQ(e.key, "meter");
  EXPECT_EQ(e.line, 19);
  EXPECT_NE(e.message.find("no meter '10000003' in the topology (meters: 10000001-10000002)"),
            std::string::npos)
      << e.message;
  e = error_of(with("{at: 10m, do: link_fault, dtu: \"13800000001\"",
                    "{at: 10m, do: link_fault, dtu: \"13800000010\""));
  EXPECT_EQ(e.key, "dtu");
  EXPECT_NE(e.message.find("did you mean '13800000001'"), std::string::npos) << e.message;
  e = error_of(with("code: low_battery", "code: low_batery"));
  EXPECT_EQ(e.key, "code");
  EXPECT_EQ(e.line, 26);
  EXPECT_NE(e.message.find("did you mean 'low_battery'"), std::string::npos) << e.message;
  EXPECT_TRUE(std::holds_alternative<harness::Scenario>(
      harness::parse_scenario(with("code: low_battery", "code: custom:too_hot"), "s.yaml")))
      << "a custom rule's code";
  e = error_of(with("{check: manual_read_latency, action: r, max: 60}",
                    "{check: read_success_rate, concentrator: d}"));
  EXPECT_NE(e.message.find("no concentrator 'd' in the topology (did you mean 'c'?)"),
            std::string::npos)
      << e.message;
  e = error_of(with("{check: manual_read_latency, action: r, max: 60}",
                    "{check: missed_slots, station: t}"));
  EXPECT_EQ(e.key, "station");
  e = error_of(with("  seed: 9\n", "  seed: 9\n  title: a\n  seed: 10\n"));
  EXPECT_EQ(e.key, "seed");
  EXPECT_EQ(e.line, 5);
  EXPECT_NE(e.message.find("given twice in one mapping (first at line 3)"), std::string::npos)
      << e.message;
  e = error_of(with("fault: {kind: loss, probability: 0.5}",
                    "fault: {kind: loss, probability: 0.5, kind: reset}"));
  EXPECT_EQ(e.key, "kind");
  EXPECT_EQ(e.line, 18);
}

// Power cuts name a concentrator or a community the topology has; API calls stay in the API.
TEST(ScenarioLoader, PowerAndMasterApiEntriesAreCheckedWhenTheFileLoads) {
  const std::string community =
      with("        - name: c\n", "        - name: c\n          community: east\n");
  const auto entry = [&](const std::string& line) {
    std::string text = community;
    return text.replace(text.find("  - {when:"), 0, line + "\n");
  };
  const auto loaded =
      harness::parse_scenario(entry("  - {at: 5m, do: concentrator_power, community: east, "
                                    "power: cycle, down_for: 10m}"),
                              "s.yaml");
  ASSERT_TRUE(std::holds_alternative<harness::Scenario>(loaded));
  const harness::Action& power = std::get<harness::Scenario>(loaded).timeline[2].action;
  EXPECT_EQ(power.kind, harness::ActionKind::concentrator_power);
  EXPECT_EQ(power.community, "east");
  EXPECT_EQ(power.down_for, 600);

  auto e = error_of(entry("  - {at: 5m, do: concentrator_power, community: west}"));
  EXPECT_EQ(e.key, "community");
  EXPECT_NE(e.message.find("no community 'west' in the topology"), std::string::npos) << e.message;
  e = error_of(entry("  - {at: 5m, do: concentrator_power, power: \"off\"}"));
  EXPECT_NE(e.message.find("needs `concentrator` or `community`"), std::string::npos) << e.message;
  e = error_of(entry("  - {at: 5m, do: concentrator_power, concentrator: c, power: reboot}"));
  EXPECT_EQ(e.key, "power");
  e = error_of(entry("  - {at: 5m, do: master_api, method: POST, path: /metrics}"));
  EXPECT_EQ(e.key, "path");
  e = error_of(
      entry("  - {at: 5m, do: master_api, method: PUT, path: \"/api/v1/meters/{meter}\"}"));
  EXPECT_NE(e.message.find("{meter} in the path needs `meter`"), std::string::npos) << e.message;
  e =
      error_of(entry("  - {at: 5m, do: master_api, method: PUT, path: \"/api/v1/meters/{meter}\", "
                     "meter: \"10000001\", body: '[1, 2]'}"));
  EXPECT_EQ(e.key, "body");
  e = error_of(entry("  - {at: 5m, do: master_api, method: FETCH, path: /api/v1/meters}"));
  EXPECT_EQ(e.key, "method");
}

TEST(ScenarioLoader, TopologyAndMasterErrorsKeepTheScenarioFilesLines) {
  auto e = error_of(with("kind: multical403, count: 2", "kind: multical403, cout: 2"));
  EXPECT_EQ(e.file, "s.yaml");
  EXPECT_EQ(e.line, 14);
  EXPECT_NE(e.message.find("did you mean 'count'"), std::string::npos) << e.message;
  e = error_of(with("every_s: 900", "every_s: 7"));
  EXPECT_NE(e.to_string().find("s.yaml:16:"), std::string::npos) << e.to_string();
  EXPECT_NE(e.to_string().find("every_s"), std::string::npos);
}

TEST(ScenarioLoader, BrokenYamlAndMissingPartsAreErrors) {
  auto e = error_of("meta: {id: x\n");
  EXPECT_EQ(e.file, "s.yaml");
  EXPECT_GT(e.line, 0);
  e = error_of("meta: {id: x}\n");
  EXPECT_EQ(e.key, "topology");
  e = error_of(with("  checks:\n", "  chekcs:\n"));
  EXPECT_NE(e.message.find("did you mean 'checks'"), std::string::npos);
  e = error_of("- a\n- b\n");
  EXPECT_NE(e.message.find("a scenario is a mapping"), std::string::npos);
  const auto missing = harness::load_scenario("/nonexistent/x.yaml");
  ASSERT_TRUE(std::holds_alternative<harness::ScenarioError>(missing));
  EXPECT_EQ(std::get<harness::ScenarioError>(missing).to_string(),
            "/nonexistent/x.yaml: cannot read the file");
}

}  // namespace
