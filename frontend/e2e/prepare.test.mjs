// Preparing a workshop in real Chromium against the real server: in the lobby the
// facilitator adds a ranking to a late section while nothing is shown, fixes a typo in an
// option, deletes the "Baggrund" scale and reorders; browsing sections moves no phone, and
// going live is its own button. Then the workshop is copied, the copy is run with a phone,
// and the two are compared on the comparison page.
//
// Run: npm run test:e2e (needs ../bin/pejl, or PEJL_BIN=path).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, newContext, until, textOf, screenshotDir, PHONE, DESKTOP } from './lib.mjs';

let server;
let browser;
const contexts = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function ctx(opts) {
  const c = await newContext(browser, server.base, opts);
  c.setDefaultTimeout(10_000);
  contexts.push(c);
  return c;
}

/** Log in through the form and create a session from the built-in charter; returns its id. */
async function createSession(page, title) {
  await page.goto(`${server.base}/host`);
  await page.getByLabel('E-mail').fill(server.email);
  await page.getByLabel('Adgangskode').fill(server.password);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.getByLabel('Navn på forløbet').fill(title);
  await page.getByRole('button', { name: 'Opret forløbet' }).click();
  await page.waitForURL(/\/host\/sessions\/[^/]+$/);
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
}

async function sessionView(c, id) {
  const r = await c.request.get(`${server.base}/api/v1/sessions/${id}`);
  assert.equal(r.status(), 200);
  return r.json();
}

