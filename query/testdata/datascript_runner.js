// Runs the differential test's cases in DataScript.
//
// usage: node datascript_runner.js DATASCRIPT_DIR IN.json OUT.json
//
// IN is [{schema, tx, queries: [{q, inputs}], pulls: [{pattern, eid}]}]
// where schema and tx use DataScript's JavaScript forms (attributes are
// strings). OUT is [{queries: [{ok}|{error}], pulls: [...]}] plus the time
// spent in queries and pulls, measured here so node's start-up is left out.
'use strict';
const fs = require('fs');
const path = require('path');

const d = require(path.resolve(process.argv[2]));
const cases = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));

const run = (f) => {
  try {
    const v = f();
    return { ok: v === undefined ? null : v };
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
};

let busyNs = 0n;
const out = cases.map((c) => {
  const db = d.db_with(d.empty_db(c.schema), c.tx);
  const start = process.hrtime.bigint();
  const queries = c.queries.map((x) => run(() => d.q(x.q, db, ...x.inputs)));
  const pulls = c.pulls.map((x) => run(() => d.pull(db, x.pattern, x.eid)));
  busyNs += process.hrtime.bigint() - start;
  return { queries, pulls };
});
fs.writeFileSync(process.argv[4], JSON.stringify({ busy_ms: Number(busyNs) / 1e6, cases: out }));
