// The strata console's page: plain JavaScript, no library, nothing loaded
// from the network. Every view reads the JSON API of docs/console.md;
// the time control's as-of / since / history go with every read.
'use strict';

const state = { info: null, schema: new Map(), live: [], liveCount: 0, lastQuery: null };
const view = document.getElementById('view');
const PARTITION_IDS = 2 ** 42;  // entity ids in a partition (tx, user) start here

// ---- helpers -------------------------------------------------------------

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function timeParams() {
  const p = {};
  const asOf = document.getElementById('as-of').value.trim();
  const since = document.getElementById('since').value.trim();
  if (asOf) p['as-of'] = asOf;
  if (since) p.since = since;
  if (document.getElementById('history').checked) p.history = 'true';
  return p;
}

// GET (or POST with a form body) an API path; throws the server's error.
async function api(path, params = {}, options = {}) {
  const q = new URLSearchParams();
  const all = options.noTime ? params : { ...timeParams(), ...params };
  for (const [k, v] of Object.entries(all)) {
    if (Array.isArray(v)) v.forEach(x => q.append(k, x));
    else if (v !== undefined && v !== '') q.append(k, v);
  }
  const r = options.post
    ? await fetch(path, { method: 'POST', body: q, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
    : await fetch(path + '?' + q);
  const body = await r.json().catch(() => ({ error: 'HTTP ' + r.status + ' with no JSON body' }));
  if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
  return body;
}

// Replaces the view's content; null and undefined parts are left out.
// `token` is the route that drew it: a page whose reads finish after the
// user moved on draws nothing.
let routeToken = 0;
function render(token, ...parts) {
  if (token !== routeToken) return;
  view.replaceChildren(...parts.flat().filter(x => x !== null && x !== undefined));
}

function showError(e) {
  const box = document.getElementById('error');
  box.textContent = e ? String(e.message || e) : '';
  box.hidden = !e;
}

function entityLink(id, text) {
  return h('a', { href: '#/entity/' + encodeURIComponent(String(id)), class: 'entity-link' }, text ?? String(id));
}

function isRef(attr) {
  const a = state.schema.get(attr);
  return a && a.type === 'ref';
}

// A value cell: refs and partition ids are links to the entity.
function valueCell(v, attr) {
  if (typeof v === 'number' && (isRef(attr) || (Number.isInteger(v) && v >= PARTITION_IDS))) return entityLink(v);
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return v === null ? 'nil' : String(v);
}

// [e, ":a", v, tx, added] rows.
function datomTable(datoms, cols = ['e', 'a', 'v', 'tx', 'added']) {
  return h('table', { class: 'datoms' },
    h('thead', {}, h('tr', {}, cols.map(c => h('th', {}, c)))),
    h('tbody', {}, datoms.map(([e, a, v, tx, added]) => {
      const cells = { e: entityLink(e), a: a, v: valueCell(v, a), tx: entityLink(tx), added: String(added) };
      return h('tr', { class: added ? '' : 'retracted' }, cols.map(c => h('td', {}, cells[c])));
    })));
}

async function loadSchema() {
  const s = await api('/api/schema', { counts: 'false' }, { noTime: true });
  state.schema = new Map(s.attributes.map(a => [a.ident, a]));
  return s;
}

// ---- pages ---------------------------------------------------------------

async function schemaPage() {
  const token = routeToken;
  const s = await api('/api/schema');
  state.schema = new Map(s.attributes.map(a => [a.ident, a]));
  const showSystem = h('input', { type: 'checkbox', id: 'schema-system' });
  const cols = ['ident', 'type', 'cardinality', 'unique', 'index', 'component', 'noHistory', 'datoms', 'doc'];
  const body = h('tbody');
  const fill = () => {
    body.replaceChildren(...s.attributes.filter(a => showSystem.checked || !a.system).map(a =>
      h('tr', { 'data-ident': a.ident }, cols.map(c => h('td', { class: c === 'datoms' ? 'num' : '' },
        c === 'ident' ? h('a', { href: '#/datoms/aevt/' + encodeURIComponent(a.ident), title: 'walk its datoms (AEVT)' }, a.ident)
          : a[c] === null || a[c] === undefined ? '' : String(a[c]))))));
  };
  showSystem.addEventListener('change', fill);
  fill();
  render(token, h('h2', {}, 'Schema'),
    h('div', { class: 'row' }, h('label', {}, showSystem, ' show the system attributes (:db/...)'),
      h('span', { class: 'muted' }, 'datom counts in the view set above')),
    h('table', { id: 'schema-table' }, h('thead', {}, h('tr', {}, cols.map(c => h('th', {}, c)))), body));
}

function resultRows(result) {
  if (Array.isArray(result)) {
    if (result.every(r => Array.isArray(r))) return result;
    if (result.length && result.every(r => r && typeof r === 'object' && !Array.isArray(r))) {
      const keys = [...new Set(result.flatMap(r => Object.keys(r)))];
      return { keys, rows: result.map(r => keys.map(k => r[k])) };
    }
    return result.map(x => [x]);
  }
  if (result && typeof result === 'object') return { keys: ['key', 'value'], rows: Object.entries(result) };
  return [[result]];
}

function queryPage() {
  const token = routeToken;
  const last = state.lastQuery || {
    query: '[:find ?e ?ident :where [?e :db/ident ?ident] [(namespace ?ident) ?ns] [(not= ?ns "db")]]',
    inputs: '', rules: '' };
  const text = h('textarea', { id: 'query-text', rows: 6 }, last.query);
  const inputs = h('textarea', { id: 'query-inputs', rows: 2, placeholder: 'one EDN input per line, in :in order after $ (`log` for the log)' }, last.inputs);
  const rules = h('textarea', { id: 'query-rules', rows: 3, placeholder: 'rules (EDN), bound to %' }, last.rules);
  const out = h('div', { id: 'query-out' });
  const run = async () => {
    state.lastQuery = { query: text.value, inputs: inputs.value, rules: rules.value };
    out.replaceChildren(h('span', { class: 'muted' }, 'running…'));
    try {
      const r = await api('/api/q', {
        query: text.value, rules: rules.value,
        input: inputs.value.split('\n').map(s => s.trim()).filter(Boolean) }, { post: true });
      renderResult(out, r);
      showError(null);
    } catch (e) { out.replaceChildren(); showError(e); }
  };
  render(token, h('h2', {}, 'Query'), text,
    h('details', {}, h('summary', {}, 'inputs and rules'), inputs, rules),
    h('div', { class: 'row' }, h('button', { id: 'query-run', onclick: run }, 'Run'),
      h('span', { class: 'muted' }, 'bounded by the console\'s --timeout, --max-tuples and --max-bytes')), out);
}

function renderResult(out, r) {
  const shaped = resultRows(r.result);
  const keys = Array.isArray(shaped) ? r.columns : shaped.keys;
  const rows = Array.isArray(shaped) ? shaped : shaped.rows;
  const table = h('table', { id: 'query-table' },
    h('thead', {}, h('tr', {}, (keys.length ? keys : ['value']).map(c => h('th', {}, c)))),
    h('tbody', {}, rows.map(row => h('tr', {}, row.map(v => h('td', {}, valueCell(v)))))));
  const panes = { table, edn: h('pre', { id: 'query-edn' }, r.edn), json: h('pre', { id: 'query-json' }, JSON.stringify(r.result, null, 1)) };
  const holder = h('div', {}, table);
  const buttons = Object.keys(panes).map(k => h('button', { 'data-pane': k, class: k === 'table' ? 'current' : '', onclick: (ev) => {
    holder.replaceChildren(panes[k]);
    buttons.forEach(b => b.classList.toggle('current', b === ev.target));
  } }, k.toUpperCase()));
  const s = r.stats;
  out.replaceChildren(h('div', { class: 'row resview' }, buttons,
    h('span', { id: 'query-stats', class: 'muted' },
      `${rows.length} rows · ${s.ms.toFixed(1)} ms · ${s.datoms} datoms read · ${s.index_lookups} index lookups · ${s.tuples} tuples` +
      (s.rule_rounds ? ` · ${s.rule_rounds} rule rounds` : ''))), holder);
}

async function entityPage(arg) {
  const token = routeToken;
  const input = h('input', { id: 'entity-input', size: 40, placeholder: 'an id, an :ident, or a lookup ref [:attr value]', value: arg || '' });
  const go = () => { location.hash = '#/entity/' + encodeURIComponent(input.value.trim()); };
  const form = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); go(); } }, input, h('button', {}, 'Open'));
  if (!arg) { render(token, h('h2', {}, 'Entity'), form); return; }
  if (!state.schema.size) await loadSchema();
  const r = await api('/api/entity', { e: arg });
  const pattern = h('input', { id: 'pull-pattern', size: 50, value: '[*]' });
  const pulled = h('pre', { id: 'pull-out' });
  const pull = async () => {
    try { pulled.textContent = (await api('/api/pull', { pattern: pattern.value, e: String(r.id) })).edn; showError(null); }
    catch (e) { showError(e); }
  };
  render(token, h('h2', {}, 'Entity ', h('span', { id: 'entity-id' }, String(r.id)), r.ident ? ' ' + r.ident : ''), form,
    h('h3', {}, 'Datoms'), datomTable(r.datoms, ['a', 'v', 'tx', 'added']),
    r.datoms_truncated ? h('p', { class: 'muted' }, 'more datoms not shown') : null,
    h('h3', {}, 'References in'), r.refs_in.length ? datomTable(r.refs_in, ['e', 'a', 'tx']) : h('p', { class: 'muted' }, 'none'),
    r.refs_in_truncated ? h('p', { class: 'muted' }, 'more not shown') : null,
    h('h3', {}, 'Pull'), h('div', { class: 'row' }, pattern, h('button', { id: 'pull-run', onclick: pull }, 'Pull')), pulled);
}

