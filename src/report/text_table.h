// Rendering rows of cells as the report commands print them: aligned plain
// text for terminals, or a Markdown table for reports.
//
// Pure functions.
#pragma once

#include <string>
#include <vector>

namespace conveyor {

using TableRow = std::vector<std::string>;

// Left-aligned columns two spaces apart, the header first; the last column
// is not padded. Every row has header.size() cells.
std::string FormatTextTable(const TableRow& header, const std::vector<TableRow>& rows);

// "| a | b |\n|---|---|\n| 1 | 2 |\n". A '|' inside a cell is escaped.
std::string FormatMarkdownTable(const TableRow& header, const std::vector<TableRow>& rows);

}  // namespace conveyor
