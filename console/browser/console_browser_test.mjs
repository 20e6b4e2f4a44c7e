// The console in headless Chromium (Debian's chromium, driven by
// playwright-core from console/browser/package.json): a transactor, a
// writable console as its peer and a read-only console over the same
// folder; the pages load, a query runs and shows its rows, an entity's
// reference link navigates, a transaction committed by another process
// (`strata peer transact`) appears on the live page, the transact page
// commits, the time control changes what the schema and log show, the log,
// the index walker and the indexing page load and page.
//
//   node console_browser_test.mjs STRATA_BIN NODE_MODULES_DIR
//
// Exit 0 when every check passed, 1 when one failed, 77 (CTest's skip)
// when Chromium or playwright-core is not installed (scripts/setup
// installs both).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [strata, modules] = process.argv.slice(2).map(p => p && path.resolve(p));
// STRATA_CONSOLE_SCREENSHOTS=DIR saves a picture of each page there.
const shots = process.env.STRATA_CONSOLE_SCREENSHOTS;
if (!strata || !modules) { console.error('usage: console_browser_test.mjs STRATA_BIN NODE_MODULES_DIR'); process.exit(2); }

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}
// A build that did not build the tool (the sanitizer stages of .ci/run) skips.
if (!fs.existsSync(strata)) { console.log(`SKIP: ${strata} is not built`); process.exit(77); }
const chromiumPath = which('chromium') || which('chromium-browser');
if (!chromiumPath) { console.log('SKIP: chromium is not installed (scripts/setup installs it)'); process.exit(77); }
let playwright;
try {
  playwright = createRequire(path.join(modules, 'package.json'))('playwright-core');
} catch (e) {
  console.log(`SKIP: playwright-core is not in ${modules} (scripts/setup installs it with npm): ${e.message}`);
  process.exit(77);
}

