// Reports of runs: a console summary, JUnit XML (a testsuite per scenario, a testcase per
// check, properties for seed, pace and version), and the run's verdict and replay command.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>

#include "heatlink/harness/run.h"
#include "run_record.h"

namespace heatlink::harness {

namespace {

std::string xml_escape(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 allows no control characters but tab and newline.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') {
          out += ' ';
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", s);
  return text;
}

std::string full_name(const CheckResult& r) {
  return r.phase.empty() ? r.name : r.name + " (" + r.phase + ")";
}

}  // namespace

bool RunReport::passed() const {
  if (!error.empty() || results.empty()) return false;
  for (const CheckResult& r : results) {
    if (!r.passed && !r.skipped) return false;
  }
  return true;
}

std::string RunReport::replay_command() const {
  return "heatlink run " + file + " --seed " + std::to_string(seed) + (live ? " --live" : "");
}

std::string progress_done(const RunReport& report) {
  return nlohmann::ordered_json{
      {"event", "done"},
      {"scenario", report.scenario},
      {"passed", report.passed()},
      {"error", report.error},
      {"checks", report.results.size()},
      {"failed", std::count_if(report.results.begin(), report.results.end(),
                               [](const CheckResult& r) { return !r.passed && !r.skipped; })},
      {"simulated_s", report.simulated_s},
      {"wall_s", report.wall_s},
      {"replay", report.replay_command()}}
      .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void write_console(std::ostream& out, const RunReport& report) {
  out << (report.passed() ? "PASS " : "FAIL ") << report.scenario << " (" << report.file
      << "): " << report.simulated_s << " s simulated in " << seconds(report.wall_s) << " s, seed "
      << report.seed;
  if (!report.live)
    out << ", trace " << report.trace_events << " events, hash " << std::hex << report.trace_hash
        << std::dec;
  out << '\n';
  if (!report.error.empty()) out << "  error: " << report.error << '\n';
  for (const CheckResult& r : report.results) {
    out << "  "
        << (r.skipped  ? "skip "
            : r.passed ? "ok   "
                       : "FAIL ")
        << full_name(r) << ": " << r.message;
    if (!r.passed && !r.skipped && r.line > 0) out << " [" << report.file << ":" << r.line << "]";
    out << '\n';
  }
  if (!report.passed()) out << "  replay: " << report.replay_command() << '\n';
}

void write_junit(std::ostream& out, const std::vector<RunReport>& reports,
                 const std::string& version) {
  std::size_t tests = 0, failures = 0, errors = 0;
  double time = 0;
  for (const RunReport& r : reports) {
    tests += r.results.size() + (r.error.empty() ? 0u : 1u);
    errors += r.error.empty() ? 0u : 1u;
    for (const CheckResult& c : r.results) failures += c.passed || c.skipped ? 0 : 1;
    time += r.wall_s;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"heatlink scenarios\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" time=\"" << seconds(time) << "\">\n";
  for (const RunReport& r : reports) {
    std::size_t suite_failures = 0;
    for (const CheckResult& c : r.results) suite_failures += c.passed || c.skipped ? 0 : 1;
    out << "  <testsuite name=\"" << xml_escape(r.scenario) << "\" file=\"" << xml_escape(r.file)
        << "\" tests=\"" << r.results.size() + (r.error.empty() ? 0 : 1) << "\" failures=\""
        << suite_failures << "\" errors=\"" << (r.error.empty() ? 0 : 1) << "\" time=\""
        << seconds(r.wall_s) << "\">\n"
        << "    <properties>\n"
        << "      <property name=\"seed\" value=\"" << r.seed << "\"/>\n"
        << "      <property name=\"mode\" value=\"" << (r.live ? "live" : "deterministic")
        << "\"/>\n"
        << "      <property name=\"pace\" value=\""
        << (r.live ? "x" + std::to_string(static_cast<long long>(r.pace)) : "fast") << "\"/>\n"
        << "      <property name=\"simulated_s\" value=\"" << r.simulated_s << "\"/>\n"
        << "      <property name=\"trace_hash\" value=\"" << std::hex << r.trace_hash << std::dec
        << "\"/>\n"
        << "      <property name=\"version\" value=\"" << xml_escape(version) << "\"/>\n"
        << "      <property name=\"replay\" value=\"" << xml_escape(r.replay_command()) << "\"/>\n"
        << "    </properties>\n";
    if (!r.error.empty()) {
      out << "    <testcase name=\"run\" classname=\"" << xml_escape(r.scenario) << "\">\n"
          << "      <error message=\"" << xml_escape(r.error) << "\"/>\n    </testcase>\n";
    }
    for (const CheckResult& c : r.results) {
      out << "    <testcase name=\"" << xml_escape(full_name(c)) << "\" classname=\""
          << xml_escape(r.scenario) << "\" file=\"" << xml_escape(r.file) << "\" line=\"" << c.line
          << "\">\n";
      if (c.skipped) {
        out << "      <skipped message=\"" << xml_escape(c.message) << "\"/>\n";
      } else if (!c.passed) {
        out << "      <failure message=\"" << xml_escape(c.message) << "\" type=\""
            << xml_escape(c.check) << "\">"
            << xml_escape(c.message + "\nreplay: " + r.replay_command()) << "</failure>\n";
      } else {
        out << "      <system-out>" << xml_escape(c.message) << "</system-out>\n";
      }
      out << "    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace heatlink::harness