function txBlock(tx) {
  return h('div', { class: 'tx', 'data-t': tx.t },
    h('h3', {}, 't ', String(tx.t), ' · tx ', entityLink(tx.tx), tx.instant ? ' · ' + tx.instant : '',
      ` · ${tx.datoms.length} datoms`),
    tx.annotations.length > 1 ? datomTable(tx.annotations.filter(d => d[1] !== ':db/txInstant'), ['a', 'v']) : null,
    datomTable(tx.datoms));
}

async function logPage() {
  const token = routeToken;
  if (!state.info.log) { render(token, h('h2', {}, 'Transactions'), h('p', {}, 'This console runs as a peer: the log is the transactor\'s. The live page shows new transactions.')); return; }
  if (!state.schema.size) await loadSchema();
  const list = h('div', { id: 'log-list' });
  const more = h('button', { id: 'log-older' }, 'older');
  let first = null;
  const load = async () => {
    const params = { limit: 20 };
    params.before = first !== null ? String(first) : String(state.info.basis_t + 1);
    const r = await api('/api/log', params);
    const txs = r.transactions.slice().reverse();  // newest first
    txs.forEach(tx => list.append(txBlock(tx)));
    if (r.transactions.length) first = r.transactions[0].t;
    more.hidden = !r.more;
  };
  more.addEventListener('click', () => load().catch(showError));
  render(token, h('h2', {}, 'Transactions'), h('p', { class: 'muted' }, 'Newest first; the time control bounds the range (as of ends it, since starts it).'), list, more);
  await load();
}

