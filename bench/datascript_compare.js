// The DataScript side of strata_datascript_compare (datascript_compare.cc).
//
// usage: node datascript_compare.js DATASCRIPT.js IN.json OUT.json
//
// IN: {schema, tx, seconds, queries: [{name, q, inputs}],
//      pulls: [{name, pattern, tempids, many}]}
// OUT: {version, import_ms, datoms, reads: [{name, rows, runs, median_ms}]}
// Timed like the strata side: the import is the median of 3 db_with calls
// on an empty database; each read runs twice to warm up, then until
// `seconds` have passed (at least 5 times), and reports the median.
'use strict';
const fs = require('fs');
const path = require('path');

const dsPath = path.resolve(process.argv[2]);
const d = require(dsPath);
const version = JSON.parse(fs.readFileSync(path.join(path.dirname(dsPath), 'package.json'), 'utf8')).version;
const input = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const time = (f) => {
  const rows = f();
  f();
  const ms = [];
  const start = nowMs();
  while (ms.length < 5 || nowMs() - start < input.seconds * 1000) {
    const a = nowMs();
    f();
    ms.push(nowMs() - a);
  }
  return { rows, runs: ms.length, median_ms: median(ms) };
};

// Import: one transaction into an empty database. A connection is used for
// the last run so the tempids can be mapped to entity ids.
const imports = [];
let db = null;
let tempids = null;
for (let rep = 0; rep < 3; ++rep) {
  const conn = d.create_conn(input.schema);
  const a = nowMs();
  const report = d.transact(conn, input.tx);
  imports.push(nowMs() - a);
  db = d.db(conn);
  tempids = report.tempids;
}
const datoms = d.datoms(db, ':eavt').length;
process.stderr.write(`datascript ${version}: imported ${datoms} datoms\n`);

const size = (r) => (r === null || r === undefined ? 0 : Array.isArray(r) ? r.length : 1);
const reads = [];
for (const q of input.queries) {
  process.stderr.write(`datascript: ${q.name}\n`);
  reads.push({ name: q.name, ...time(() => size(d.q(q.q, db, ...q.inputs))) });
}
for (const p of input.pulls) {
  process.stderr.write(`datascript: ${p.name}\n`);
  const eids = p.tempids.map((t) => tempids[String(t)]);
  const f = p.many
    ? () => size(d.pull_many(db, p.pattern, eids))
    : () => {
        let n = 0;
        for (const e of eids) n += d.pull(db, p.pattern, e) !== null ? 1 : 0;
        return n;
      };
  reads.push({ name: p.name, ...time(f) });
}
fs.writeFileSync(process.argv[4], JSON.stringify({ version, import_ms: median(imports), datoms, reads }));
