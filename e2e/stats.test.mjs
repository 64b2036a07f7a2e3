// The public encounters dashboard: the real Southwest Land Border file is
// imported with `senda stats import`, then a phone without JavaScript reads
// the charts, their tables and CSV downloads, in Spanish and English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { startServer, launch, senda } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const swFile = join(root, '..', 'shared', 'data', 'cbp', 'sw-land-border-encounters-fy22-fy25-aug.csv');

let server, browser, data;
before(async () => {
  data = mkdtempSync(join(tmpdir(), 'senda-e2e-stats-'));
  const db = ['--data', data];
  if (process.env.SENDA_E2E_DATABASE_URL) db.push('--database-url', process.env.SENDA_E2E_DATABASE_URL);
  // Importing twice is harmless: the second time nothing changes.
  const out = execFileSync(senda(), ['stats', 'import', swFile, ...db], { encoding: 'utf8' });
  assert.match(out, /cbp-sw-land-border (version \d+|unchanged)/);
  server = await startServer(['--data', data]);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (data) rmSync(data, { recursive: true, force: true });
});

test('public dashboard: charts with their tables and CSV, without JavaScript, on a phone', async () => {
  const context = await browser.newContext({ locale: 'es-MX', javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  let bytes = 0;
  page.on('response', async (r) => { try { bytes += (await r.body()).length; } catch { /* redirects have no body */ } });
  await page.goto(server.url + '/');
  await page.click('nav.main a[href="/stats"]');
  assert.equal(new URL(page.url()).pathname, '/stats');
  assert.equal(await page.textContent('h1'), 'Estadísticas de encuentros');
  assert.ok(bytes < 100 * 1024, `home, dashboard and assets are ${bytes} bytes, want under 100 KB`);

  // Three charts, each an SVG drawn on the server, with its table and a CSV link.
  assert.equal(await page.locator('svg.chart').count(), 3);
  assert.equal(await page.locator('section.stats-block a.stats-csv').count(), 3);
  assert.equal(await page.locator('[style]').count(), 0, 'no inline style attributes');
  assert.match(await page.textContent('.stats-record'), /2023-12, con 301\.981 encuentros/);

  // February 2024 by citizenship, chosen through the form.
  await page.selectOption('#month', '2024-02');
  await page.selectOption('#by', 'citizenship');
  await page.click('form[action="/stats#breakdown"] button');
  assert.equal(await page.textContent('#breakdown-h'), '2024-02 por Ciudadanía');
  const rows = await page.$$eval('#breakdown tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows[1], ['Mexico', '62.994', '33,17']);
  assert.equal(await page.locator('#breakdown svg.chart-bar rect').count(), 5);
  assert.equal(await page.textContent('#ranks-h'), 'Febrero de cada año');
  assert.match(await page.textContent('#ranks ~ .stats-record'), /2024-02 es un récord/);

  // The CSV behind the bar chart is the API's answer to the same query.
  const href = await page.getAttribute('#breakdown a.stats-csv', 'href');
  const csv = await (await context.request.get(server.url + href)).text();
  assert.equal(csv, 'citizenship,encounters,share_pct\nEl Salvador,4416,2.33\nGuatemala,23786,12.52\nHonduras,10190,5.37\nMexico,62994,33.17\nOther,88527,46.61\n');
  const monthly = await (await context.request.get(server.url + await page.getAttribute('#monthly a.stats-csv', 'href'))).text();
  assert.match(monthly, /^month,encounters,mom_prev,mom_change,mom_pct,record_month,record_encounters,is_record\n2021-10,/);
  assert.match(monthly, /\n2024-02,189913,176195,13718,7\.79,2023-12,301981,false\n/);

  // The language switcher works here too.
  await page.click('nav.langs a[hreflang="en"]');
  assert.equal(new URL(page.url()).pathname, '/stats');
  assert.equal(await page.textContent('h1'), 'Encounter statistics');
  assert.match(await page.textContent('.stats-record'), /2023-12, with 301,981 encounters/);
  await context.close();
});

test('public dashboard: nothing blocked by the Content-Security-Policy, and axe finds no violations', async () => {
  const context = await browser.newContext({ locale: 'ht' });
  const page = await context.newPage();
  const blocked = [];
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) blocked.push(m.text()); });
  await page.goto(server.url + '/stats?month=2023-12&by=demographic');
  assert.equal(await page.textContent('h1'), 'Estatistik rankont yo');
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  assert.deepEqual(violations.map((v) => `${v.id}: ${v.help}`), [], 'accessibility violations on /stats');
  assert.deepEqual(blocked, [], 'the Content-Security-Policy blocked something');
  await context.close();
});