test('prepare a workshop in the lobby without moving a phone, copy it, run the copy, compare both', { timeout: 180_000 }, async () => {
  const fac = await ctx({ viewport: DESKTOP, name: 'facilitator' });
  const h = await fac.newPage();
  const id = await createSession(h, 'Temadag om ledelsesgrundlaget');
  let v = await sessionView(fac, id);
  const code = v.session.code;
  const sec = (title) => v.charter.sections.find((s) => s.title.trim() === title);
  const baggrund = sec('Baggrund');
  const strategisk = sec('1. Strategisk ledelse');
  assert.ok(baggrund && strategisk, 'the charter has the sections the test uses');

  // A phone waits in the lobby; it must see nothing but the lobby until the deliberate go.
  const phoneCtx = await ctx({ viewport: PHONE, mobile: true, name: 'phone' });
  const phone = await phoneCtx.newPage();
  const frames = [];
  phone.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
  await phone.goto(`${server.base}/j/${code}`);
  await phone.getByRole('button', { name: 'Deltag' }).click();
  await phone.getByText('Vent et øjeblik – vi går snart i gang').waitFor();

  // Browse to a late section: a preview, the session stays "Venter".
  await h.getByRole('button', { name: /^1\. Strategisk ledelse/ }).click();
  await h.getByRole('heading', { level: 2, name: '1. Strategisk ledelse' }).waitFor();
  await h.getByText('Forhåndsvisning – forløbet er ikke startet, og deltagerne venter.').waitFor();
  assert.match(await textOf(h.locator('.meta .pill')), /Venter/);

  // Add a ranking and a choice with a typo there.
  await h.getByLabel('Type').selectOption('rank');
  await h.getByLabel('Spørgsmål', { exact: true }).fill('Hvad skal vi arbejde mest med?');
  await h.getByRole('button', { name: 'Tilføj', exact: true }).click();
  const rankCard = h.locator('section.activity', { hasText: 'Hvad skal vi arbejde mest med?' });
  await rankCard.waitFor();
  await h.getByLabel('Type').selectOption('choice');
  await h.getByLabel('Spørgsmål', { exact: true }).fill('Hvor starter vi?');
  await h.getByLabel('Svarmuligheder (én pr. linje)').fill('Tilid\nDialog');
  await h.getByRole('button', { name: 'Tilføj', exact: true }).click();
  const choiceCard = h.locator('section.activity', { hasText: 'Hvor starter vi?' });
  await choiceCard.waitFor();

  // Fix the typo.
  await choiceCard.getByRole('button', { name: 'Rediger Hvor starter vi?' }).click();
  await choiceCard.getByRole('textbox', { name: 'Svarmulighed 1' }).fill('Tillid');
  await choiceCard.getByRole('button', { name: 'Gem ændringer' }).click();
  await choiceCard.getByText('Ændringerne er gemt.').waitFor();
  await until(async () => /Tillid/.test(await textOf(choiceCard)), { message: 'Tillid in the card' });

  // Reorder: the choice first in its section.
  const order = async () => {
    const cards = h.locator('section.current section.activity h3');
    return (await cards.allInnerTexts()).map((s) => s.replace(/\s+/g, ' '));
  };
  const before = await order();
  assert.ok(before.indexOf('Valg: Hvor starter vi?') > 0, `choice is not first yet: ${before}`);
  for (let i = before.indexOf('Valg: Hvor starter vi?'); i > 0; i--) {
    await choiceCard.getByRole('button', { name: 'Flyt op: Hvor starter vi?' }).click();
    await until(async () => (await order()).indexOf('Valg: Hvor starter vi?') === i - 1, { message: `choice at ${i - 1}` });
  }

  // The preview shows the browsed section's screen, stepped here alone: the section, then
  // its first question; the presenter's own stage stays where it was.
  const box = h.locator('[data-preview]');
  await until(async () => /1\. Strategisk ledelse/.test(await textOf(box)), { message: 'preview shows the browsed section' });
  assert.match(await textOf(h.locator('[data-preview-now]')), /vises ikke/);
  assert.equal(await h.getByRole('button', { name: 'Forrige skærm' }).isDisabled(), true, 'nothing before the section');
  await h.getByRole('button', { name: 'Næste skærm' }).click();
  await until(async () => /Hvor starter vi\?/.test(await textOf(box)), { message: 'preview shows the first question' });
  v = await sessionView(fac, id);
  assert.ok(!v.session.stage || v.session.stage.kind === 'lobby', `the presenter's stage moved: ${JSON.stringify(v.session.stage)}`);

  // Baggrund (the charter's purpose, marked unrated) starts without a scale: only comments.
  await h.getByRole('button', { name: /^Baggrund/ }).click();
  await h.getByRole('heading', { level: 2, name: 'Baggrund' }).waitFor();
  await h.locator('section.current section.activity', { hasText: 'Kommentarer' }).first().waitFor();
  assert.equal(await h.locator('section.activity', { hasText: 'Skala:' }).count(), 0, 'no scale in Baggrund');
  // Delete the Værdigrundlag scale.
  await h.getByRole('button', { name: /^Værdigrundlag/ }).click();
  await h.getByRole('heading', { level: 2, name: 'Værdigrundlag' }).waitFor();
  const scaleCard = h.locator('section.activity', { hasText: 'Skala:' });
  await scaleCard.getByRole('button', { name: /^Slet / }).click();
  await scaleCard.getByRole('button', { name: 'Ja, slet' }).click();
  await until(async () => (await h.locator('section.activity', { hasText: 'Skala:' }).count()) === 0, { message: 'scale gone' });

  v = await sessionView(fac, id);
  assert.equal(v.session.state, 'lobby', 'still in the lobby');
  assert.ok(!v.activities.some((a) => a.section === baggrund.id && a.kind === 'scale'), 'Baggrund has no scale');
  assert.ok(!v.activities.some((a) => a.section === sec('Værdigrundlag').id && a.kind === 'scale'), 'the Værdigrundlag scale is deleted');
  const mine = v.activities.filter((a) => a.section === strategisk.id);
  assert.equal(mine[0].prompt, 'Hvor starter vi?');
  assert.deepEqual(mine[0].options.map((o) => o.label), ['Tillid', 'Dialog']);
  assert.ok(mine.some((a) => a.kind === 'rank'));

  // Nothing reached the phone but the lobby: no section, no activity.
  await phone.getByText('Vent et øjeblik – vi går snart i gang').waitFor();
  for (const f of frames) {
    assert.doesNotMatch(f, /"current_section":"s\d/, `a frame moved the phone: ${f.slice(0, 200)}`);
  }

  // The deliberate go: the phone follows, and rates the first statement.
  await h.getByRole('button', { name: /^1\. Strategisk ledelse/ }).click();
  await h.getByRole('button', { name: 'Vis afsnittet for salen' }).click();
  await phone.getByRole('heading', { level: 2, name: '1. Strategisk ledelse' }).waitFor();
  await until(async () => /I gang/.test(await textOf(h.locator('.meta .pill'))), { message: 'I gang' });
  const first = strategisk.statements[0].text;
  await rateFirst(h, phone, first, 'I høj grad');

  await sizes(h, 'host-draft');
  // Copy it: the copy has the shaped activities and no answers.
  await h.getByRole('button', { name: 'Kopiér forløbet' }).click();
  await h.waitForURL((u) => !u.pathname.endsWith(`/${id}`));
  const copyId = decodeURIComponent(new URL(h.url()).pathname.split('/').pop());
  await h.getByRole('heading', { level: 1, name: 'Temadag om ledelsesgrundlaget' }).waitFor();
  v = await sessionView(fac, copyId);
  assert.equal(v.session.state, 'lobby');
  assert.ok(!v.activities.some((a) => a.section === baggrund.id && a.kind === 'scale'), 'the copy has no Baggrund scale either');
  assert.deepEqual(v.activities.filter((a) => a.section === strategisk.id)[0].options.map((o) => o.label), ['Tillid', 'Dialog']);
  assert.equal(v.participants.count, 0);

  // Run the copy with a phone.
  const phone2Ctx = await ctx({ viewport: PHONE, mobile: true, name: 'phone 2' });
  const phone2 = await phone2Ctx.newPage();
  await phone2.goto(`${server.base}/j/${v.session.code}`);
  await phone2.getByRole('button', { name: 'Deltag' }).click();
  await phone2.getByText('Vent et øjeblik – vi går snart i gang').waitFor();
  await h.getByRole('button', { name: /^1\. Strategisk ledelse/ }).click();
  await h.getByRole('button', { name: 'Vis afsnittet for salen' }).click();
  await phone2.getByRole('heading', { level: 2, name: '1. Strategisk ledelse' }).waitFor();
  await rateFirst(h, phone2, first, 'I ringe grad');

  // Compare the two.
  await h.goto(`${server.base}/host/compare`);
  await h.getByRole('heading', { level: 1, name: 'Sammenlign forløb' }).waitFor();
  const boxes = h.getByRole('checkbox', { name: /Temadag om ledelsesgrundlaget/ });
  await until(async () => (await boxes.count()) === 2, { message: 'both sessions offered' });
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await h.getByRole('button', { name: 'Sammenlign', exact: true }).click();
  const row = h.getByRole('row', { name: new RegExp(`^${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });
  await row.waitFor();
  // n and mean per session, the change since the first, pooled: 4 then 2 → −2, pooled 3.
  assert.equal(await textOf(row), `${first} 1 4,00 1 2,00 −2,00 2 3,00`);
  await sizes(h, 'host-compare');
  const x = await h.getByRole('link', { name: 'Hent som Excel' }).getAttribute('href');
  const r = await fac.request.get(`${server.base}${x}`);
  assert.equal(r.status(), 200);
  assert.match(r.headers()['content-disposition'], /Sammenligning/);
  assert.equal(fac.errors.length + phoneCtx.errors.length + phone2Ctx.errors.length, 0, [...fac.errors, ...phoneCtx.errors, ...phone2Ctx.errors].join('\n'));
});

/** Screenshots at 320 px, 1366×768 and 1280×720 (to look at; docs/screenshots with make screenshots). */
async function sizes(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const size = page.viewportSize();
  for (const [w, hh] of [[320, 640], [1366, 768], [1280, 720]]) {
    await page.setViewportSize({ width: w, height: hh });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${name} at ${w} px scrolls sideways by ${overflow} px`);
    await page.screenshot({ path: join(screenshotDir, `${name}-${w}.png`), fullPage: true, animations: 'disabled' });
  }
  await page.setViewportSize(size);
}

/** Open the scale of the section shown, rate one statement on the phone, close voting. */
async function rateFirst(h, phone, statement, label) {
  const card = h.locator('section.activity', { hasText: 'Skala:' });
  await card.getByRole('button', { name: 'Åbn afstemning' }).click();
  const g = phone.getByRole('group', { name: statement, exact: true });
  await until(() => g.getByRole('button', { name: label, exact: true }).isEnabled(), { message: 'scale open on the phone' });
  await g.getByRole('button', { name: label, exact: true }).click();
  await until(async () => /Gemt/.test(await textOf(g.getByRole('status'))), { message: 'Gemt' });
  await card.getByRole('button', { name: 'Luk afstemning' }).click();
}
