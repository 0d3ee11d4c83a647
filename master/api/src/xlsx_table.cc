// The first worksheet of an XLSX workbook as a table (an import): the zip (libzip), its
// shared strings and sheet1.xml (expat). Excel, LibreOffice and our own exports name the first
// sheet so.
#include <expat.h>
#include <zip.h>

#include <map>
#include <memory>

#include "table_file.h"

namespace heatlink::master::api {

namespace {

constexpr zip_uint64_t kPartLimit = 64 << 20;  // uncompressed: a zip bomb stops here

// A part of the package as text; empty with `error` set when missing or too large.
std::string part(zip_t* zip, const char* name, bool required, std::string& error) {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat(zip, name, 0, &stat) != 0) {
    if (required) error = std::string("not an XLSX workbook: no ") + name;
    return "";
  }
  if ((stat.valid & ZIP_STAT_SIZE) == 0 || stat.size > kPartLimit) {
    error = std::string(name) + " is larger than 64 MiB";
    return "";
  }
  std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(zip_fopen(zip, name, 0), zip_fclose);
  std::string text(static_cast<std::size_t>(stat.size), '\0');
  if (!file ||
      zip_fread(file.get(), text.data(), stat.size) != static_cast<zip_int64_t>(stat.size)) {
    error = std::string("cannot read ") + name + " from the workbook";
    return "";
  }
  return text;
}

// Runs expat over `xml` with the parser's user data set to `self`.
template <class Self>
std::string parse_xml(const std::string& xml, Self& self, const char* what) {
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
      XML_ParserCreate("UTF-8"), XML_ParserFree);
  XML_SetUserData(parser.get(), &self);
  XML_SetElementHandler(parser.get(), Self::start, Self::end);
  XML_SetCharacterDataHandler(parser.get(), Self::text);
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_ERROR)
    return std::string(what) + " line " + std::to_string(XML_GetCurrentLineNumber(parser.get())) +
           ": " + XML_ErrorString(XML_GetErrorCode(parser.get()));
  return "";
}

std::string_view local(const XML_Char* name) {
  std::string_view n(name);
  const auto colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

const XML_Char* attribute(const XML_Char** attributes, std::string_view name) {
  for (int i = 0; attributes[i] != nullptr; i += 2)
    if (local(attributes[i]) == name) return attributes[i + 1];
  return nullptr;
}

// <si> items: each the text of its <t> elements (rich text runs joined).
struct SharedStrings {
  std::vector<std::string> items;
  bool in_text = false;
  static void start(void* self, const XML_Char* name, const XML_Char**) {
    auto* s = static_cast<SharedStrings*>(self);
    if (local(name) == "si") s->items.emplace_back();
    if (local(name) == "t") s->in_text = true;
  }
  static void end(void* self, const XML_Char* name) {
    if (local(name) == "t") static_cast<SharedStrings*>(self)->in_text = false;
  }
  static void text(void* self, const XML_Char* s, int len) {
    auto* me = static_cast<SharedStrings*>(self);
    if (me->in_text && !me->items.empty())
      me->items.back().append(s, static_cast<std::size_t>(len));
  }
};

// "BC12" -> column 54 (0-based); -1 when not a reference.
int column_of(const char* reference) {
  int column = 0;
  int letters = 0;
  for (const char* c = reference; *c >= 'A' && *c <= 'Z'; ++c, ++letters)
    column = column * 26 + (*c - 'A' + 1);
  return letters == 0 || letters > 3 ? -1 : column - 1;
}

struct Sheet {
  const std::vector<std::string>* shared = nullptr;
  std::vector<std::vector<std::string>> rows;
  std::string type;  // of the cell being read: "s", "inlineStr", "str", "b", "" (number)
  int column = -1;
  bool in_value = false;
  std::string value;
  std::string error;

  static void start(void* self, const XML_Char* name, const XML_Char** attributes) {
    auto* s = static_cast<Sheet*>(self);
    const auto n = local(name);
    if (n == "row") s->rows.emplace_back();
    if (n == "c") {
      const XML_Char* t = attribute(attributes, "t");
      s->type = t == nullptr ? "" : t;
      const XML_Char* r = attribute(attributes, "r");
      s->column = r == nullptr ? (s->rows.empty() ? 0 : static_cast<int>(s->rows.back().size()))
                               : column_of(r);
      s->value.clear();
    }
    if (n == "v" || n == "t") s->in_value = true;
  }
  static void end(void* self, const XML_Char* name) {
    auto* s = static_cast<Sheet*>(self);
    const auto n = local(name);
    if (n == "v" || n == "t") s->in_value = false;
    if (n != "c" || s->rows.empty() || s->column < 0 || s->column > 1000) return;
    std::string text = s->value;
    if (s->type == "s") {
      const std::size_t index = std::strtoul(text.c_str(), nullptr, 10);
      if (index >= s->shared->size()) {
        s->error = "a cell refers to shared string " + text + ", which the workbook lacks";
        return;
      }
      text = (*s->shared)[index];
    } else if (s->type == "b") {
      text = text == "1" ? "true" : "false";
    }
    auto& row = s->rows.back();
    if (row.size() <= static_cast<std::size_t>(s->column))
      row.resize(static_cast<std::size_t>(s->column) + 1);
    row[static_cast<std::size_t>(s->column)] = std::move(text);
  }
  static void text(void* self, const XML_Char* s, int len) {
    auto* me = static_cast<Sheet*>(self);
    if (me->in_value) me->value.append(s, static_cast<std::size_t>(len));
  }
};

}  // namespace

std::variant<Table, std::string> parse_xlsx(std::string_view bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) return std::string("cannot read the workbook");
  std::unique_ptr<zip_t, decltype(&zip_discard)> zip(
      zip_open_from_source(source, ZIP_RDONLY, &error), zip_discard);
  if (!zip) {
    zip_source_free(source);
    zip_error_fini(&error);
    return std::string("not an XLSX workbook: the zip container is broken");
  }
  std::string problem;
  SharedStrings shared;
  const std::string strings = part(zip.get(), "xl/sharedStrings.xml", false, problem);
  if (!problem.empty()) return problem;
  if (!strings.empty()) {
    problem = parse_xml(strings, shared, "xl/sharedStrings.xml");
    if (!problem.empty()) return problem;
  }
  const std::string sheet_xml = part(zip.get(), "xl/worksheets/sheet1.xml", true, problem);
  if (!problem.empty()) return problem;
  Sheet sheet;
  sheet.shared = &shared.items;
  problem = parse_xml(sheet_xml, sheet, "xl/worksheets/sheet1.xml");
  if (problem.empty()) problem = sheet.error;
  if (!problem.empty()) return problem;
  // Rows whose cells are all empty are skipped, as a spreadsheet shows nothing there.
  Table table;
  for (auto& row : sheet.rows) {
    bool empty = true;
    for (const auto& cell : row) empty = empty && cell.empty();
    if (empty) continue;
    if (table.header.empty()) {
      table.header = row;
      continue;
    }
    row.resize(table.header.size());
    std::vector<Cell> cells;
    for (auto& text : row) cells.push_back({std::move(text), std::nullopt});
    table.rows.push_back(std::move(cells));
  }
  if (table.header.empty()) return std::string("the first sheet is empty: expected a header row");
  return table;
}

}  // namespace heatlink::master::api
