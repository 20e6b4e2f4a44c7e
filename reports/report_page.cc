// The report page and the report files (see report.h). The page is a
// static shell: the script below builds the header, the summary table and
// the charts from the model JSON inlined beside it.

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/page.h"
#include "reports/report.h"

#ifndef STRATA_CHARTJS_DEFAULT
#define STRATA_CHARTJS_DEFAULT ""
#endif

namespace strata::reports {

namespace {

const char* kStyle = R"CSS(
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 16px; color: #222;
       box-sizing: border-box; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 24px 0 6px; }
h3 { font-size: 14px; margin: 4px 0; font-weight: 600; }
table { border-collapse: collapse; margin: 8px 0; }
td, th { border: 1px solid #ccc; padding: 3px 6px; text-align: right; vertical-align: top; }
.summary-box { overflow-x: auto; }
.summary-box table { width: 100%; }
.summary-box td, .summary-box th { padding: 3px 4px; }
.summary-box td { font-size: 12px; font-variant-numeric: tabular-nums; }
.summary-box td .v { white-space: nowrap; }
.summary-box td .range { display: block; white-space: nowrap; color: #666; font-size: 11px; }
.summary-box th { font-size: 12px; font-weight: 600; hyphens: auto; }
.summary-box th[title] { cursor: help; text-decoration: underline dotted #999; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
table.context td { text-align: left; font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
table.context td:first-child { font-family: system-ui, sans-serif; white-space: nowrap; font-weight: 600; }
.loud { background: #c62828; color: #fff; font-weight: 700; font-size: 18px; padding: 12px; margin: 8px 0; }
.warning { background: #fff3cd; border: 1px solid #e0c060; padding: 6px 10px; margin: 4px 0; }
.missing { color: #777; font-style: italic; border: 1px dashed #bbb; padding: 24px; text-align: center; }
.note { color: #555; font-size: 13px; }
.chart-box { position: relative; height: 360px; }
.family-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 8px 16px; }
.family-grid .chart-box { height: 280px; }
#charts-ok { color: #999; font-size: 11px; margin-top: 24px; }
)CSS";

const char* kScript = R"JS(
(function () {
  'use strict';
  const model = JSON.parse(document.getElementById('report-data').textContent);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const head = document.getElementById('head');
  const ctx = {};
  for (const [k, v] of model.context) ctx[k] = v;
  head.appendChild(el('h1', '', 'strata run report: ' + (ctx.workload || '?') + ', scale ' + (ctx.scale || '?') +
                                    ', seed ' + (ctx.seed || '?')));
  if (!model.release) {
    head.appendChild(el('div', 'loud', 'NOT A RELEASE BUILD (' + (model.build_type || '?') +
        '): timings are not representative. Build with scripts/build release before comparing figures.'));
  }
  for (const w of model.warnings) head.appendChild(el('div', 'warning', 'Warning: ' + w));
  const ct = el('table', 'context');
  for (const [k, v] of model.context) {
    const tr = el('tr');
    tr.appendChild(el('td', '', k));
    tr.appendChild(el('td', '', v));
    ct.appendChild(tr);
  }
  head.appendChild(ct);

  const sum = document.getElementById('summary');
  sum.appendChild(el('h2', '', 'Summary (each figure: its median over the repetitions, min – max below)'));
  const st = el('table');
  const hr = el('tr');
  model.summary.columns.forEach((c, i) => {
    // Long words may break at a soft hyphen, so their columns stay narrow.
    const soft = {transactions: 'trans\u00adactions', backpressure: 'back\u00adpressure'};
    const th = el('th', '', c.replace(/[a-z]+/g, w => soft[w] || w));
    if (model.summary.titles && model.summary.titles[i]) th.title = model.summary.titles[i];
    hr.appendChild(th);
  });
  st.appendChild(hr);
  for (const r of model.summary.rows) {
    const tr = el('tr');
    r.forEach((c, i) => {
      // "852 us (795 us–900 us)": the median, the range on a line below.
      const td = el('td');
      const m = i > 0 ? /^(.*) \((.*)\)$/.exec(c) : null;
      if (m) {
        td.appendChild(el('span', 'v', m[1]));
        td.appendChild(el('span', 'range', m[2]));
      } else if (c.includes(' -> ')) {
        // "38.7 KiB -> 229 KiB" may break after the arrow.
        const [a, b] = c.split(' -> ');
        td.appendChild(el('span', 'v', a + ' →'));
        td.appendChild(document.createTextNode(' '));
        td.appendChild(el('span', 'v', b));
      } else {
        td.appendChild(el('span', i > 0 ? 'v' : '', c));
      }
      tr.appendChild(td);
    });
    st.appendChild(tr);
  }
  const box = el('div', 'summary-box');
  box.appendChild(st);
  sum.appendChild(box);

  // One hue per strategy (the same in every chart); within a strategy,
  // the percentile picks the shade and dash: p50 light, p99 full, max dark
  // and dashed.
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf',
                   '#bcbd22', '#7f7f7f'];
  const colorOf = {};
  model.strategies.forEach((s, i) => { colorOf[s] = palette[i % palette.length]; });
  const mix = (hex, to, f) => {
    const n = parseInt(hex.slice(1), 16);
    const c = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map(v => Math.round(v + (to - v) * f));
    return '#' + c.map(v => v.toString(16).padStart(2, '0')).join('');
  };
  const statStyle = {
    p50: {shade: c => mix(c, 255, 0.5), dash: [], width: 1.5},
    p99: {shade: c => c, dash: [], width: 2},
    max: {shade: c => mix(c, 0, 0.35), dash: [6, 4], width: 1.5}
  };
  const styleOf = (s, i) => {
    const base = colorOf[s.strategy] || palette[i % palette.length];
    const st = statStyle[s.stat] || {shade: c => c, dash: [], width: 2};
    return {color: st.shade(base), dash: st.dash, width: st.width};
  };
  const haveChartJs = typeof Chart !== 'undefined';
  const jobMarks = {
    id: 'jobMarks',
    afterDatasetsDraw(chart, args, opts) {
      const marks = (opts && opts.marks) || [];
      if (!marks.length) return;
      const c = chart.ctx, a = chart.chartArea, x = chart.scales.x;
      c.save();
      c.strokeStyle = 'rgba(90, 90, 90, 0.55)';
      c.setLineDash([4, 3]);
      c.lineWidth = 1;
      for (const m of marks) {
        const px = x.getPixelForValue(m);
        if (px < a.left || px > a.right) continue;
        c.beginPath();
        c.moveTo(px, a.top);
        c.lineTo(px, a.bottom);
        c.stroke();
      }
      c.restore();
    }
  };
  const drawnCharts = [];
  const main = document.getElementById('charts');
  let family = null, grid = null;
  for (const spec of model.charts) {
    // Small multiples of one family share a section and a grid.
    let parent = main;
    if (spec.family) {
      if (spec.family !== family) {
        const fam = el('section', 'family');
        fam.id = 'family-' + spec.family;
        fam.appendChild(el('h2', '', spec.family_title || spec.title));
        grid = el('div', 'family-grid');
        fam.appendChild(grid);
        main.appendChild(fam);
        family = spec.family;
      }
      parent = grid;
    } else {
      family = null;
    }
    const sec = el('section', 'chart');
    sec.id = 'chart-' + spec.id;
    sec.appendChild(el(spec.family ? 'h3' : 'h2', '', spec.family ? (spec.subtitle || spec.title) : spec.title));
    parent.appendChild(sec);
    if (spec.missing) {
      sec.appendChild(el('div', 'missing', spec.missing));
      continue;
    }
    if (spec.note) sec.appendChild(el('p', 'note', spec.note));
    if (!haveChartJs) {
      sec.appendChild(el('div', 'missing', 'Not drawn: Chart.js is not in this page (see above).'));
      continue;
    }
    const box = el('div', 'chart-box');
    const canvas = el('canvas');
    box.appendChild(canvas);
    sec.appendChild(box);
    let data;
    const styles = spec.series.map(styleOf);
    if (spec.type === 'bar') {
      data = {
        labels: spec.labels,
        datasets: spec.series.map((s, i) => ({
          label: s.label, data: s.values,
          backgroundColor: styles[i].color, borderColor: styles[i].color, borderWidth: 1
        }))
      };
    } else {
      data = {
        datasets: spec.series.map((s, i) => ({
          label: s.label, data: s.points.map(p => ({x: p[0], y: p[1]})),
          borderColor: styles[i].color, backgroundColor: styles[i].color, borderDash: styles[i].dash,
          pointRadius: s.points.length > 60 ? 0 : 2, borderWidth: styles[i].width, tension: 0,
          spanGaps: false
        }))
      };
    }
    // For tests: what each series looks like.
    sec.dataset.styles = JSON.stringify(spec.series.map((s, i) => [s.label, styles[i].color, styles[i].dash.join(',')]));
    const scale = (log, label, isX) => {
      const s = {title: {display: true, text: label}};
      if (log) s.type = 'logarithmic';
      else if (isX && spec.type !== 'bar') s.type = 'linear';
      if (!log && !isX) s.beginAtZero = true;
      if (!isX && spec.y_max !== undefined) s.max = spec.y_max * (log ? 1.5 : 1.05);
      if (!isX && log && spec.y_min !== undefined) s.min = spec.y_min / 1.5;
      return s;
    };
    const xScale = scale(spec.x_log, spec.x_label, true);
    if (spec.family && spec.type !== 'bar') xScale.min = 0;
    const chart = new Chart(canvas, {
      type: spec.type === 'bar' ? 'bar' : 'line',
      data: data,
      plugins: [jobMarks],
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {legend: {position: 'bottom', labels: {boxHeight: 2}}, jobMarks: {marks: spec.marks || []}},
        scales: {x: xScale, y: scale(spec.y_log, spec.y_label, false)}
      }
    });
    if (spec.marks && spec.marks.length)
      sec.appendChild(el('p', 'note', 'Dashed grey lines: ' + (spec.marks_label || 'marks') + ' (' + spec.marks.length + ').'));
    drawnCharts.push({chart: chart, sec: sec});
  }

  function check() {
    const ok = strataMarkDrawn(drawnCharts);
    const status = document.getElementById('charts-ok');
    // For tests: does the page, or the summary table, scroll sideways?
    const page = document.scrollingElement || document.documentElement;
    status.dataset.pageOverflow = page.scrollWidth - page.clientWidth;
    status.dataset.tableOverflow = box.scrollWidth - box.clientWidth;
    status.textContent = ok + '/' + drawnCharts.length;
    status.dataset.ok = ok;
    status.dataset.total = drawnCharts.length;
  }
  check();
  window.addEventListener('load', check);
})();
)JS";

const char* kHowToGetChartJs =
    "Charts need Chart.js, which was not found. Run scripts/setup (it installs Chart.js with npm into build/npm), "
    "or point STRATA_CHARTJS at a chart.umd.js, then run strata report DIR again.";

}  // namespace

std::string ChartJsPath() {
  if (const char* env = std::getenv("STRATA_CHARTJS"); env != nullptr && *env != '\0') return env;
  return STRATA_CHARTJS_DEFAULT;
}

std::string ReportHtml(const Json& model, const std::string& chartjs_source) {
  std::string title = "strata run report";
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                    HtmlEscape(title) + "</title>\n<style>" + kStyle + "</style>\n";
  if (!chartjs_source.empty()) out += "<script>\n" + chartjs_source + "\n</script>\n";
  out += "</head>\n<body>\n<header id=\"head\"></header>\n";
  if (chartjs_source.empty()) out += "<div class=\"warning\" id=\"no-chartjs\">" + HtmlEscape(kHowToGetChartJs) + "</div>\n";
  out += "<section id=\"summary\"></section>\n<main id=\"charts\"></main>\n<div id=\"charts-ok\">charts not drawn</div>\n";
  out += "<script type=\"application/json\" id=\"report-data\">" + ScriptSafe(model.dump(-1, ' ', false, Json::error_handler_t::replace)) +
         "</script>\n";
  out += "<script>" + std::string(kMarkDrawnScript) + "</script>\n";
  out += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return out;
}

Result<ReportFiles> WriteReport(const std::string& dir, const std::string& chartjs) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return Status::NotFound(dir + " is not a folder");
  STRATA_ASSIGN_OR_RETURN(std::vector<RunFile> files, ReadRunFiles(dir));
  ReportFiles out;
  out.html_path = dir + "/report.html";
  out.markdown_path = dir + "/summary.md";
  const Json model = ReportModel(files);
  if (model["release"] != true)
    out.warnings.push_back("the results come from a build that is not a release (" +
                           model["build_type"].get<std::string>() + "): timings are not representative");
  for (const Json& w : model["warnings"]) out.warnings.push_back(w.get<std::string>());

  const std::string source = ReadChartJs(chartjs, kHowToGetChartJs, &out.warnings);
  out.charts = !source.empty();
  for (const Json& c : model["charts"])
    if (!c.contains("missing") && out.charts) out.canvases++;
  STRATA_RETURN_IF_ERROR(WriteFileAtomically(out.markdown_path, SummaryMarkdown(files)));
  STRATA_RETURN_IF_ERROR(WriteFileAtomically(out.html_path, ReportHtml(model, source)));
  return out;
}

}  // namespace strata::reports
