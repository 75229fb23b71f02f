// Drives Debian's chromium through the live dashboard: the page renders the analysis, takes
// a new one without a reload when records are added, fits a 420 px wide screen (no text
// under 11 px, nothing wider than its card), breaks its timeline at gaps, logs no errors and
// asks nothing of any origin but its own.
//
// It also stops the server and starts it again: the page says "reconnecting…" meanwhile and
// goes live again by itself.
//
//   node tests/browser/dashboard.mjs URL APPEND_COMMAND STOP_COMMAND START_COMMAND [SCREENSHOT_DIR]
//
// URL is the dashboard; the commands are shell commands that add records to its store, stop
// the dashboard and start it again on the same address.
import { chromium } from 'playwright-core';
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { misfits } from './fit.mjs';

const [url, appendCommand, stopCommand, startCommand, shots = 'target/screenshots'] = process.argv.slice(2);
if (!url || !appendCommand || !stopCommand || !startCommand) {
  console.error('usage: node dashboard.mjs URL APPEND_COMMAND STOP_COMMAND START_COMMAND [SCREENSHOT_DIR]');
  process.exit(2);
}
const UPDATE_TIMEOUT_MS = 90_000;
// What the dashboard's cards are: nothing may stick out of them.
const CARDS = '.stream, .top li, section.product';
// An effect as the cards state it: three significant figures, in units/hour, for a typical
// change of the parameter.
const EFFECT = /^output ([+-]?[\d.]+(e-?\d+)?|0) units\/hour when its (mean|rate) is [\d.e-]+(\/hour)? higher/;
mkdirSync(shots, { recursive: true });

