// The experiment report page and its file (see experiment_report.h): a
// static shell whose script draws the model inlined beside it.

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/experiment_report.h"
#include "reports/page.h"

namespace strata::reports {

namespace {

const char* kStyle = R"CSS(
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 16px; color: #222; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 24px 0 6px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 12px; }
td, th { border: 1px solid #ccc; padding: 3px 6px; text-align: right; vertical-align: top; }
th { background: #f3f3f3; }
td:first-child, th:first-child, td:nth-child(3) { text-align: left; }
table.context td { text-align: left; font-family: ui-monospace, monospace; word-break: break-all; }
.loud { background: #c62828; color: #fff; font-weight: 700; font-size: 18px; padding: 12px; margin: 8px 0; }
.warning { background: #fff3cd; border: 1px solid #e0c060; padding: 6px 10px; margin: 4px 0; }
.missing { color: #777; font-style: italic; border: 1px dashed #bbb; padding: 24px; text-align: center; }
.note { color: #555; font-size: 13px; }
.chart-box { position: relative; height: 380px; }
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
  head.appendChild(el('h1', '', 'strata experiment: ' + model.title));
  if (!model.release)
    head.appendChild(el('div', 'loud', 'NOT A RELEASE BUILD (' + (model.build_type || '?') + '): timings are not representative.'));
  const ct = el('table', 'context');
  for (const [k, v] of model.context) {
    const tr = el('tr');
    tr.appendChild(el('td', '', k));
    tr.appendChild(el('td', '', v));
    ct.appendChild(tr);
  }
  head.appendChild(ct);
  const sum = document.getElementById('summary');
  sum.appendChild(el('h2', '', 'Configurations (means over repetitions; import rate: median)'));
  const st = el('table');
  const hr = el('tr');
  for (const c of model.table.columns || []) hr.appendChild(el('th', '', c));
  st.appendChild(hr);
  for (const r of model.table.rows || []) {
    const tr = el('tr');
    for (const c of r) tr.appendChild(el('td', '', c));
    st.appendChild(tr);
  }
  sum.appendChild(st);

  // Configurations keep one colour on every chart; the tail's p50/p99/max
  // have colours of their own.
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf',
                   '#bcbd22', '#393b79', '#ad494a', '#637939'];
  const colorOf = {};
  let next = 0;
  const color = (label) => {
    const key = label.replace(/ \(space .*\)$/, '');
    if (!(key in colorOf)) colorOf[key] = palette[next++ % palette.length];
    return colorOf[key];
  };
  const tailColors = {p50: '#4e79a7', p99: '#f28e2b', max: '#b10026'};
  const haveChartJs = typeof Chart !== 'undefined';
  const axis = (log, label, type) => {
    const s = {title: {display: true, text: label}};
    s.type = log ? 'logarithmic' : (type || 'linear');
    if (!log && type !== 'category') s.beginAtZero = true;
    return s;
  };
  const drawn = [];
  const main = document.getElementById('charts');
  for (const spec of model.charts) {
    const sec = el('section', 'chart');
    sec.id = 'chart-' + spec.id;
    sec.appendChild(el('h2', '', spec.title));
    main.appendChild(sec);
    if (spec.missing) { sec.appendChild(el('div', 'missing', spec.missing)); continue; }
    if (spec.note) sec.appendChild(el('p', 'note', spec.note));
    if (!haveChartJs) { sec.appendChild(el('div', 'missing', 'Not drawn: Chart.js is not in this page.')); continue; }
    const box = el('div', 'chart-box');
    const canvas = el('canvas');
    box.appendChild(canvas);
    sec.appendChild(box);
    let type = 'line', datasets = [], labels;
    let xScale = axis(spec.x_log, spec.x_label), yScale = axis(spec.y_log, spec.y_label);
    if (spec.kind === 'band') {
      for (const s of spec.series) {
        const c = color(s.label);
        datasets.push({label: s.label + ' min', band: true, data: s.points.map(p => ({x: p[0], y: p[2]})),
                       borderWidth: 0, pointRadius: 0, fill: false, borderColor: c});
        datasets.push({label: s.label + ' max', band: true, data: s.points.map(p => ({x: p[0], y: p[3]})),
                       borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: c + '33', borderColor: c});
        datasets.push({label: s.label, data: s.points.map(p => ({x: p[0], y: p[1]})), borderColor: c,
                       backgroundColor: c, borderWidth: 2, pointRadius: s.points.length > 60 ? 0 : 2});
      }
    } else if (spec.kind === 'bar') {
      type = 'bar';
      labels = spec.labels;
      xScale = axis(false, spec.x_label, 'category');
      datasets = spec.series.map(s => ({label: s.label, data: s.values, backgroundColor: tailColors[s.label] || '#777',
                                        borderColor: tailColors[s.label] || '#777', borderWidth: 1}));
    } else if (spec.kind === 'bubble') {
      type = 'bubble';
      for (const s of spec.series) {
        const c = color(s.label);
        datasets.push({label: s.label + (s.pareto ? ' — Pareto' : ''),
                       data: s.points.map(p => ({x: p[0], y: p[1], r: Math.min(30, 6 + 6 * Math.log2(Math.max(1, p[2])))})),
                       backgroundColor: c + 'aa', borderColor: s.pareto ? '#000' : c, borderWidth: s.pareto ? 3 : 1});
      }
      datasets.push({type: 'line', label: 'Pareto front', data: spec.front.map(p => ({x: p[0], y: p[1]})),
                     borderColor: '#000', borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, fill: false});
    } else if (spec.kind === 'segments') {
      for (const s of spec.series) {
        const c = color(s.label), data = [];
        for (const g of s.segments) data.push({x: g[0], y: g[2]}, {x: g[1], y: g[2]}, {x: g[1], y: null});
        datasets.push({label: s.label, data: data, borderColor: c, backgroundColor: c, borderWidth: 4,
                       pointRadius: 0, spanGaps: false});
      }
    } else {
      for (const s of spec.series) {
        const c = color(s.group || s.label);
        datasets.push({label: s.label, data: s.points.map(p => ({x: p[0], y: p[1]})), borderColor: c,
                       backgroundColor: c, borderWidth: 2, pointRadius: s.points.length > 60 ? 0 : 3,
                       borderDash: s.dash ? [6, 4] : []});
      }
    }
    const chart = new Chart(canvas, {
      type: type,
      data: labels ? {labels: labels, datasets: datasets} : {datasets: datasets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: true,
        plugins: {legend: {position: 'bottom', labels: {filter: (item, data) => !data.datasets[item.datasetIndex].band}}},
        scales: {x: xScale, y: yScale}
      }
    });
    drawn.push({chart: chart, sec: sec});
  }

  function check() {
    const ok = strataMarkDrawn(drawn);
    const status = document.getElementById('charts-ok');
    status.textContent = ok + '/' + drawn.length;
  }
  check();
  window.addEventListener('load', check);
})();
)JS";

}  // namespace

std::string ExperimentHtml(const Json& model, const std::string& chartjs_source) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>strata experiment: " +
                    HtmlEscape(model.value("title", std::string())) + "</title>\n<style>" + kStyle + "</style>\n";
  if (!chartjs_source.empty()) out += "<script>\n" + chartjs_source + "\n</script>\n";
  out += "</head>\n<body>\n<header id=\"head\"></header>\n";
  if (chartjs_source.empty())
    out += "<div class=\"warning\" id=\"no-chartjs\">Charts need Chart.js, which was not found: run scripts/setup or "
           "point STRATA_CHARTJS at a chart.umd.js, then run the experiment again (finished cells are not rerun).</div>\n";
  out += "<section id=\"summary\"></section>\n<main id=\"charts\"></main>\n<div id=\"charts-ok\">charts not drawn</div>\n";
  out += "<script type=\"application/json\" id=\"report-data\">" +
         ScriptSafe(model.dump(-1, ' ', false, Json::error_handler_t::replace)) + "</script>\n";
  out += "<script>" + std::string(kMarkDrawnScript) + "</script>\n";
  out += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return out;
}

Result<ReportFiles> WriteExperimentReport(const std::string& dir, const std::string& title,
                                          const std::vector<harness::CellResult>& cells, const std::string& chartjs) {
  ReportFiles out;
  out.html_path = dir + "/report.html";
  const Json model = ExperimentModel(title, cells);
  const std::string source = ReadChartJs(
      chartjs, "no charts: Chart.js was not found; run scripts/setup or set STRATA_CHARTJS", &out.warnings);
  out.charts = !source.empty();
  for (const Json& c : model["charts"])
    if (!c.contains("missing") && out.charts) out.canvases++;
  STRATA_RETURN_IF_ERROR(WriteFileAtomically(out.html_path, ExperimentHtml(model, source)));
  return out;
}

}  // namespace strata::reports
