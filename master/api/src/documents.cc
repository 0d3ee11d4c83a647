#include "documents.h"

#include <yaml-cpp/yaml.h>

#include <chrono>

#include "entities.h"
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

Json field_schema(const Field& f) {
  Json schema;
  switch (f.type) {
    case FieldType::text:
      schema = Json{{"type", "string"}, {"maxLength", f.max_size}};
      if (!f.allowed.empty()) schema["enum"] = f.allowed;
      break;
    case FieldType::integer:
      schema = Json{{"type", "integer"}};
      if (f.min != 0 || f.max != 0) {
        schema["minimum"] = f.min;
        if (f.max != INT64_MAX) schema["maximum"] = f.max;
      }
      if (f.references != nullptr)
        schema["description"] = std::string("the id of a ") + f.references;
      break;
    case FieldType::number:
      schema = Json{{"type", "number"}};
      break;
  }
  return schema;
}

Json schema_ref(const std::string& where) {
  return Json{{"$ref", where}};
}

Json operation(const char* tag, const std::string& summary, const char* permission) {
  return Json{{"tags", {tag}}, {"summary", summary}, {"x-permission", permission}};
}

// The base-information paths, from the field lists the handlers check.
void add_entities(Json& document) {
  for (const Entity& e : base_entities()) {
    const std::string label = e.label;
    const std::string schema_name =
        std::string(1, static_cast<char>(std::toupper(label[0]))) + label.substr(1);
    Json properties{{"id", {{"type", "integer"}, {"readOnly", true}}}};
    Json required = Json::array();
    for (const Field& f : e.fields) {
      properties[f.name] = field_schema(f);
      if (f.required) required.push_back(f.name);
    }
    for (const char* c : e.read_only) properties[c] = Json{{"readOnly", true}};
    Json schema{{"type", "object"}, {"properties", properties}};
    if (!required.empty()) schema["required"] = required;
    document["components"]["schemas"][schema_name] = schema;
    const Json body{
        {"required", true},
        {"content",
         {{"application/json", {{"schema", schema_ref("#/components/schemas/" + schema_name)}}}}}};
    const std::string base = std::string("/api/v1/") + e.path;
    Json list =
        operation("base", "List " + std::string(e.path) + " (filters, ?q=, pages)", "base.view");
    Json parameters = Json::array({schema_ref("#/components/parameters/page"),
                                   schema_ref("#/components/parameters/page_size")});
    Json filters = Json::array();
    for (const Field& f : e.fields)
      if (f.filter)
        filters.push_back(Json{{"name", f.name}, {"in", "query"}, {"schema", field_schema(f)}});
    for (const Scope& s : e.scopes)
      filters.push_back(Json{{"name", s.name},
                             {"in", "query"},
                             {"description", "only the records there"},
                             {"schema", {{"type", "integer"}, {"minimum", 1}}}});
    if (e.search != nullptr)
      filters.push_back(Json{{"name", "q"},
                             {"in", "query"},
                             {"description", std::string("part of the ") + e.search},
                             {"schema", {{"type", "string"}}}});
    for (const Json& f : filters) parameters.push_back(f);
    list["parameters"] = parameters;
    list["responses"] = Json{{"200", {{"description", "a page of " + std::string(e.path)}}}};
    Json create = operation("base", "Create a " + label, "base.edit");
    create["requestBody"] = body;
    create["responses"] = Json{{"201", {{"description", "the " + label}}},
                               {"400", schema_ref("#/components/responses/Invalid")},
                               {"409", {{"description", "a duplicate"}}}};
    document["paths"][base] = Json{{"get", list}, {"post", create}};
    const Json id = Json::array({schema_ref("#/components/parameters/id")});
    Json get = operation("base", "A " + label, "base.view");
    get["parameters"] = id;
    get["responses"] = Json{{"200", {{"description", "the " + label}}},
                            {"404", schema_ref("#/components/responses/NotFound")}};
    Json put = operation("base", "Change a " + label + " (fields left out keep their values)",
                         "base.edit");
    put["parameters"] = id;
    put["requestBody"] = body;
    put["responses"] = Json{{"200", {{"description", "the " + label}}},
                            {"400", schema_ref("#/components/responses/Invalid")}};
    Json remove = operation("base", "Delete a " + label, "base.edit");
    remove["parameters"] = id;
    remove["responses"] =
        Json{{"200", {{"description", "deleted"}}}, {"409", {{"description", "still referenced"}}}};
    document["paths"][base + "/{id}"] = Json{{"get", get}, {"put", put}, {"delete", remove}};
    Json import = operation(
        "base",
        "Import " + std::string(e.path) +
            " from CSV or XLSX (a header row of field names); every row is checked and nothing "
            "is written unless all are good; a row with an id changes that record (an edited "
            "export), a row without one adds a record",
        "base.import");
    import["requestBody"] = Json{{"required", true},
                                 { "content",
                                   {
                                     { "text/csv",
                                       {
                                         { "schema",
                                           {
                                             { "type",
                                               "string" }
                                           } }
                                       } }
                                   } }};
    import["responses"] = Json{{"200",
                                {
                                  { "description",
                                    "{imported, added, updated}" }
                                }},
                               { "400",
                                 {
                                   { "description",
                                     "{error, rows: [{row, field, message}]}" }
                                 } }};
    document["paths"][base + "/import"] = Json{{"post", import}};
    Json download = operation(
        "base", "Export " + std::string(e.path) + " as CSV or XLSX, under the list's filters",
        "base.view");
    Json download_parameters = Json::array({schema_ref("#/components/parameters/format")});
    for (const Json& f : filters) download_parameters.push_back(f);
    download["parameters"] = download_parameters;
    download["responses"] = Json{{"200", schema_ref("#/components/responses/File")}};
    document["paths"][base + "/export"] = Json{{"get", download}};
    if (has_lookup(e)) {
      Json names = operation(
          "base",
          "Names of " + std::string(e.path) +
              " to choose from (id, name, references; the list's filters), for any signed-in "
              "user",
          "");
      names["parameters"] = parameters;
      names["responses"] = Json{{"200", {{"description", "a page of {id, name, ...}"}}}};
      document["paths"]["/api/v1/lookups/" + std::string(e.path)] = Json{{"get", names}};
    }
  }
}

}  // namespace

