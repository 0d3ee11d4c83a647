#include "table_file.h"

#include <csv.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace heatlink::master::api {

std::string neutralised(const std::string& text) {
  if (text.empty()) return text;
  const char first = text.front();
  if (first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' ||
      first == '\r')
    return "'" + text;
  return text;
}

namespace {

std::string csv_field(const Cell& cell) {
  const std::string text = cell.number ? cell.text : neutralised(cell.text);
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string to_csv(const Table& table) {
  std::string out = "\xEF\xBB\xBF";  // Excel reads UTF-8 (Chinese names) only with the mark
  auto line = [&out](const std::vector<Cell>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_field(cells[i]);
    }
    out += "\r\n";
  };
  std::vector<Cell> header;
  for (const auto& h : table.header) header.push_back({h, std::nullopt});
  line(header);
  for (const auto& row : table.rows) line(row);
  return out;
}

std::string to_xlsx(const Table& table, const std::string& sheet) {
  std::string path =
      (std::filesystem::temp_directory_path() / "heatlink-export-XXXXXX.xlsx").string();
  const int fd = ::mkstemps(path.data(), 5);
  if (fd < 0) return "";
  ::close(fd);
  lxw_workbook* book = workbook_new(path.c_str());
  if (book == nullptr) return "";
  lxw_worksheet* ws = workbook_add_worksheet(book, sheet.c_str());
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  for (std::size_t c = 0; c < table.header.size(); ++c)
    worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), table.header[c].c_str(), bold);
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto row = static_cast<lxw_row_t>(r + 1);
    for (std::size_t c = 0; c < table.rows[r].size(); ++c) {
      const Cell& cell = table.rows[r][c];
      const auto col = static_cast<lxw_col_t>(c);
      if (cell.number) {
        worksheet_write_number(ws, row, col, *cell.number, nullptr);
      } else if (!cell.text.empty()) {
        // A string cell is never a formula in XLSX; neutralised anyway for re-export as CSV.
        worksheet_write_string(ws, row, col, neutralised(cell.text).c_str(), nullptr);
      }
    }
  }
  const bool written = workbook_close(book) == LXW_NO_ERROR;
  std::string out;
  if (written) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    out = bytes.str();
  }
  std::filesystem::remove(path);
  return out;
}

namespace {

struct CsvReader {
  Table table;
  std::vector<Cell> row;
  bool header_done = false;
  std::size_t line = 1;  // of the row being read

  static void on_field(void* field, std::size_t size, void* self) {
    auto* r = static_cast<CsvReader*>(self);
    std::string text(static_cast<const char*>(field), size);
    // Our own exports neutralise text; take the apostrophe off again.
    if (text.size() > 1 && text.front() == '\'' && neutralised(text.substr(1)) != text.substr(1))
      text.erase(0, 1);
    r->row.push_back({std::move(text), std::nullopt});
  }
  static void on_row(int, void* self) {
    auto* r = static_cast<CsvReader*>(self);
    if (!r->header_done) {
      for (auto& cell : r->row) r->table.header.push_back(cell.text);
      r->header_done = true;
    } else if (!(r->row.size() == 1 && r->row[0].text.empty())) {
      r->table.rows.push_back(std::move(r->row));
    }
    r->row.clear();
  }
};

}  // namespace

std::variant<Table, std::string> parse_csv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  csv_parser parser{};
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
    return std::string("cannot start the CSV parser");
  CsvReader reader;
  std::size_t done = 0;
  std::string error;
  std::size_t error_line = 0;
  // Line by line, so that an error names its line.
  while (done < text.size() && error.empty()) {
    const std::size_t end = std::min(text.find('\n', done), text.size() - 1) + 1;
    const std::string_view piece = text.substr(done, end - done);
    if (csv_parse(&parser, piece.data(), piece.size(), CsvReader::on_field, CsvReader::on_row,
                  &reader) != piece.size())
      error = std::string(csv_strerror(csv_error(&parser)));
    done = end;
    error_line = reader.line;
    if (error.empty()) ++reader.line;
  }
  if (error.empty() && csv_fini(&parser, CsvReader::on_field, CsvReader::on_row, &reader) != 0) {
    error = std::string(csv_strerror(csv_error(&parser)));
    error_line = std::max<std::size_t>(reader.line - 1, 1);
  }
  csv_free(&parser);
  if (!error.empty()) return "CSV line " + std::to_string(error_line) + ": " + error;
  if (reader.table.header.empty()) return std::string("the file is empty: expected a header row");
  return reader.table;
}

}  // namespace heatlink::master::api
