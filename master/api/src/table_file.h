// Tables in and out of files: CSV (libcsv) and XLSX (libxlsxwriter) exports; CSV and XLSX
// (libzip, expat) imports.
// Exported text that a spreadsheet would run as a formula (=, +, -, @, tab, carriage return
// first) is written with a leading apostrophe; imports take it off again.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace heatlink::master::api {

struct Cell {
  std::string text;
  std::optional<double> number;  // written as a number (not neutralised): it is not text
};

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<Cell>> rows;
};

// A cell as a spreadsheet may show it without running it.
std::string neutralised(const std::string& text);

std::string to_csv(const Table& table);
// An XLSX workbook with one sheet; empty on failure (the temporary file could not be written).
std::string to_xlsx(const Table& table, const std::string& sheet);

// CSV as Excel and LibreOffice write it (a UTF-8 byte-order mark allowed). Rows are text
// cells; an error names the line.
std::variant<Table, std::string> parse_csv(std::string_view text);
// The first worksheet of an XLSX workbook (the first non-empty row is the header); an error
// names the part and line at fault.
std::variant<Table, std::string> parse_xlsx(std::string_view bytes);

}  // namespace heatlink::master::api
