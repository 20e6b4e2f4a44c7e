// The shared parts of the report pages (see page.h).

#include "reports/page.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/report.h"

namespace strata::reports {

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string ScriptSafe(std::string json) {
  for (size_t pos = 0; (pos = json.find("</", pos)) != std::string::npos; pos += 3) json.replace(pos, 2, "<\\/");
  return json;
}

std::string ReadChartJs(const std::string& path_or_empty, const std::string& how_to_get_it,
                        std::vector<std::string>* warnings) {
  const std::string path = path_or_empty.empty() ? ChartJsPath() : path_or_empty;
  std::string source;
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      source = ss.str();
    }
  }
  std::string lower = source;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("</script") != std::string::npos) {
    warnings->push_back(path + " contains \"</script\": it cannot be inlined");
    return {};
  }
  if (source.empty()) warnings->push_back(how_to_get_it + " (looked for " + (path.empty() ? "nothing" : path) + ")");
  return source;
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::IOError("writing " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("renaming " + tmp + " to " + path + ": " + ec.message());
  return Status::OK();
}

std::string EscapeMarkdownCell(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

std::string TableMarkdown(const Table& t) {
  std::string out = "|";
  for (const std::string& h : t.header) out += " " + EscapeMarkdownCell(h) + " |";
  out += "\n|";
  for (size_t k = 0; k < t.header.size(); ++k) out += t.RightAligned(k) ? " ---: |" : " --- |";
  out += "\n";
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const bool bold = i < t.bold.size() && t.bold[i];
    out += "|";
    for (const std::string& cell : t.rows[i]) {
      const std::string e = EscapeMarkdownCell(cell);
      out += " " + (bold && !e.empty() ? "**" + e + "**" : e) + " |";
    }
    out += "\n";
  }
  return out;
}

std::string TableText(const Table& t) {
  std::vector<size_t> width(t.header.size());
  for (size_t k = 0; k < t.header.size(); ++k) width[k] = t.header[k].size();
  for (const auto& row : t.rows)
    for (size_t k = 0; k < row.size() && k < width.size(); ++k) width[k] = std::max(width[k], row[k].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t k = 0; k < cells.size() && k < width.size(); ++k) {
      const std::string pad(width[k] - cells[k].size(), ' ');
      s += (k ? "  " : "") + (t.RightAligned(k) ? pad + cells[k] : cells[k] + (k + 1 < cells.size() ? pad : ""));
    }
    return s + "\n";
  };
  std::string out = line(t.header);
  for (const auto& row : t.rows) out += line(row);
  return out;
}

const char* const kMarkDrawnScript = R"JS(
function strataMarkDrawn(charts) {
  function coloured(chart) {
    const a = chart.chartArea, r = chart.currentDevicePixelRatio || 1;
    if (!a) return 0;
    const x0 = Math.floor(a.left * r), y0 = Math.floor(a.top * r);
    const w = Math.max(1, Math.floor((a.right - a.left) * r)), h = Math.max(1, Math.floor((a.bottom - a.top) * r));
    const d = chart.ctx.getImageData(x0, y0, w, h).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4)
      if (d[i + 3] > 100 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++;
    return n;
  }
  let ok = 0;
  for (const c of charts) {
    const n = coloured(c.chart);
    c.sec.dataset.pixels = n;
    c.sec.dataset.drawn = n > 20 ? 'yes' : 'no';
    if (n > 20) ok++;
  }
  return ok;
}
)JS";

}  // namespace strata::reports
