// Drives Debian's chromium through the HTML report (`index.html` as `millrace report` writes
// it): at 420 px and at desktop width no text is drawn under 11 px and nothing is wider than
// its card — the tables of every parameter and of the statistics included, which reflow on a
// narrow screen — and each top parameter's effect is stated for a typical change.
//
//   node tests/browser/report.mjs FILE_URL [SCREENSHOT_DIR]
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { misfits } from './fit.mjs';

const [url, shots = 'target/screenshots'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node report.mjs FILE_URL [SCREENSHOT_DIR]');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
// The report's boxes: nothing may stick out of them.
const CARDS = '.card, section.product, ol.effects li';

const problems = [];
function check(ok, what) {
  if (!ok) problems.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  await page.goto(url);
  // Everything folded away is looked at too.
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));

  const effects = await page.$$eval('ol.effects .effect', (nodes) => nodes.map((n) => n.textContent.replace(/\s+/g, ' ').trim()));
  check(effects.length > 0 && effects.every((e) => /^output [+-]?[\d.]+ units\/hour when its (mean|rate) is [\d.e-]+(\/hour)? higher/.test(e)),
    `effects stated for a typical change, in units/hour: ${effects[0]}`);
  for (const width of [420, 1200]) {
    await page.setViewportSize({ width, height: 900 });
    const found = await misfits(page, CARDS);
    for (const problem of found.slice(0, 12)) check(false, `at ${width} px: ${problem}`);
    check(found.length === 0, `at ${width} px: no text under 11 px, nothing wider than its card (${found.length} problems)`);
    const tables = await page.$$eval('table', (all) => all.map((t) => Math.round(t.getBoundingClientRect().width)));
    check(tables.length > 0, `tables ${tables.join(', ')} px wide at ${width} px`);
    await page.screenshot({ path: `${shots}/report-${width}.png`, fullPage: false });
    const first = await page.$('section.product');
    await first.screenshot({ path: `${shots}/report-${width}-product.png` });
  }
} finally {
  await browser.close();
}

for (const p of problems) console.error('problem: ' + p);
process.exit(problems.length === 0 ? 0 : 1);
