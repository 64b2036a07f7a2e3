// Household registration journey: an applicant whose account was made
// through the API signs in and registers a family of four through the pages,
// without JavaScript, on a 320 px wide screen, in Spanish and again in
// Haitian Creole on a fresh server; then a caseworker of the office finds and
// reads the household.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { startServer, launch, senda } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const catalogue = (lang) => ({
  ...JSON.parse(readFileSync(join(here, '../internal/i18n/catalog/register.' + lang + '.json'), 'utf8')),
  ...JSON.parse(readFileSync(join(here, '../internal/i18n/catalog/core.' + lang + '.json'), 'utf8')),
});
const password = 'mi familia unida 2024';
const staffPassword = 'una frase bastante larga para la oficina';
const unique = `${process.pid}${Date.now() % 100000}`;
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const path = (page) => new URL(page.url()).pathname;

// family is the household every run registers.
const family = {
  given: 'María José', surname1: 'Pérez', surname2: 'Gómez',
  members: [
    { relationship: 'spouse', given: 'José Luis', surname1: 'Sanabria', year: '1988', sex: 'M', nationality: 'VE' },
    { relationship: 'child', given: 'Valentina', surname1: 'Sanabria', surname2: 'Pérez', year: '2015', month: '9', sex: 'F', nationality: 'VE' },
    { relationship: 'child', given: 'Luisa', surname1: 'Sanabria', surname2: 'Pérez', year: '2019', month: '1', day: '30', nationality: 'CO' },
  ],
};

async function fillPerson(page, p) {
  await page.fill('#given-names', p.given);
  await page.fill('#surname1', p.surname1);
  await page.fill('#surname2', p.surname2 || '');
  await page.fill('#birth-year', p.year);
  await page.selectOption('#birth-month', p.month || '');
  await page.fill('#birth-day', p.day || '');
  if (p.sex) await page.selectOption('#sex', p.sex);
  await page.selectOption('#nationality', p.nationality);
}

// noOverflow checks a page fits a 320 px screen without sideways scrolling.
async function noOverflow(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 320, `${new URL(url).pathname} is ${width} px wide on a 320 px screen`);
  await page.close();
}

