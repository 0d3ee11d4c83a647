// Live runs: `heatlink master` and `heatlink sim` as processes over real TCP.
#include "heatlink/harness/run.h"

namespace heatlink::harness {

RunReport run_live(const Scenario& scenario, const RunOptions& options) {
  RunReport report;
  report.scenario = scenario.meta.id;
  report.file = scenario.file;
  report.seed = options.seed.value_or(scenario.meta.seed);
  report.live = true;
  report.error = "live runs are not built yet";
  return report;
}

}  // namespace heatlink::harness
