#include "report/text_table.h"

#include <fmt/core.h>

#include <algorithm>

namespace conveyor {

std::string FormatTextTable(const TableRow& header, const std::vector<TableRow>& rows) {
  std::vector<size_t> widths(header.size());
  for (size_t c = 0; c < header.size(); ++c)
    widths[c] = header[c].size();
  for (const TableRow& row : rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], row[c].size());
  }
  auto line = [&](const TableRow& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      text += c + 1 < cells.size() ? fmt::format("{:<{}}  ", cells[c], widths[c]) : cells[c];
    }
    return text + "\n";
  };
  std::string text = line(header);
  for (const TableRow& row : rows)
    text += line(row);
  return text;
}

std::string FormatMarkdownTable(const TableRow& header, const std::vector<TableRow>& rows) {
  auto line = [](const TableRow& cells) {
    std::string text = "|";
    for (const std::string& cell : cells) {
      std::string escaped;
      for (char c : cell) {
        if (c == '\n' || c == '\r') {  // would end the row, and the table
          escaped += ' ';
          continue;
        }
        if (c == '|')
          escaped += '\\';
        escaped += c;
      }
      text += fmt::format(" {} |", escaped);
    }
    return text + "\n";
  };
  std::string text = line(header) + "|";
  for (size_t c = 0; c < header.size(); ++c)
    text += "---|";
  text += "\n";
  for (const TableRow& row : rows)
    text += line(row);
  return text;
}

}  // namespace conveyor