async function registerIn(lang, words) {
  const t = catalogue(lang);
  const data = mkdtempSync(join(tmpdir(), 'senda-e2e-register-'));
  const db = process.env.SENDA_E2E_DATABASE_URL ? ['--database-url', process.env.SENDA_E2E_DATABASE_URL] : [];
  const cwEmail = `cw-${lang}-${unique}@example.org`;
  execFileSync(senda(), ['account', 'create', '--data', data, ...db, '--email', cwEmail, '--role', 'caseworker', '--scope', 'MX'],
    { input: staffPassword + '\n' });
  const server = await startServer([], { data });
  try {
    const phone = `+52656${lang === 'es' ? 1 : 2}${unique.slice(-6).padStart(6, '0')}`;
    const context = await browser.newContext({ locale: lang, javaScriptEnabled: false, viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    const blocked = [];
    page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) blocked.push(m.text()); });

    // The account is made through the API; page.request shares the
    // browser's cookies.
    const made = await page.request.post(server.url + '/api/v1/accounts', { data: { phone, password, language: lang } });
    assert.equal(made.status(), 201, await made.text());

    // /register sends an anonymous visitor to sign in, then back.
    await page.goto(server.url + '/register');
    assert.equal(path(page), '/signin');
    await page.fill('#login', phone);
    await page.fill('#password', password);
    await page.click('main form[action="/signin"] button[type=submit]');
    assert.equal(path(page), '/register');
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    const h1 = await page.textContent('h1');
    assert.equal(h1, t['register.principal.title']);
    assert.match(h1, words.title);

    // A first try with mistakes: every error at once, next to its field,
    // and what was typed is kept.
    await fillPerson(page, { given: '', surname1: family.surname1, surname2: family.surname2, year: '90', month: '5', day: '17', sex: 'F', nationality: 'VE' });
    await page.fill('#phone', phone);
    await page.selectOption('#current-country', 'MX');
    await page.selectOption('#current-region', 'GT-01');
    await page.click('button[name=next][value=save]');
    assert.equal(path(page), '/register');
    assert.equal(await page.textContent('#given-names-error'), t['validation.required']);
    assert.equal(await page.textContent('#birth-error'), t['register.error.year']);
    assert.equal(await page.textContent('#current-region-error'), t['register.error.region_country']);
    assert.equal(await page.inputValue('#surname2'), family.surname2);
    assert.equal(await page.inputValue('#birth-year'), '90');
    assert.match(await page.textContent('[role=alert]'), new RegExp(t['error.invalid.title']));

    // Step 1, right.
    await fillPerson(page, { given: family.given, surname1: family.surname1, surname2: family.surname2, year: '1990', month: '5', day: '17', sex: 'F', nationality: 'VE' });
    await page.selectOption('#current-region', 'MX-CHH');
    await page.fill('#current-city', 'Ciudad Juárez');
    await page.fill('#arrival-date', '2023-04-02');
    await page.click('button[name=next][value=save]');
    assert.match(path(page), /^\/register\/[0-9a-f-]+\/members$/);
    const id = path(page).split('/')[2];
    assert.equal(await page.textContent('h1'), t['register.members.title']);

    // Step 2: three more people, one at a time.
    for (const [i, m] of family.members.entries()) {
      await page.selectOption('#relationship', m.relationship);
      await fillPerson(page, m);
      await page.click('button[name=next][value=save]');
      assert.equal(await page.locator('#members li').count(), i + 2);
    }
    assert.match(await page.textContent('#members'), /Luisa Sanabria Pérez/);
    await page.click('button[name=next][value=continue]');
    assert.equal(path(page), `/register/${id}/screening`);

    // Step 3: plain-words questions; "I don't know" is the answer left
    // for everyone but the principal.
    assert.equal(await page.textContent('h1'), t['register.screening.title']);
    assert.equal(await page.locator('fieldset.set').count(), 4);
    assert.equal(await page.locator('input[type=radio][value=unknown]:checked').count(), 12);
    const first = page.locator('fieldset.set').first();
    await first.locator('input[name$="_passport"][value=yes]').check();
    await first.locator('input[name$="_passport_number"]').fill('V 123-456-78');
    await first.locator('input[name$="_passport_expiry"]').fill('2021-03-01');
    await first.locator('input[name$="_i134a"][value=no]').check();
    await page.click('button[name=next][value=save]');
    assert.equal(path(page), `/register/${id}/address`);

    // Step 4: the one US address.
    await page.fill('#line1', '1200 Texas Ave');
    await page.fill('#city', 'Houston');
    await page.selectOption('#state', 'TX');
    await page.fill('#zip', '77002');
    await page.click('button[name=next][value=save]');
    assert.equal(path(page), `/register/${id}/review`);

    // Review, then send.
    const review = await page.textContent('main');
    for (const want of ['María José Pérez Gómez', 'José Luis Sanabria', 'Valentina Sanabria Pérez', 'Luisa Sanabria Pérez', 'V12345678', '1200 Texas Ave']) {
      assert.ok(review.includes(want), `review: ${want} missing`);
    }
    await page.click('main form button[type=submit]');
    assert.equal(path(page), `/register/${id}/done`);
    assert.equal(await page.textContent('h1'), t['register.done.title']);
    const receipt = (await page.textContent('#receipt')).trim();
    assert.match(receipt, /^MX/);
    assert.match(await page.textContent('main'), words.writeDown);
    const fontSize = await page.locator('#receipt').evaluate((e) => getComputedStyle(e).fontSize).catch(() => null);
    if (fontSize) assert.ok(parseFloat(fontSize) >= 28, `receipt font size ${fontSize}`);

    // Going back to /register starts afresh and links to this registration.
    await page.goto(server.url + '/register');
    assert.ok(await page.isVisible(`a[href="/households/${id}"]`), 'the earlier registration is linked');
    assert.deepEqual(blocked, [], 'the Content-Security-Policy blocked something');

    // The same pages fit a 320 px screen (measured with scripts on).
    const state = await context.storageState();
    const measuring = await browser.newContext({ locale: lang, viewport: { width: 320, height: 640 }, storageState: state });
    for (const p of ['/register', `/register/${id}/done`, `/households/${id}`]) await noOverflow(measuring, server.url + p);
    const axePage = await measuring.newPage();
    await axePage.goto(server.url + '/register');
    const { violations } = await new AxeBuilder({ page: axePage }).withTags(['wcag2a', 'wcag2aa']).analyze();
    assert.deepEqual(violations.map((v) => `${v.id}: ${v.help}`), [], 'the registration page has accessibility violations');
    await measuring.close();
    await context.close();

    // A caseworker of the office finds the household by phone and reads it.
    const staff = await browser.newContext({ locale: lang, javaScriptEnabled: false });
    const cw = await staff.newPage();
    await cw.goto(server.url + '/households');
    assert.equal(path(cw), '/signin');
    await cw.fill('#login', cwEmail);
    await cw.fill('#password', staffPassword);
    await cw.click('main form[action="/signin"] button[type=submit]');
    assert.equal(path(cw), '/households');
    await cw.fill('#phone', phone);
    await cw.click('form[action="/households"] button[type=submit]');
    assert.equal(await cw.textContent('#households tbody a'), receipt);
    await cw.click('#households tbody a');
    assert.equal(path(cw), `/households/${id}`);
    const view = await cw.textContent('main');
    for (const want of [receipt, 'María José', 'Sanabria', 'V12345678', '2015']) assert.ok(view.includes(want), `household view: ${want} missing`);
    assert.equal(await cw.locator('#members section').count(), 4);
    assert.equal(await cw.getAttribute('#export', 'href'), `/api/v1/households/${id}/export`);
    const exported = await cw.request.get(server.url + `/api/v1/households/${id}/export`);
    assert.equal(exported.status(), 200);
    assert.equal((await exported.json()).household.receipt, receipt);
    await cw.goto(server.url + '/review/duplicates');
    assert.equal(await cw.textContent('h1'), catalogue(lang)['review.duplicates.title']);
    await cw.goto(server.url + '/review/fraud');
    assert.equal(await cw.textContent('h1'), catalogue(lang)['review.fraud.title']);
    await staff.close();
  } finally {
    await server.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

test('a four-person household registers through the pages in Spanish', async () => {
  await registerIn('es', { title: /familia/, writeDown: /Anote este número/ });
});

test('a four-person household registers through the pages in Haitian Creole', async () => {
  await registerIn('ht', { title: /fanmi/, writeDown: /Ekri nimewo sa a/ });
});
