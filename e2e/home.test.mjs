import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('home page follows Accept-Language and the language switcher, without JavaScript', async () => {
  const context = await browser.newContext({ locale: 'es-MX', javaScriptEnabled: false });
  const page = await context.newPage();
  let bytes = 0;
  page.on('response', async (r) => { try { bytes += (await r.body()).length; } catch { /* redirects have no body */ } });
  await page.goto(server.url + '/');
  assert.equal(await page.getAttribute('html', 'lang'), 'es');
  assert.match(await page.textContent('h1'), /caminos legales/);
  assert.ok(bytes < 50 * 1024, `home page and its assets are ${bytes} bytes, want under 50 KB`);

  await page.click('nav.langs a[hreflang="ht"]');
  assert.equal(await page.getAttribute('html', 'lang'), 'ht');
  assert.match(await page.textContent('h1'), /chemen legal/);

  // The choice is remembered by cookie across pages.
  await page.goto(server.url + '/');
  assert.equal(await page.getAttribute('html', 'lang'), 'ht');

  await page.click('nav.langs a[hreflang="en"]');
  assert.match(await page.textContent('h1'), /lawful pathways/);
  await context.close();
});