async function datomsPage(index, ...comps) {
  const token = routeToken;
  if (!state.schema.size) await loadSchema();
  const idx = h('select', { id: 'datoms-index' }, ['eavt', 'aevt', 'avet', 'vaet'].map(i => h('option', { value: i, selected: i === (index || 'eavt') }, i)));
  const inputs = [0, 1, 2, 3].map(i => h('input', { class: 'component', size: 22, placeholder: 'component ' + (i + 1) + ' (EDN)', value: comps[i] ? decodeURIComponent(comps[i]) : '' }));
  const mode = h('select', { id: 'datoms-mode' }, h('option', { value: 'prefix' }, 'datoms (prefix)'), h('option', { value: 'seek' }, 'seek-datoms (from)'));
  const limit = h('input', { id: 'datoms-limit', size: 5, value: '50' });
  const out = h('div', { id: 'datoms-out' });
  const nextBtn = h('button', { id: 'datoms-next', hidden: true }, 'next page');
  let next = null;
  const load = async (after) => {
    const r = await api('/api/datoms', { index: idx.value, mode: mode.value, limit: limit.value,
      c: inputs.map(i => i.value.trim()).filter(Boolean), after: after || '' });
    if (!after) out.replaceChildren();
    out.append(datomTable(r.datoms));
    next = r.next;
    nextBtn.hidden = !next;
  };
  nextBtn.addEventListener('click', () => load(next).catch(showError));
  render(token, h('h2', {}, 'Indexes'),
    h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); load().then(() => showError(null), showError); } },
      idx, inputs, mode, 'limit', limit, h('button', { id: 'datoms-run' }, 'Walk')),
    out, nextBtn);
  await load();
}