let passed = 0, failed = 0;
function check(ok, what, detail = '') {
  if (ok) { passed++; console.log('ok   ' + what); } else { failed++; console.log('FAIL ' + what + (detail ? ': ' + detail : '')); }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-console-browser-'));
const db = path.join(dir, 'db');
const children = [];

// Starts `strata args...` and resolves with the first stdout line matching re.
function serve(args, re) {
  return new Promise((resolve, reject) => {
    const p = spawn(strata, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(p);
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error(`strata ${args[0]} did not start: ${out}${err}`)), 15000);
    p.stdout.on('data', d => {
      out += d;
      const m = out.match(re);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    p.stderr.on('data', d => { err += d; });
    p.on('exit', code => { clearTimeout(timer); reject(new Error(`strata ${args[0]} exited ${code}: ${err}`)); });
  });
}

function run(args, input) {
  const r = spawnSync(strata, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`strata ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const artists = 7;
const inGb = Math.ceil(artists / 2);
const schema = `[{:db/ident :country/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :artist/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :artist/country :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}]
[{:country/name "GB"} {:country/name "US"}]
` + [...Array(artists).keys()].map(i => `[{:artist/name "Artist ${i}" :artist/country [:country/name "${i % 2 ? 'US' : 'GB'}"]}]`).join('\n');

let browser;
try {
  run(['transact', '--db', db, '-'], schema);
  run(['index', '--db', db]);  // a durable index for the indexing page
  const endpoint = await serve(['transactor', '--db', db, '--listen', '127.0.0.1:0'], /listening on tcp:\/\/(\S+)/);
  const peerUrl = await serve(['console', '--connect', endpoint, '--listen', '127.0.0.1:0', '--writable'], /listening on (http:\/\/\S+)/);
  const roUrl = await serve(['console', '--db', db, '--listen', '127.0.0.1:0'], /listening on (http:\/\/\S+)/);
  browser = await playwright.chromium.launch({ executablePath: chromiumPath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  const requests = [];
  page.on('request', r => requests.push(r.url()));
  const rendered = async (hash) => {
    await page.evaluate(() => { delete document.body.dataset.page; });
    await page.evaluate(h => { location.hash = h; }, hash);
    await page.waitForFunction(() => document.body.dataset.page !== undefined, null, { timeout: 10000 });
  };
  const shot = async (name) => { if (shots) await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true }); };

  // Schema: every user attribute, with its datom count.
  await page.goto(peerUrl + '/#/schema');
  await page.waitForSelector('#schema-table tr[data-ident=":artist/name"]', { timeout: 10000 });
  const nameRow = await page.$$eval('#schema-table tr[data-ident=":artist/name"] td', tds => tds.map(t => t.textContent));
  check(nameRow[1] === 'string' && nameRow[3] === 'identity', 'schema shows :artist/name as a unique string', nameRow.join(' | '));
  await shot('schema');
  check(nameRow[7] === String(artists), `schema counts ${artists} :artist/name datoms`, nameRow[7]);

  // Query: the rows the data implies.
  await rendered('#/query');
  await page.fill('#query-text', '[:find ?a ?n :in $ ?c :where [?k :country/name ?c] [?a :artist/country ?k] [?a :artist/name ?n]]');
  await page.click('details summary');
  await page.fill('#query-inputs', '"GB"');
  await page.click('#query-run');
  await page.waitForSelector('#query-table tbody tr', { timeout: 10000 });
  const rows = await page.$$eval('#query-table tbody tr', trs => trs.map(tr => [...tr.children].map(td => td.textContent)));
  check(rows.length === inGb, `the query shows ${inGb} rows`, String(rows.length));
  check(rows.every(r => /^Artist \d+$/.test(r[1]) && Number(r[1].split(' ')[1]) % 2 === 0), 'each row is a British artist', JSON.stringify(rows));
  const stats = await page.textContent('#query-stats');
  check(/datoms read/.test(stats), 'the query shows its io-stats', stats);
  await shot('query');
  await page.click('button[data-pane="edn"]');
  const edn = await page.textContent('#query-edn');
  check(edn.includes('"Artist 0"'), 'the EDN view shows the result', edn.slice(0, 200));

  // A bad query: a clear error on the page.
  await page.click('button[data-pane="table"]');
  await page.fill('#query-text', '[:find ?a :where [?a :artist/name');
  await page.click('#query-run');
  await page.waitForSelector('#error:not([hidden])', { timeout: 10000 });
  const err = await page.textContent('#error');
  check(/query/.test(err), 'a malformed query shows its error', err);

  // Entity: an artist's :artist/country value is a link to the country.
  const gb = await (await fetch(peerUrl + '/api/entity?e=' + encodeURIComponent('[:country/name "GB"]'))).json();
  await rendered('#/entity/' + encodeURIComponent('[:artist/name "Artist 0"]'));
  const link = await page.$('table.datoms tr:has(td:text-is(":artist/country")) a.entity-link');
  check(link !== null, 'the entity page links its reference');
  if (link) {
    await link.click();
    await page.waitForFunction(id => document.querySelector('#entity-id')?.textContent === id, String(gb.id), { timeout: 10000 });
    const body = await page.textContent('main');
    check(body.includes('GB'), 'the link navigates to the country', body.slice(0, 200));
    check((await page.evaluate(() => location.hash)).startsWith('#/entity/' + gb.id), 'the address names the entity');
    await shot('entity');
    const refsIn = await page.$$('table.datoms >> nth=1 >> tbody tr');
    check(refsIn.length === inGb, `the country has ${inGb} references in`, String(refsIn.length));
  }

  // Live: a transaction committed by another process appears.
  await rendered('#/live');
  const name = 'Live ' + process.pid;
  const txFile = path.join(dir, 'live.edn');
  fs.writeFileSync(txFile, `[{:country/name "${name}"}]`);
  run(['peer', '--connect', endpoint, 'transact', txFile]);
  await page.waitForFunction(n => document.querySelector('#live-list')?.textContent.includes(n), name, { timeout: 10000 })
    .then(() => check(true, 'a transaction committed elsewhere appears live'),
      e => check(false, 'a transaction committed elsewhere appears live', e.message));
  await shot('live');
  const count = await page.textContent('#live-count');
  check(Number(count) >= 1, 'the live tab counts it', count);

  // Transact (--writable): the page commits through the transactor, and
  // the transaction comes back on the live stream.
  await rendered('#/transact');
  await page.fill('#transact-text', '[{:country/name "From the page"}]');
  await page.click('#transact-run');
  await page.waitForFunction(() => /"tempids"/.test(document.querySelector('#transact-out')?.textContent || ''), null, { timeout: 10000 })
    .then(() => check(true, 'the transact page commits'), e => check(false, 'the transact page commits', e.message));
  await page.waitForFunction(c => Number(document.querySelector('#live-count').textContent) === c + 1, Number(count), { timeout: 10000 })
    .then(() => check(true, 'its transaction arrives live'), e => check(false, 'its transaction arrives live', e.message));

  // The read-only console over the same folder: the log, the index walker, indexing.
  await page.goto(roUrl + '/#/log');
  await page.waitForSelector('#log-list .tx', { timeout: 10000 });
  await shot('log');
  const txs = await page.$$('#log-list .tx');
  check(txs.length === artists + 2, `the log lists ${artists + 2} transactions`, String(txs.length));
  // The time control: as of the first artist's transaction, one artist.
  const log = await (await fetch(roUrl + '/api/log?from=0&limit=3')).json();
  const firstArtist = log.transactions[2].t;
  await rendered('#/schema');
  await page.fill('#as-of', String(firstArtist));
  await page.evaluate(() => { delete document.body.dataset.page; });
  await page.click('#time button[type=submit]');
  await page.waitForFunction(() => document.body.dataset.page === 'schema', null, { timeout: 10000 });
  const pastRow = await page.$$eval('#schema-table tr[data-ident=":artist/name"] td', tds => tds.map(t => t.textContent));
  check(pastRow[7] === '1', `as of t ${firstArtist} the schema counts 1 :artist/name datom`, pastRow[7]);
  await rendered('#/log');
  const pastTxs = await page.$$('#log-list .tx');
  check(pastTxs.length === 3, 'as of that t the log lists 3 transactions', String(pastTxs.length));
  await page.evaluate(() => { delete document.body.dataset.page; });
  await page.click('#time-clear');
  await page.waitForFunction(() => document.body.dataset.page === 'log', null, { timeout: 10000 });
  await rendered('#/datoms');
  await page.selectOption('#datoms-index', 'aevt');
  await page.fill('.component >> nth=0', ':artist/name');
  await page.fill('#datoms-limit', '3');
  await page.click('#datoms-run');
  await page.waitForFunction(() => document.querySelectorAll('#datoms-out tbody tr').length === 3, null, { timeout: 10000 });
  await page.click('#datoms-next');
  await page.waitForFunction(() => document.querySelectorAll('#datoms-out tbody tr').length === 6, null, { timeout: 10000 })
    .then(() => shot('datoms')).then(() => check(true, 'the index walker pages'), e => check(false, 'the index walker pages', e.message));
  await rendered('#/indexing');
  check(await page.$('#trees-table') !== null, 'the indexing page shows the trees');
  await page.click('#trees-table tbody tr >> nth=0 >> a');
  await page.waitForSelector('#segments tbody tr', { timeout: 10000 })
    .then(() => check(true, 'a level opens into its segments'), e => check(false, 'a level opens into its segments', e.message));
  await shot('indexing');
  check(errors.length === 0, 'no script errors', errors.join('; '));
  const foreign = requests.filter(u => !u.startsWith(peerUrl) && !u.startsWith(roUrl));
  check(foreign.length === 0, 'nothing is loaded from elsewhere', foreign.join(' '));
} catch (e) {
  check(false, 'the test ran to its end', e.stack);
} finally {
  if (browser) await browser.close();
  for (const p of children.reverse()) p.kill('SIGTERM');
  await new Promise(r => setTimeout(r, 300));
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`console browser test: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
