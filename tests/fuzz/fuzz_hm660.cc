// The HM-660's RS-232 side on arbitrary bytes: transparent frames and concentrator-mode
// commands alike. No crash, no read outside a frame, whatever the master sends.
#include <cstdint>
#include <deque>
#include <vector>

#include "heatlink/protocol/hm660.h"
#include "heatlink/sim/hm660.h"

namespace sim = heatlink::sim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sim::EventQueue queue;
  const sim::Calendar calendar;
  const sim::WeatherProfile weather;
  const sim::HeatStation station{&calendar, &weather, sim::HeatingCurve{}, true};
  std::deque<sim::SimulatedMeter> meters;
  sim::Hm660 hm(queue, sim::Hm660Config{}, nullptr);
  hm.set_calendar(&calendar);
  hm.add_channel(sim::SegmentConfig{"a", 2400, false, 64}, 1);
  sim::MeterIdentity identity;
  identity.id = 0x10000001;
  identity.primary = 1;
  meters.emplace_back(sim::MeterKind::multical403, identity,
                      sim::HeatMeterModel(sim::Household{}, 0), station, queue);
  hm.attach(0, meters.back());
  std::size_t upstream = 0;
  hm.set_rs232_sender([&upstream](heatlink::protocol::Bytes b) { upstream += b.size(); });
  // The input as RS-232 bytes, in two halves, with time between them.
  hm.receive_rs232({data, size / 2});
  queue.run_until(sim::seconds(3));
  hm.receive_rs232({data + size / 2, size - size / 2});
  queue.run_until(sim::minutes(3));  // scans and cycles started by the input run a while
  return 0;
}