function livePage() {
  const token = routeToken;
  const list = h('div', { id: 'live-list' }, state.live.map(txBlock));
  render(token, h('h2', {}, 'Live transactions'),
    h('p', { class: 'muted', id: 'live-status' }, state.liveStatus || ''), list);
  state.liveList = list;
}

async function indexingPage() {
  const token = routeToken;
  const r = await api('/api/index', {}, { noTime: true });
  const maxLevels = Math.max(0, ...r.trees.map(t => t.levels.length));
  const seg = h('div', { id: 'segments' });
  const showLevel = async (tree, level, offset = 0) => {
    const s = await api('/api/index', { tree, level, offset, limit: 50 }, { noTime: true });
    seg.replaceChildren(...[h("h3", {}, `${s.tree} level ${s.level}: segments ${s.offset + 1}–${s.offset + s.segments.length} of ${s.segments_total}`),
      h('table', {}, h('thead', {}, h('tr', {}, ['id', 'datoms', 'bytes', 'first', 'last'].map(c => h('th', {}, c)))),
        h('tbody', {}, s.segments.map(x => h('tr', {}, h('td', {}, x.id), h('td', { class: 'num' }, x.datoms), h('td', { class: 'num' }, x.bytes),
          h('td', {}, JSON.stringify(x.first)), h('td', {}, JSON.stringify(x.last)))))),
      s.offset + s.segments.length < s.segments_total ? h('button', { onclick: () => showLevel(tree, level, offset + 50).catch(showError) }, 'more') : null].filter(Boolean));
  };
  const verifyOut = h('pre', { id: 'verify-out' });
  const jobCols = ['job', 'strategy', 'basis_t', 'novelty_datoms', 'segments_read', 'segments_written', 'bytes_written', 'datoms_rewritten', 'levels_max', 'wall_ms', 'plan'];
  render(token, h('h2', {}, 'Indexing'),
    h('p', {}, `Durable index basis-t ${r.index_basis_t}; database basis-t ${r.basis_t}. Memory index: ${r.memory_index.datoms} datoms, ${r.memory_index.bytes} bytes in ${r.memory_index.runs} runs.`),
    h('h3', {}, 'Trees (segments · datoms per level; click a level for its segments)'),
    h('table', { id: 'trees-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'tree'), [...Array(maxLevels).keys()].map(i => h('th', {}, 'L' + i)))),
      h('tbody', {}, r.trees.map(t => h('tr', {}, h('td', {}, t.name), [...Array(maxLevels).keys()].map(i => {
        const l = t.levels[i];
        return h('td', { class: 'num' }, l ? h('a', { href: 'javascript:void 0', onclick: () => showLevel(t.tree, i).catch(showError) }, `${l.segments} · ${l.datoms}`) : '');
      }))))),
    seg,
    h('h3', {}, `Indexing jobs run by this process (last ${r.jobs.length} of ${r.jobs_total})`),
    r.jobs.length ? h('table', { id: 'jobs-table' }, h('thead', {}, h('tr', {}, jobCols.map(c => h('th', {}, c)))),
      h('tbody', {}, r.jobs.map(j => h('tr', {}, jobCols.map(c => h('td', {}, j[c] === undefined ? '' : typeof j[c] === 'number' ? +j[c].toFixed(2) : String(j[c]))))))) : h('p', { class: 'muted' }, 'none yet (a read-only console or a peer runs no jobs)'),
    h('div', { class: 'row' }, h('button', { onclick: async () => {
      verifyOut.textContent = 'verifying…';
      try { verifyOut.textContent = JSON.stringify(await api('/api/verify', {}, { noTime: true }), null, 1); } catch (e) { verifyOut.textContent = ''; showError(e); }
    } }, 'Verify the durable index'), h('a', { href: '/report' }, 'the strata run report (--results)')),
    verifyOut);
}

function transactPage() {
  const token = routeToken;
  const text = h('textarea', { id: 'transact-text', rows: 8, placeholder: '[{:db/id "x" :some/attr "value"}]' });
  const out = h('pre', { id: 'transact-out' });
  render(token, h('h2', {}, 'Transact'), text, h('div', { class: 'row' },
    h('button', { id: 'transact-run', onclick: async () => {
      try { const r = await api('/api/transact', { tx: text.value }, { post: true, noTime: true }); out.textContent = JSON.stringify(r, null, 1); showError(null); }
      catch (e) { showError(e); }
    } }, 'Commit')), out);
}

// ---- routing, info, live stream ------------------------------------------

const pages = { schema: schemaPage, query: queryPage, entity: entityPage, log: logPage, datoms: datomsPage,
  live: livePage, indexing: indexingPage, transact: transactPage };

async function route() {
  const [name, ...args] = (location.hash.replace(/^#\/?/, '') || 'schema').split('/');
  const page = pages[name] || schemaPage;
  const token = ++routeToken;
  document.querySelectorAll('#tabs a').forEach(a => a.classList.toggle('current', a.dataset.tab === name));
  showError(null);
  state.liveList = null;
  try {
    await page(...args.map(decodeURIComponent));
  } catch (e) { if (token === routeToken) showError(e); }
  if (token === routeToken) document.body.dataset.page = name;  // for tests: the page has rendered
}

async function refreshInfo() {
  state.info = await api('/api/info', {}, { noTime: true });
  const i = state.info;
  document.getElementById('info').textContent = `${i.location} · ${i.kind} · ${i.writable ? 'writable' : 'read-only'} · basis-t ${i.basis_t}`;
  document.getElementById('tab-transact').hidden = !i.writable;
}

function startLive() {
  const es = new EventSource('/api/events');
  es.addEventListener('hello', (ev) => { state.liveStatus = 'connected at basis-t ' + JSON.parse(ev.data).basis_t; if (state.liveList) livePage(); });
  es.addEventListener('tx', (ev) => {
    const tx = JSON.parse(ev.data);
    state.live.unshift(tx);
    state.live.length = Math.min(state.live.length, 200);
    state.liveCount++;
    document.getElementById('live-count').textContent = String(state.liveCount);
    if (state.info) { state.info.basis_t = Math.max(state.info.basis_t, tx.t); }
    if (state.liveList) state.liveList.prepend(txBlock(tx));
  });
  es.addEventListener('reset', () => { state.liveStatus = 'fell behind the stream: some transactions are not shown'; });
  es.addEventListener('error', (ev) => { if (ev.data) state.liveStatus = 'stream ended: ' + JSON.parse(ev.data).error; });
}

document.getElementById('time').addEventListener('submit', (e) => {
  e.preventDefault();
  document.getElementById('time').classList.toggle('active', Object.keys(timeParams()).length > 0);
  route();
});
document.getElementById('time-clear').addEventListener('click', () => {
  document.getElementById('as-of').value = '';
  document.getElementById('since').value = '';
  document.getElementById('history').checked = false;
  document.getElementById('time').classList.remove('active');
  route();
});
window.addEventListener('hashchange', route);
refreshInfo().then(() => { startLive(); return route(); }, showError);
