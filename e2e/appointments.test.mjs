// Appointment journey in the browser, without JavaScript, on a 320 px
// screen: a programme manager sets a port's week, two households ask for an
// appointment in Spanish and Haitian Creole, the window closes and the draw
// is run through the API with an admin token, the public draw page shows
// the commitment, the requests root, the seed and the counts and its record
// passes the independent verifier, a household fails a confirmation check
// and is shown the in-person path, confirms, gets its QR code and calendar
// file, and a port officer checks it in by code on the day.
//
// The journey spans a day and a half, so it needs a clock it controls:
// the server is the test binary of internal/web (TestServeForBrowser), which
// serves the same pages and API on a store whose clock this file sets. It
// runs on SQLite, or on PostgreSQL in a fresh schema when
// SENDA_E2E_DATABASE_URL is set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { launch } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const ICAL = createRequire(import.meta.url)('ical.js');
const catalogue = (lang) => ({
  ...JSON.parse(readFileSync(join(root, 'internal/i18n/catalog/apptweb.' + lang + '.json'), 'utf8')),
  ...JSON.parse(readFileSync(join(root, 'internal/i18n/catalog/appointments.' + lang + '.json'), 'utf8')),
});
const fill = (s, args) => s.replace(/\{(\w+)\}/g, (_, k) => String(args[k]));

const day = '2025-03-02'; // a Sunday; requests are taken the day before, 12:00-23:59 New York time
const password = 'una frase bastante larga para la cita';
const unique = `${process.pid}${Date.now() % 100000}`;
const path = (page) => new URL(page.url()).pathname;

let browser, host;
before(async () => {
  browser = await launch();
  host = await startHost('2025-03-01T15:00:00-05:00');
});
after(async () => {
  await browser?.close();
  await host?.stop();
});

