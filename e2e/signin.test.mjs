// Sign-in and administration journey: an administrator created with the
// command line signs in through the page in Haitian Creole, creates an API
// token whose secret is shown once, and signs out. No JavaScript is needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { startServer, launch, senda } from './harness.mjs';

const password = 'yon fraz ki long anpil';
const email = `admin-${process.pid}-${Date.now()}@example.org`;
let server, browser, data;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'senda-e2e-signin-'));
  const db = process.env.SENDA_E2E_DATABASE_URL ? ['--database-url', process.env.SENDA_E2E_DATABASE_URL] : [];
  execFileSync(senda(), ['account', 'create', '--data', data, ...db, '--email', email, '--role', 'admin', '--scope', '*'],
    { input: password + '\n' });
  server = await startServer([], { data });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (data) rmSync(data, { recursive: true, force: true });
});

const path = (page) => new URL(page.url()).pathname;

test('an administrator signs in in Haitian Creole, creates a token seen once, and signs out', async () => {
  const context = await browser.newContext({ locale: 'ht', javaScriptEnabled: false });
  const page = await context.newPage();
  const blocked = [];
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) blocked.push(m.text()); });

  // A page for administrators sends an anonymous visitor to sign in.
  await page.goto(server.url + '/admin');
  assert.equal(path(page), '/signin');
  assert.equal(await page.getAttribute('html', 'lang'), 'ht');
  assert.equal(await page.textContent('h1'), 'Konekte');

  // A wrong password: the one generic answer, the login kept, the password not.
  await page.fill('#login', email);
  await page.fill('#password', 'se pa modpas la sa');
  await page.click('main form[action="/signin"] button[type=submit]');
  assert.match(await page.textContent('[role=alert]'), /Koneksyon an pa mache/);
  assert.equal(await page.inputValue('#login'), email);
  assert.equal(await page.inputValue('#password'), '');

  await page.fill('#password', password);
  await page.click('main form[action="/signin"] button[type=submit]');
  assert.equal(path(page), '/admin');
  assert.equal(await page.textContent('h1'), 'Administrasyon');

  await page.click('a[href="/admin/tokens"]');
  assert.equal(await page.textContent('h1'), 'Jeton API');
  await page.fill('#name', 'tablo estatistik');
  await page.selectOption('#role', 'analyst');
  await page.fill('#scope', 'GT');
  await page.click('main form[action="/admin/tokens"] button[type=submit]');
  assert.equal(await page.textContent('h1'), 'Nouvo jeton API ou');
  const secret = (await page.textContent('#secret')).trim();
  assert.match(secret, /^st_[A-Za-z0-9_-]{40,}$/);

  // The secret works with the API...
  const me = await fetch(server.url + '/api/v1/me', { headers: { Authorization: 'Bearer ' + secret } });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).role, 'analyst');
  // ...and is never shown again.
  await page.goto(server.url + '/admin/tokens');
  const list = await page.content();
  assert.ok(list.includes('tablo estatistik'), 'the new token is listed');
  assert.ok(!list.includes(secret), 'the token list must not show the secret');

  await page.click('form.signout button');
  assert.equal(path(page), '/');
  assert.ok(await page.isVisible('nav.main a[href="/signin"]'), 'signed out: the sign-in link is back');
  await page.goto(server.url + '/admin');
  assert.equal(path(page), '/signin');

  assert.deepEqual(blocked, [], 'the Content-Security-Policy blocked something');
  await context.close();
});

test('the sign-in and code pages pass axe', async () => {
  const context = await browser.newContext({ locale: 'ht' });
  const page = await context.newPage();
  for (const p of ['/signin', '/signin/code', '/signin/code/verify']) {
    await page.goto(server.url + p);
    const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
    assert.deepEqual(violations.map((v) => `${v.id}: ${v.help}`), [], `${p} has accessibility violations`);
  }
  await context.close();
});