const Json& openapi_document() {
  static const Json document = [] {
    Json d = json_of(YAML::Load(kOpenApiYaml));
    add_entities(d);
    return d;
  }();
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
    metric("heatlink_readings_unstored_total", "counter",
           "readings meters gave that the database refused to store", c->readings_unstored.load());
    metric("heatlink_storage_last_stored_timestamp_seconds", "gauge",
           "when the database last took a cycle's readings (0: not since the start)",
           c->last_stored_at.load());
    metric("heatlink_storage_last_store_failed_timestamp_seconds", "gauge",
           "when the database last refused a cycle's readings (0: not since the start)",
           c->last_store_failed_at.load());
    metric("heatlink_cycle_overruns_total", "counter",
           "scheduled cycles that finished after their slot's time was up",
           c->cycle_overruns.load());
    metric("heatlink_cycle_overrun_seconds_total", "counter",
           "seconds by which scheduled cycles overran their slots",
           c->cycle_overrun_seconds.load());
    metric("heatlink_slots_missed_total", "counter",
           "scheduled slots that ended without their cycle having run in them",
           c->slots_missed.load());
    metric("heatlink_meters_read_late_total", "counter",
           "meters a cycle read after its slot ended (counted for the next slot)",
           c->meters_read_late.load());
  }
  // The database may be down: the scrape still answers, and says so - the counters above are
  // exactly what is needed then.
  const auto began = std::chrono::steady_clock::now();
  const auto jobs = call.db.query(
      "SELECT status, count(*) FROM read_job WHERE status IN ('queued', 'running') GROUP BY status",
      {});
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - began;
  const auto* counted = std::get_if<SqlResult>(&jobs);
  metric("heatlink_storage_up", "gauge", "1 when the database answered this scrape, else 0",
         counted != nullptr ? 1 : 0);
  if (counted == nullptr) return out;
  std::int64_t queued = 0, running = 0;
  for (const auto& row : counted->rows)
    (as_text(row[0]) == "queued" ? queued : running) = as_integer(row[1]);
  metric("heatlink_read_jobs_queued", "gauge", "manual reads waiting for a master", queued);
  metric("heatlink_read_jobs_running", "gauge", "manual reads being read", running);
  metric("heatlink_storage_query_seconds", "gauge",
         "how long the database took to count the read-job queue", took.count());
  return out;
}

}  // namespace heatlink::master::api
