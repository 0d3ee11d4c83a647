#include "documents.h"

#include <yaml-cpp/yaml.h>

#include <chrono>

#include "openapi_text.h"

namespace heatlink::master::api {

namespace {

// YAML to JSON: plain scalars that read as booleans or numbers become them, quoted ones stay
// text.
Json json_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& item : node) out[item.first.as<std::string>()] = json_of(item.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(json_of(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string text = node.Scalar();
      if (node.Tag() == "?") {
        if (text == "true") return true;
        if (text == "false") return false;
        if (text == "null") return Json();
        std::int64_t i = 0;
        if (YAML::convert<std::int64_t>::decode(node, i)) return i;
        double d = 0;
        if (YAML::convert<double>::decode(node, d)) return d;
      }
      return text;
    }
    default:
      return Json();
  }
}

}  // namespace

const Json& openapi_document() {
  static const Json document = json_of(YAML::Load(kOpenApiYaml));
  return document;
}

std::string metrics_text(Call& call) {
  std::string out;
  auto metric = [&out](const char* name, const char* type, const char* help, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
  };
  if (call.env.dtus) {
    std::size_t online = 0, known = 0;
    for (const auto& d : call.env.dtus()) {
      ++known;
      if (d.online) ++online;
    }
    metric("heatlink_dtus_online", "gauge", "DTUs connected and registered", online);
    metric("heatlink_dtus_known", "gauge", "DTUs the gateway has seen", known);
  }
  if (const MasterCounters* c = call.env.counters) {
    metric("heatlink_cycles_total", "counter", "reading cycles finished", c->cycles.load());
    metric("heatlink_meters_read_total", "counter", "meters read and stored",
           c->meters_read.load());
    metric("heatlink_read_failures_total", "counter", "meter reads that failed",
           c->read_failures.load());
    metric("heatlink_readings_stored_total", "counter", "readings committed",
           c->readings_stored.load());
  }
  const auto began = std::chrono::steady_clock::now();
  const auto jobs = checked(call.db.query(
      "SELECT status, count(*) FROM read_job WHERE status IN ('queued', 'running') GROUP BY status",
      {}));
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - began;
  std::int64_t queued = 0, running = 0;
  for (const auto& row : jobs.rows)
    (as_text(row[0]) == "queued" ? queued : running) = as_integer(row[1]);
  metric("heatlink_read_jobs_queued", "gauge", "manual reads waiting for a master", queued);
  metric("heatlink_read_jobs_running", "gauge", "manual reads being read", running);
  metric("heatlink_storage_query_seconds", "gauge",
         "how long the database took to count the read-job queue", took.count());
  return out;
}

}  // namespace heatlink::master::api