const problems = [];
// While the server is stopped on purpose, the browser may log its failed reconnections.
let serverDown = false;
const expectedWhileDown = (text) => serverDown && /ERR_CONNECTION_REFUSED|api\/events/.test(text);
function check(ok, what) {
  if (!ok) problems.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

// Per product: the interval count and the top three as shown.
async function shown(page) {
  return page.$$eval('[data-product]', (sections) => Object.fromEntries(sections.map((s) => [
    s.dataset.product,
    {
      intervals: s.querySelector('[data-testid="interval-count"]').textContent,
      top: [...s.querySelectorAll('[data-testid="top-item"]')].map((li) => li.innerText).join('\n'),
      parameters: [...s.querySelectorAll('[data-testid="top-parameter"]')].length,
    },
  ])));
}

// Whether a number is written with three significant figures ("0.00412", "4.00", "1230").
const threeFigures = (text) => {
  if (text === '0') return true;
  const digits = text.replace(/^[+-]/, '').replace(/e.*$/, '');
  return digits.includes('.')
    ? digits.replace('.', '').replace(/^0+/, '').length === 3
    : /^\d{3,}$/.test(digits);
};

// Fit at the page's current width, each problem reported.
async function checkFit(page, width) {
  await page.setViewportSize({ width, height: 900 });
  // The charts are drawn again at their new width a moment after a resize.
  await page.waitForTimeout(400);
  const found = await misfits(page, CARDS);
  for (const problem of found.slice(0, 12)) check(false, `at ${width} px: ${problem}`);
  check(found.length === 0, `at ${width} px: no text under 11 px, nothing wider than its card (${found.length} problems)`);
}

// Waits until the page shows `[metrics, workorders]` records stored (nothing to wait for
// when not given).
async function waitForRecords(page, counts) {
  if (counts.length !== 2) return;
  await page.waitForFunction(([m, w]) => {
    const records = (s) => document.querySelector(`[data-stream="${s}"] [data-testid="records"]`)?.textContent.replace(/\D/g, '');
    return records('metrics') === m && records('workorder') === w;
  }, counts, { timeout: UPDATE_TIMEOUT_MS });
  check(true, `${counts[0]} metrics and ${counts[1]} work orders are shown`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const origin = new URL(url).origin;
  page.on('console', (m) => {
    if (m.type() === 'error' && !expectedWhileDown(m.text())) problems.push('console error: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('request', (r) => {
    const target = r.url();
    if (!target.startsWith('data:') && new URL(target).origin !== origin) {
      problems.push('request beyond the dashboard: ' + target);
    }
  });

  await page.goto(url);
  // From the first analysis the page shows, each stream's rate is a number.
  await page.waitForFunction(() => /^updated/.test(document.getElementById('updated').textContent));
  const firstRates = await page.$$eval('[data-testid="rate"]', (nodes) => nodes.map((n) => n.textContent));
  check(firstRates.every((r) => /^\d+(\.\d)?$/.test(r)), `records per second shown from the first analysis (${firstRates.join(', ')})`);
  // Until the files' first contents are all stored, the analysis still changes by itself:
  // wait for them, so that the change checked below is the appended records'.
  const [first, appended] = ['EXPECT_RECORDS', 'EXPECT_RECORDS_AFTER']
    .map((name) => (process.env[name] || '').split(',').filter(Boolean));
  await waitForRecords(page, first);
  await page.waitForSelector('[data-product] [data-testid="top-item"] [data-testid="top-parameter"]');
  await page.waitForSelector('[data-product] [data-testid="interval-count"]');
  await page.waitForSelector('[data-product] svg[data-testid="timeline"] path.rate');
  const before = await shown(page);
  const products = Object.keys(before);
  check(products.length > 0, `products shown: ${products.join(', ')}`);
  for (const [product, p] of Object.entries(before)) {
    check(p.parameters === 3, `product ${product} shows three top parameters (${p.parameters})`);
  }
  check(await page.textContent('#connection') === 'live', 'the connection says live');
  const effects = await page.$$eval('[data-testid="effect"]', (nodes) => nodes.map((n) => n.firstChild.textContent));
  check(effects.length > 0 && effects.every((e) => EFFECT.test(e)), `effects per typical change in units/hour: ${effects[0]}`);
  check(effects.every((e) => threeFigures(e.match(EFFECT)[1])),
    'every effect has three significant figures');
  const scatters = await page.$$eval('[data-testid="top-item"]', (items) => items.map((li) => ({
    dots: li.querySelectorAll('svg.scatter circle').length,
    slope: li.querySelectorAll('svg.scatter line.slope').length,
  })));
  check(scatters.every((s) => s.dots > 10 && s.slope === 1), `each top parameter has a scatter with its slope (${JSON.stringify(scatters[0])})`);
  await checkFit(page, 1200);
  await page.waitForFunction(() => /^updated \d+ s ago$/.test(document.getElementById('updated').textContent));
  check(true, 'the age of the analysis is shown');
  // A reload would lose this mark: the page must change in place.
  await page.evaluate(() => { window.stillTheSamePage = true; });
  await page.screenshot({ path: `${shots}/before.png`, fullPage: true });

  console.log(`appending: ${appendCommand}`);
  execSync(appendCommand, { stdio: 'inherit', shell: '/bin/sh' });
  await page.waitForFunction((old) => [...document.querySelectorAll('[data-product]')].every((s) => {
    const was = old[s.dataset.product];
    return was && s.querySelector('[data-testid="interval-count"]').textContent !== was.intervals;
  }), before, { timeout: UPDATE_TIMEOUT_MS });
  // Work orders and readings are stored separately: the top three is compared once both
  // streams' appended records are in.
  await waitForRecords(page, appended);
  const after = await shown(page);
  for (const product of products) {
    check(after[product].intervals !== before[product].intervals,
      `product ${product}: interval count ${before[product].intervals} → ${after[product].intervals}`);
  }
  check(products.some((p) => after[p].top !== before[p].top), 'the top three changed with the new data');
  check(await page.evaluate(() => window.stillTheSamePage === true), 'without a reload');
  const rate = await page.textContent('[data-stream="metrics"] [data-testid="rate"]');
  check(/^\d+(\.\d)?$/.test(rate), `metrics records per second shown (${rate})`);
  // The continuation restarts every counter: the timeline has a gap there, and its lines
  // break at each gap instead of crossing it.
  const breaks = await page.evaluate(async () => {
    const doc = await (await fetch('/api/report')).json();
    return doc.timelines.map((t) => {
      let gaps = 0;
      for (let i = 1; i < t.start.length; i += 1) if (t.end[i - 1] !== t.start[i]) gaps += 1;
      const drawn = document.querySelector(`[data-product="${t.product}"] svg[data-testid="timeline"] path.rate`);
      return { product: t.product, gaps, pieces: (drawn.getAttribute('d').match(/M/g) || []).length };
    });
  });
  check(breaks.some((b) => b.gaps > 0), `the appended data leave a gap (${JSON.stringify(breaks)})`);
  check(breaks.every((b) => b.pieces === b.gaps + 1), 'the output line is broken at every gap, and only there');
  // One driver at a time over the output; the buttons pick which.
  const product = products[0];
  const buttons = `[data-product="${product}"] [data-testid="pick-driver"]`;
  await page.click(`${buttons} >> nth=1`);
  const picked = await page.$eval(`${buttons}[aria-pressed="true"]`, (b) => b.textContent);
  const drawn = await page.$$eval(`[data-product="${product}"] svg[data-testid="timeline"] path.driver`,
    (paths) => paths.map((p) => 'parameter ' + p.dataset.parameter));
  check(drawn.length === 1 && drawn[0] === picked, `the timeline draws the driver picked (${picked}): ${drawn}`);
  await page.click(`${buttons} >> text=output only`);
  check(await page.$$eval(`[data-product="${product}"] svg[data-testid="timeline"] path.driver`, (p) => p.length) === 0,
    'or only the output');
  await page.click(`${buttons} >> nth=0`);
  await page.screenshot({ path: `${shots}/after.png`, fullPage: true });

  const state = () => page.$eval('#connection', (n) => `${n.dataset.state}: ${n.textContent}`);
  serverDown = true;
  console.log(`stopping: ${stopCommand}`);
  execSync(stopCommand, { stdio: 'inherit', shell: '/bin/sh' });
  await page.waitForFunction(() => document.getElementById('connection').dataset.state === 'reconnecting');
  check(await state() === 'reconnecting: reconnecting…', 'the page says reconnecting while the server is away');
  console.log(`starting: ${startCommand}`);
  execSync(startCommand, { stdio: 'inherit', shell: '/bin/sh' });
  await page.waitForFunction(() => document.getElementById('connection').dataset.state === 'live',
    null, { timeout: UPDATE_TIMEOUT_MS });
  serverDown = false;
  check(await state() === 'live: live', 'live again after the server restarted');
  check(await page.evaluate(() => window.stillTheSamePage === true), 'still without a reload');

  await checkFit(page, 420);
  await page.screenshot({ path: `${shots}/narrow.png`, fullPage: true });
} finally {
  await browser.close();
}

for (const p of problems) console.error('problem: ' + p);
process.exit(problems.length === 0 ? 0 : 1);
