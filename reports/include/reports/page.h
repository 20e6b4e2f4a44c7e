// page.h — what the self-contained HTML pages of reports/ share (the run
// report, the experiment report, the history report) and the files their
// commands write: escaping for HTML and for JSON inside <script>, Chart.js
// read for inlining, and a file written whole or not at all.
#pragma once

#include <string>
#include <vector>

#include "strata/status.h"

namespace strata::reports {

std::string HtmlEscape(const std::string& s);

// JSON that goes inside <script>: "</" only occurs in strings, where "<\/"
// means the same, so the element cannot be closed early.
std::string ScriptSafe(std::string json);

// Chart.js's source from `path` (empty: ChartJsPath()), to inline in a page;
// empty, with a warning naming the path and `how_to_get_it`, when it is
// missing or contains "</script" (it could not be inlined).
std::string ReadChartJs(const std::string& path, const std::string& how_to_get_it, std::vector<std::string>* warnings);

// A script (for a <script> element before the page's own) defining
// strataMarkDrawn(charts): for each {chart, sec} it counts the coloured
// pixels of the chart's plot area (the data, not the grey axes and grid),
// sets sec.dataset.pixels and sec.dataset.drawn ('yes' over 20), and
// returns how many were drawn. The headless-browser tests read these.
extern const char* const kMarkDrawnScript;

// A table as strata compare and strata ab print it: in markdown (every
// '|' in a cell escaped, the cells of `bold` rows in bold, the columns
// first_right..last_right right-aligned) and as aligned plain text (the
// same columns padded on the left, the last column not padded).
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> bold;  // by row; missing: not bold
  size_t first_right = 0, last_right = 0;
  bool RightAligned(size_t column) const { return column >= first_right && column <= last_right; }
};
std::string EscapeMarkdownCell(const std::string& s);
std::string TableMarkdown(const Table& t);
std::string TableText(const Table& t);

// Writes path.tmp and renames it over `path`: a reader sees the old file or
// the new one whole. IOError naming the file.
Status WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace strata::reports
