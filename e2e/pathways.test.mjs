// "What may fit me": a person answers the short questionnaire without
// signing in and without JavaScript, on a 320 px wide screen, in Spanish and
// again in Haitian Creole; the results show, per programme, may fit / does
// not fit / we need to know more, each criterion's explanation in the
// person's language (the same as the API gives), what they can do, the
// questions that would settle the rest, and the policy version and date.
// The other languages show the page translated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { startServer, launch } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const catalogue = (lang) => JSON.parse(readFileSync(join(here, '../internal/i18n/catalog/policy.' + lang + '.json'), 'utf8'));
const questions = (lang) => JSON.parse(readFileSync(join(here, '../profile/questions.' + lang + '.json'), 'utf8'));

let browser;
let server;
before(async () => { browser = await launch(); server = await startServer(); });
after(async () => { await server?.stop(); await browser?.close(); });

// person is a Venezuelan paroled into the United States, with a passport,
// never entered irregularly nor removed.
const person = {
  role: 'principal', nationality: 'VE', year: '1990', month: '5', day: '17', country: 'US',
  status: 'parolee', paroleUntil: '2099-06-30',
};
// The same answers as a screening profile, for the API.
const profileOf = (p) => ({
  id: 'me', role: p.role, nationality: p.nationality, birth_date: `${p.year}-0${p.month}-${p.day}`, current_country: p.country,
  us_immigration_status: p.status, us_parole_expiry_date: p.paroleUntil, has_passport: true, irregular_entries: [], us_removal_order_dates: [],
});

const norm = (s) => s.replace(/\s+/g, ' ').trim();

async function answer(page, p) {
  await page.selectOption('#q-role', p.role);
  await page.selectOption('#q-nationality', p.nationality);
  await page.fill('#q-birth-date-year', p.year);
  await page.selectOption('#q-birth-date-month', p.month);
  await page.fill('#q-birth-date-day', p.day);
  await page.selectOption('#q-current-country', p.country);
  await page.check('input[name=has_passport][value=yes]');
  await page.check('input[name=irregular_entries][value=none]');
  await page.check('input[name=us_removal_order_dates][value=none]');
  await page.selectOption('#q-us-immigration-status', p.status);
  await page.fill('#q-us-parole-expiry-date', p.paroleUntil);
}

async function fullRun(lang) {
  const t = catalogue(lang);
  const q = questions(lang);
  const context = await browser.newContext({ locale: lang, javaScriptEnabled: false, viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  const blocked = [];
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) blocked.push(m.text()); });
  await page.goto(server.url + '/pathways');
  assert.equal(await page.getAttribute('html', 'lang'), lang);
  assert.equal(await page.textContent('h1'), t['pathways.title']);
  assert.equal(norm(await page.textContent('label[for=q-nationality]')), norm(q['profile.q.nationality']));
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 320, `/pathways is ${width} px wide on a 320 px screen`);

  // A wrong date first: the error is next to its field, answers are kept.
  await answer(page, { ...person, paroleUntil: '' });
  await page.fill('#q-birth-date-year', '19');
  await page.click('#questions button[type=submit]');
  assert.ok(await page.isVisible('#q-birth-date-error'));
  assert.equal(await page.inputValue('#q-birth-date-day'), person.day);
  assert.equal(await page.$('#results'), null, 'results shown despite an error');

  // The whole questionnaire, right.
  await answer(page, person);
  await page.click('#questions button[type=submit]');
  assert.equal(await page.textContent('#results-title'), t['pathways.results.title']);

  // The page says what the API says, in the same language.
  const api = await page.request.post(server.url + '/api/v1/screen', { data: profileOf(person), headers: { 'Accept-Language': lang } });
  assert.equal(api.status(), 200, await api.text());
  const screened = await api.json();
  const version = norm(await page.textContent('#results .version'));
  assert.equal(version, norm(t['pathways.version'].replace('{version}', screened.policy_version).replace('{date}', screened.as_of)));
  const outcomes = { eligible: 'fit', ineligible: 'nofit', needs_info: 'more' };
  const titles = { fit: t['pathways.fit.title'], nofit: t['pathways.nofit.title'], more: t['pathways.more.title'] };
  for (const r of screened.results) {
    const group = outcomes[r.result];
    const article = page.locator(`#results [data-outcome=${group}] [data-program=${r.program}]`);
    assert.equal(await article.count(), 1, `${r.program} is not under "${titles[group]}"`);
    const text = norm(await article.textContent());
    for (const c of r.criteria) {
      if (c.passed === null) continue; // undecided texts name the questions in plain words instead
      assert.ok(text.includes(norm(c.explanation)), `${lang} ${r.program}: the reason "${c.explanation}" is not shown`);
      if (c.hint) assert.ok(text.includes(norm(c.hint)), `${lang} ${r.program}: what to do, "${c.hint}", is not shown`);
    }
  }
  // The parolee may ask for a work permit; the closed programmes say why
  // and what to do next.
  assert.equal(await page.locator('#results [data-outcome=fit] [data-program=ead_parolee]').count(), 1);
  const group = norm(await page.textContent('#results [data-outcome=fit] h3'));
  assert.ok(group.startsWith(t['pathways.fit.title']), group);
  const closed = norm(await page.textContent('#results [data-outcome=nofit] [data-program=chnv_parole]'));
  assert.ok(closed.includes(t['pathways.next']), 'no "what you can do" for a programme that does not fit');
  // What is undecided is asked in plain words, linked to the new question.
  const more = page.locator('#results [data-outcome=more] .questions a');
  assert.ok(await more.count() > 0, 'no question to answer for the undecided programmes');
  const href = await more.first().getAttribute('href');
  assert.ok(await page.isVisible(href), `the question ${href} is not in the form`);
  assert.deepEqual(blocked, []);

  // Accessibility of the results page.
  const axeContext = await browser.newContext({ locale: lang });
  const axePage = await axeContext.newPage();
  await axePage.setContent(await page.content());
  const { violations } = await new AxeBuilder({ page: axePage }).withTags(['wcag2a', 'wcag2aa']).disableRules(['color-contrast']).analyze();
  assert.deepEqual(violations.map((v) => `${v.id}: ${v.help}`), [], 'the results page has accessibility violations');
  await axeContext.close();
  await context.close();
}

test('a full run in Spanish through the form', async () => { await fullRun('es'); });
test('a full run in Haitian Creole through the form', async () => { await fullRun('ht'); });

test('the page in English, Portuguese and French', async () => {
  for (const lang of ['en', 'pt', 'fr']) {
    const t = catalogue(lang);
    const context = await browser.newContext({ locale: lang, javaScriptEnabled: false, viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    await page.goto(server.url + '/pathways');
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    assert.equal(await page.textContent('h1'), t['pathways.title']);
    assert.equal(norm(await page.textContent('#questions button[type=submit]')), t['pathways.submit']);
    assert.equal(norm(await page.textContent('#questions fieldset.set legend')), t['pathways.section.about']);
    // Answering nothing still gives every programme, with its reasons.
    await page.click('#questions button[type=submit]');
    assert.equal(await page.textContent('#results-title'), t['pathways.results.title']);
    assert.equal(await page.locator('#results [data-program]').count(), 12);
    assert.ok(norm(await page.textContent('#results')).includes(t['pathways.disclaimer'].replace(/\s+/g, ' ')));
    await context.close();
  }
});