// startHost builds and runs the page server with a settable clock.
async function startHost(clock) {
  const bin = join(root, '.bin', 'senda-web-e2e.test');
  execFileSync('go', ['test', '-c', '-o', bin, './internal/web'], { cwd: root, stdio: 'inherit' });
  const proc = spawn(bin, ['-test.run=^TestServeForBrowser$', '-test.count=1', '-test.timeout=30m'], {
    cwd: join(root, 'internal', 'web'),
    env: { ...process.env, SENDA_E2E_SERVE: '1', SENDA_E2E_CLOCK: clock },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stderr.on('data', (c) => { log += c; });
  const lines = [];
  let wake = null;
  let buf = '';
  proc.stdout.on('data', (c) => {
    buf += c;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (wake) wake();
    }
  });
  const exited = new Promise((r) => proc.once('exit', r));
  async function next() {
    const deadline = Date.now() + 60000;
    while (lines.length === 0) {
      if (Date.now() > deadline) throw new Error('the page server did not answer in 60 s:\n' + log);
      await Promise.race([new Promise((r) => { wake = r; }), new Promise((r) => setTimeout(r, 250))]);
      if (proc.exitCode !== null && lines.length === 0) throw new Error(`the page server exited with ${proc.exitCode}:\n${log}`);
    }
    return lines.shift();
  }
  let hello;
  for (;;) {
    const line = await next();
    try { hello = JSON.parse(line); } catch { continue; }
    if (hello.msg === 'senda listening') break;
  }
  return {
    url: hello.addr,
    token: hello.admin_token,
    async clock(at) {
      proc.stdin.write(`clock ${at}\n`);
      let line;
      do line = await next(); while (!line.startsWith('senda-e2e: '));
      assert.equal(line, 'senda-e2e: ok');
    },
    async stop() {
      proc.stdin.end();
      const t = setTimeout(() => proc.kill('SIGTERM'), 10000);
      await exited;
      clearTimeout(t);
    },
  };
}

// api calls the JSON API with the admin token.
async function api(method, p, body) {
  const res = await fetch(host.url + p, {
    method,
    headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function context(lang, scripts = false) {
  const ctx = await browser.newContext({ locale: lang, javaScriptEnabled: scripts, viewport: { width: 320, height: 640 } });
  const page = await ctx.newPage();
  page.blocked = [];
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) page.blocked.push(m.text()); });
  return { ctx, page };
}

// signIn goes to a page, signs in where it is sent, and comes back.
async function signIn(page, target, login) {
  await page.goto(host.url + target);
  assert.equal(path(page), '/signin');
  await page.fill('#login', login);
  await page.fill('#password', password);
  await page.click('main form[action="/signin"] button[type=submit]');
  assert.equal(path(page), target.split('?')[0]);
}

// household is the test family, cut to size, speaking lang.
function household(size, lang) {
  const h = JSON.parse(readFileSync(join(root, 'internal/households/testdata/family.json'), 'utf8'));
  h.members = h.members.slice(0, size);
  h.language = lang;
  return h;
}

// applicant makes an account and a registered household through the API and
// signs in through the pages.
async function applicant(lang, size, n) {
  const { ctx, page } = await context(lang);
  const phone = `+52656${n}${unique.slice(-6).padStart(6, '0')}`;
  const made = await page.request.post(host.url + '/api/v1/accounts', { data: { phone, password, language: lang } });
  assert.equal(made.status(), 201, await made.text());
  await signIn(page, '/appointments/request', phone);
  const saved = await page.request.post(host.url + '/api/v1/households', { data: household(size, lang) });
  assert.equal(saved.status(), 201, await saved.text());
  return { ctx, page, login: phone, lang, t: catalogue(lang) };
}

async function staff(role, lang) {
  const email = `${role}-${unique}@example.org`;
  const made = await api('POST', '/api/v1/admin/accounts', { email, password, role, scope: 'US/POE-SYS' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const { ctx, page } = await context(lang);
  return { ctx, page, login: email, lang, t: catalogue(lang) };
}

// ask requests an appointment through the pages and returns the request id.
async function ask(who, prefs) {
  const { page, t } = who;
  await page.goto(host.url + '/appointments');
  await page.click(`main a[href="/appointments/request"]`);
  assert.equal(await page.textContent('h1'), t['apptweb.request.title']);
  for (const [i, p] of prefs.entries()) await page.selectOption(`#pref${i + 1}`, p);
  await page.click('main form[action="/appointments/request"] button[type=submit]');
  assert.equal(path(page), `/requests/${day}`);
  assert.equal(await page.textContent('[role=status]'), t['apptweb.result.sent']);
  assert.equal((await page.textContent('#request-status')).trim(), t['apptweb.request_status.live']);
  return (await page.textContent('#request-id')).trim();
}

async function fitsAndAccessible(state, lang, urls) {
  const ctx = await browser.newContext({ locale: lang, viewport: { width: 320, height: 640 }, storageState: state });
  for (const u of urls) {
    const page = await ctx.newPage();
    await page.goto(host.url + u);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    const wide = width <= 320 ? [] : await page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > 320 && !e.closest('.scroll'))
      .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')).slice(0, 5));
    assert.ok(width <= 320, `${u} is ${width} px wide on a 320 px screen: ${wide.join(', ')}`);
    const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
    assert.deepEqual(violations.map((v) => `${v.id}: ${v.help}`), [], `${u} has accessibility violations`);
    await page.close();
  }
  await ctx.close();
}

test('request, draw, confirmation and check-in through the pages', async () => {
  // The programme manager of San Ysidro sets its week.
  const pm = await staff('programme_manager', 'en');
  await signIn(pm.page, '/capacity/POE-SYS', pm.login);
  assert.equal(await pm.page.textContent('h1'), fill(pm.t['apptweb.capacity.location'], { location: 'San Ysidro (PedWest)' }));
  for (const d of ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) await pm.page.fill(`#day-${d}`, '08:00 5\n10:00 5');
  await pm.page.click('main form[action="/capacity/POE-SYS/template"] button[type=submit]');
  assert.equal(await pm.page.textContent('[role=status]'), pm.t['apptweb.capacity.saved_template']);
  assert.equal(await pm.page.inputValue('#day-sun'), '08:00 5\n10:00 5\n');
  await fitsAndAccessible(await pm.ctx.storageState(), 'en', ['/capacity/POE-SYS', '/closures']);

  // Two households ask, in Spanish and in Haitian Creole.
  const maria = await applicant('es', 3, 1);
  const jean = await applicant('ht', 2, 2);
  await maria.page.goto(host.url + '/appointments/request');
  await maria.page.click('main form[action="/appointments/request"] button[type=submit]');
  assert.equal(await maria.page.textContent('#pref1-error'), maria.t['apptweb.request.choose']);
  const mariaID = await ask(maria, ['POE-SYS', 'POE-CLX']);
  const jeanID = await ask(jean, ['POE-SYS']);
  assert.notEqual(mariaID, jeanID);

  // Before the close the public page holds the commitment only.
  const pub = await context('pt');
  const pt = catalogue('pt');
  await pub.page.goto(host.url + `/draws/${day}`);
  assert.equal((await pub.page.textContent('#draw-status')).trim(), pt['apptweb.draw.status.open']);
  assert.equal(await pub.page.locator('.timeline li.done').count(), 1);
  const commitment = (await pub.page.textContent('.timeline li.done code.hash')).trim();
  assert.match(commitment, /^[0-9a-f]{64}$/);

  // The window closes; a request now says when the next one opens, in the
  // time zone the applicant chose.
  await host.clock('2025-03-01T23:59:00-05:00');
  await signIn(jean.page, '/appointments/request', jean.login);
  await jean.page.selectOption('#tz', 'America/Tijuana');
  await jean.page.click('form.zone button[type=submit]');
  const closed = await jean.page.textContent('#window');
  assert.ok(closed.includes('09:00') && closed.includes('Tijuana'), closed);
  assert.equal(await jean.page.locator('main form[action="/appointments/request"][method=post]').count(), 0);

  // The draw runs through the API with an admin token.
  const drawn = await api('POST', `/api/v1/draws/${day}/execute`);
  assert.equal(drawn.status, 200, JSON.stringify(drawn.body));
  assert.equal(drawn.body.status, 'published');
  assert.equal(drawn.body.allocations, 2);

  // The public page now shows the root, the seed and the counts, and its
  // record passes the independent verifier.
  await pub.page.goto(host.url + `/draws/${day}`);
  assert.equal((await pub.page.textContent('#draw-status')).trim(), pt['apptweb.draw.status.published']);
  assert.equal(await pub.page.locator('.timeline li.done').count(), 3);
  const main = await pub.page.textContent('main');
  for (const want of [commitment, drawn.body.requests_root, drawn.body.seed]) assert.ok(main.includes(want), `draw page: ${want} missing`);
  const record = await pub.page.request.get(host.url + (await pub.page.getAttribute('#record-link', 'href')));
  assert.equal(record.status(), 200);
  const recordText = await record.text();
  assert.ok(recordText.includes(mariaID) && recordText.includes(jeanID), 'the record lists both request ids');
  const verifier = await context('en', true);
  await verifier.page.goto(host.url + (await pub.page.getAttribute('#verify-link', 'href')));
  await verifier.page.fill('#record', recordText);
  await verifier.page.click('#verify-form button[type=submit]');
  await verifier.page.waitForSelector('#result.valid, #result.invalid');
  assert.match(await verifier.page.textContent('#result'), /^valid/, await verifier.page.textContent('#result'));
  await verifier.ctx.close();

  // María sees her result with her own request id, fails a check, is told
  // how to confirm in person, then confirms.
  await signIn(maria.page, `/requests/${day}`, maria.login);
  assert.equal((await maria.page.textContent('#request-id')).trim(), mariaID);
  assert.equal((await maria.page.textContent('#request-status')).trim(), maria.t['apptweb.request_status.allocated']);
  await maria.page.click('main a.button');
  const apptPath = path(maria.page);
  assert.match(apptPath, /^\/appointments\/[0-9a-f-]{36}$/);
  const code = (await maria.page.textContent('#code')).trim();
  assert.match(code, /^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]$/);
  await maria.page.click('#confirm-link');
  assert.equal(await maria.page.textContent('h1'), maria.t['apptweb.confirm.title']);
  await maria.page.selectOption('#where', 'MX-CHP');
  await maria.page.fill('#liveness', '000000');
  await maria.page.click('main form button[type=submit]');
  assert.equal(await maria.page.textContent('#where-error'), maria.t['appointments.check.region_outside']);
  assert.equal(await maria.page.textContent('#liveness-error'), maria.t['appointments.check.liveness_failed']);
  assert.equal((await maria.page.textContent('#in-person .code')).trim(), code);
  const digits = (await maria.page.textContent('label[for=liveness]')).match(/\d{6}/)[0];
  await maria.page.selectOption('#where', 'MX-CHH');
  await maria.page.fill('#liveness', digits);
  await maria.page.click('main form button[type=submit]');
  assert.equal(path(maria.page), apptPath);
  assert.equal(await maria.page.textContent('[role=status]'), maria.t['apptweb.appt.confirmed_now']);
  assert.equal((await maria.page.textContent('#appt-status')).trim(), maria.t['apptweb.status.confirmed']);
  const qr = await maria.page.request.get(host.url + (await maria.page.getAttribute('#qr', 'src')));
  assert.equal(qr.headers()['content-type'], 'image/png');
  assert.deepEqual([...(await qr.body()).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  const ics = await maria.page.request.get(host.url + (await maria.page.getAttribute('#calendar-link', 'href')));
  const ev = new ICAL.Event(new ICAL.Component(ICAL.parse(await ics.text())).getFirstSubcomponent('vevent'));
  assert.equal(ev.startDate.toJSDate().toISOString(), '2025-03-02T16:00:00.000Z');
  assert.ok(ev.description.includes(code), ev.description);
  const printed = await maria.page.request.get(host.url + (await maria.page.getAttribute('#print-link', 'href')));
  assert.ok((await printed.text()).includes(code), 'the printable page shows the code');
  assert.deepEqual(maria.page.blocked, [], 'the Content-Security-Policy blocked something');
  await fitsAndAccessible(await maria.ctx.storageState(), 'es', ['/appointments', `/requests/${day}`, apptPath]);

  // On the day, at the port, the officer checks María's household in by
  // its code, typed in small letters without dashes.
  await host.clock('2025-03-02T07:30:00-08:00');
  const po = await staff('port_officer', 'en');
  await signIn(po.page, '/port/POE-SYS', po.login);
  assert.ok((await po.page.textContent('#arrivals')).includes(code));
  await po.page.fill('#code', code.replaceAll('-', '').toLowerCase());
  await po.page.click('main form[action="/port/POE-SYS/checkin"] button[type=submit]');
  assert.equal((await po.page.textContent('#arrived strong')).trim(), fill(po.t['apptweb.port.arrived'], { code }));
  assert.deepEqual(await po.page.locator('#members li').allTextContents(), ['María José Pérez Gómez', 'José Luis Sanabria', 'Valentina Sanabria Pérez']);
  assert.equal(await po.page.textContent('#counts'), fill(po.t['apptweb.port.counts'], { total: 2, checked_in: 1, waiting: 0, no_show: 0 }));
  await po.page.fill('#code', code);
  await po.page.click('main form[action="/port/POE-SYS/checkin"] button[type=submit]');
  assert.match(await po.page.textContent('[role=alert]'), new RegExp(po.t['appointments.already_checked_in.title']));
  assert.deepEqual(po.page.blocked, [], 'the Content-Security-Policy blocked something');
  await fitsAndAccessible(await po.ctx.storageState(), 'en', ['/port/POE-SYS']);
  await fitsAndAccessible(undefined, 'pt', [`/draws/${day}`, '/draws']);

  for (const c of [pm, maria, jean, pub, po]) await c.ctx.close();
});
