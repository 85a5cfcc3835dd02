// One workshop, end to end, in real Chromium against the real server
// (../shared/WORKSHOP.md): a facilitator logs in and creates a session from the
// built-in charter; three phones join by join_url (one at 320 px, one through
// the code page), vote and comment; the facilitator runs the section, shows
// results and moderates; the presenter screen follows; one phone votes while
// offline and the vote counts once; activities are added on the fly; the
// session ends; it is deleted. axe-core checks every page in Danish and English
// at 320 and 1280 px; screenshots go to docs/screenshots/.
//
// Run: npm run test:e2e (needs ../bin/pejl, or PEJL_BIN=path).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newContext, audit, shoot, until, textOf, waitText, cspViolations,
  PHONE, SMALL_PHONE, DESKTOP,
} from './lib.mjs';

let server;
let browser;
let failed = false;
const contexts = [];
const a11y = [];
const S = {}; // state shared between the steps

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  if (failed && server) console.error('--- server log (tail) ---\n' + server.log().slice(-4000));
  await server?.stop();
});

async function ctx(opts) {
  const c = await newContext(browser, server.base, opts);
  c.setDefaultTimeout(15_000);
  contexts.push(c);
  return c;
}

async function view() {
  const r = await S.fac.request.get(`${server.base}/api/v1/sessions/${S.id}`);
  assert.equal(r.status(), 200, `GET /api/v1/sessions/${S.id}`);
  return r.json();
}

function scaleActivity(v, sectionTitle) {
  const sec = v.charter.sections.find((s) => s.title.trim() === sectionTitle);
  assert.ok(sec, `section ${sectionTitle} in the charter`);
  const a = v.activities.find((x) => x.kind === 'scale' && x.section === sec.id);
  assert.ok(a, `a scale activity for ${sectionTitle}`);
  return { sec, a, st: (text) => sec.statements.find((s) => s.text.trim() === text)?.id };
}

async function vote(page, statement, label) {
  const group = page.getByRole('group', { name: statement, exact: true });
  await group.getByRole('button', { name: label, exact: true }).click();
  return group;
}

async function checkAudit(page, name) {
  const problems = await audit(page, name);
  a11y.push(...problems);
  assert.deepEqual(problems, [], `axe-core violations on ${name}:\n${problems.join('\n')}`);
}

/** A step of the workshop; after a failed step the rest are skipped (they depend on it). */
function stepper(t) {
  return (name, fn) =>
    t.test(name, async (st) => {
      if (failed) return st.skip('an earlier step failed');
      try {
        await fn();
      } catch (e) {
        failed = true;
        throw e;
      }
    });
}

test('a whole workshop', { timeout: 600_000 }, async (t) => {
  const step = stepper(t);
  await step('the facilitator logs in through the form', async () => {
    S.fac = await ctx({ viewport: DESKTOP, name: 'facilitator' });
    S.host = await S.fac.newPage();
    await S.host.goto(`${server.base}/host`);
    await S.host.getByRole('heading', { name: 'Log ind' }).waitFor();
    await checkAudit(S.host, 'login');
    await shoot(S.host, 'host-login');

    await S.host.getByLabel('E-mail').fill(server.email);
    await S.host.getByLabel('Adgangskode').fill('wrong password');
    await S.host.getByRole('button', { name: 'Log ind' }).click();
    await S.host.getByRole('alert').waitFor();

    await S.host.getByLabel('Adgangskode').fill(server.password);
    await S.host.getByRole('button', { name: 'Log ind' }).click();
    await S.host.getByRole('heading', { name: 'Dine forløb' }).waitFor();
  });

  await step('creates a session from the built-in charter with two groups', async () => {
    const h = S.host;
    await h.getByRole('heading', { name: 'Nyt forløb' }).waitFor();
    const builtin = h.getByRole('radio', { name: /Allerød/ });
    await builtin.waitFor();
    assert.ok(await builtin.isChecked(), 'the built-in charter is chosen by default');
    await h.getByLabel('Navn på forløbet').fill('Workshop på rådhuset');
    await h.getByRole('button', { name: 'Tilføj gruppe' }).click();
    await h.getByLabel('Gruppe 1', { exact: true }).fill('Leder');
    await h.getByRole('button', { name: 'Tilføj gruppe' }).click();
    await h.getByLabel('Gruppe 2', { exact: true }).fill('Medarbejder');
    assert.equal(await h.getByLabel('Mindste gruppestørrelse for resultater').inputValue(), '5');
    await h.getByRole('button', { name: 'Opret forløbet' }).click();
    await h.waitForURL(/\/host\/sessions\/[^/]+$/);
    S.id = decodeURIComponent(new URL(h.url()).pathname.split('/').pop());

    const v = await view();
    S.code = v.session.code;
    S.joinUrl = v.session.join_url;
    assert.match(S.code, /^\d{6,}$/);
    assert.ok(S.joinUrl.startsWith(server.base + '/'), `join_url ${S.joinUrl} is on PEJL_PUBLIC_URL`);
    assert.deepEqual(v.session.groups.map((g) => g.label), ['Leder', 'Medarbejder']);
    S.groups = Object.fromEntries(v.session.groups.map((g) => [g.label, g.id]));
    assert.equal(v.session.min_responses, 5, 'results wait for the threshold by default');
    // Three phones in this workshop: results from the first answer, so they show at all.
    const r = await S.fac.request.patch(`${server.base}/api/v1/sessions/${S.id}`, { headers: { Origin: server.base }, data: { min_responses: 1 } });
    assert.equal(r.status(), 200, await r.text());
    await h.getByRole('heading', { level: 1, name: 'Workshop på rådhuset' }).waitFor();
  });

  await step('the presenter screen shows the code and the QR code', async () => {
    S.pres = await S.fac.newPage();
    await S.pres.goto(`${server.base}/present/${S.id}`);
    const spaced = S.code.replace(/(\d{3})(?=\d)/g, '$1 ');
    await waitText(S.pres.locator('.code'), new RegExp(spaced));
    await until(() => S.pres.locator('img.qr').evaluate((img) => img.complete && img.naturalWidth > 0), { message: 'QR image loaded' });
    await checkAudit(S.pres, 'presenter lobby');
    await shoot(S.pres, 'presenter-lobby', { fullPage: false });
  });

  await step('three phones join: by join_url and by typing the code', async () => {
    S.p1ctx = await ctx({ viewport: PHONE, mobile: true, name: 'p1' });
    S.p1 = await S.p1ctx.newPage();
    await S.p1.goto(S.joinUrl);
    await S.p1.getByText('Vi gemmer dine svar, dine kommentarer og den gruppe, du vælger – ikke dit navn').waitFor();
    assert.equal(await S.p1.getByLabel('Dit navn (frivilligt)').count(), 0, 'the join page asks for no name');
    assert.equal(await S.p1.getByRole('link', { name: 'Sådan behandler vi data' }).getAttribute('href'), '/privatliv');
    assert.equal(await S.p1.getByRole('link', { name: 'Tilgængelighed' }).getAttribute('href'), '/tilgaengelighed');
    await S.p1.getByRole('group', { name: 'Jeg deltager som' }).waitFor();
    await checkAudit(S.p1, 'join form');
    await shoot(S.p1, 'participant-join');
    await S.p1.getByRole('radio', { name: 'Leder' }).check();
    await S.p1.getByRole('button', { name: 'Deltag' }).click();
    await S.p1.getByText('Vent et øjeblik – vi går snart i gang').waitFor();
    await checkAudit(S.p1, 'lobby');
    await shoot(S.p1, 'participant-lobby');

    S.p2ctx = await ctx({ viewport: PHONE, mobile: true, name: 'p2' });
    S.p2 = await S.p2ctx.newPage();
    await S.p2.goto(S.joinUrl);
    await S.p2.getByRole('radio', { name: 'Medarbejder' }).check();
    await S.p2.getByRole('button', { name: 'Deltag' }).click();
    await S.p2.getByText('Vent et øjeblik – vi går snart i gang').waitFor();

    S.p3ctx = await ctx({ viewport: SMALL_PHONE, mobile: true, name: 'p3' });
    S.p3 = await S.p3ctx.newPage();
    await S.p3.goto(`${server.base}/`);
    const codeInput = S.p3.getByLabel('Indtast koden');
    assert.equal(await codeInput.getAttribute('inputmode'), 'numeric');
    await checkAudit(S.p3, 'enter code');
    await shoot(S.p3, 'participant-code');
    await codeInput.fill(S.code);
    await S.p3.getByRole('button', { name: 'Deltag' }).click();
    await S.p3.waitForURL(new RegExp(`/j/${S.code}$`));
    await S.p3.getByRole('button', { name: 'Deltag' }).click();
    await S.p3.getByText('Vent et øjeblik – vi går snart i gang').waitFor();

    await waitText(S.host.locator('#people-h + .big'), /^3 deltagere/);
    // One per group is under the anonymity threshold (5): no per-group counts are shown.
    await S.host.getByText('Grupper med færre end 5 deltagere vises ikke hver for sig.').waitFor();
  });

  await step('the facilitator shows "Værdigrundlag" and opens voting (keyboard: O)', async () => {
    await S.host.getByRole('button', { name: /^Værdigrundlag/ }).click();
    await S.host.getByRole('heading', { level: 2, name: 'Værdigrundlag' }).waitFor();
    // Choosing a section only previews it; showing it to the room is its own action.
    await S.host.getByRole('button', { name: 'Vis afsnittet for salen' }).click();
    for (const p of [S.p1, S.p2, S.p3]) await p.getByRole('heading', { level: 2, name: 'Værdigrundlag' }).waitFor();
    await S.pres.getByRole('heading', { level: 1, name: 'Værdigrundlag' }).waitFor();

    await S.host.locator('body').click({ position: { x: 5, y: 300 } });
    await S.host.keyboard.press('o');
    await until(async () => (await S.host.getByRole('button', { name: 'Luk afstemning' }).count()) === 2, { message: 'both activities open' });
    const g = S.p1.getByRole('group', { name: 'Respekt', exact: true });
    await until(() => g.getByRole('button', { name: 'Slet ikke', exact: true }).isEnabled(), { message: 'scale enabled' });
  });

  await step('the phones vote and comment, with "Sender …" then "Gemt"', async () => {
    const g = await vote(S.p1, 'Respekt', 'I høj grad');
    await waitText(g.getByRole('status'), /Gemt/);
    assert.equal(await g.getByRole('button', { name: 'I høj grad', exact: true }).getAttribute('aria-pressed'), 'true');
    for (const [p, st, label] of [
      [S.p1, 'Åbenhed', 'I meget høj grad'],
      [S.p1, 'Troværdighed', 'I nogen grad'],
      [S.p2, 'Respekt', 'I ringe grad'],
      [S.p2, 'Åbenhed', 'I høj grad'],
      [S.p3, 'Respekt', 'I høj grad'],
    ]) {
      const grp = await vote(p, st, label);
      await waitText(grp.getByRole('status'), /Gemt/);
    }
    await S.p1.getByRole('textbox', { name: 'Skriv en kommentar' }).fill('Vi skal tale mere sammen på tværs');
    await S.p1.getByRole('button', { name: 'Send', exact: true }).click();
    await S.p1.getByText('Vi skal tale mere sammen på tværs').waitFor();
    await waitText(S.p1.locator('.comments .mine, .comments .list').first(), /Gemt|Vi skal tale/);
    await S.p2.getByRole('textbox', { name: 'Skriv en kommentar' }).fill('Kollega X er problemet');
    await S.p2.getByRole('button', { name: 'Send', exact: true }).click();
    await S.p2.getByText('Kollega X er problemet').waitFor();

    // 320 px: nothing sideways
    const overflow = await S.p3.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at 320 px (overflow ${overflow}px)`);
    await checkAudit(S.p1, 'voting');
    await shoot(S.p1, 'participant-vote');
  });

  await step('the console shows live tallies and the comments', async () => {
    const card = S.host.locator('section.activity').first();
    await until(async () => /3 svar/.test(await textOf(card)), { message: 'Respekt: 3 svar in the console' });
    const respekt = card.locator('li', { hasText: 'Respekt' });
    await waitText(respekt, /Gennemsnit 3,3/);
    await S.host.locator('li.comment', { hasText: 'Kollega X er problemet' }).waitFor();
    await S.host.locator('li.comment', { hasText: 'Vi skal tale mere sammen på tværs' }).waitFor();
    const v = await view();
    const { a, st } = scaleActivity(v, 'Værdigrundlag');
    const r = a.tally.statements[st('Respekt')];
    assert.equal(r.n, 3);
    assert.deepEqual(r.counts, { 1: 0, 2: 1, 3: 0, 4: 2, 5: 0 });
  });

  await step('the admin shares the session with a second facilitator, then removes them', async () => {
    const h = S.host;
    const email = 'mette.holm@example.dk';
    const r = await S.fac.request.post(`${server.base}/api/v1/users`, {
      headers: { Origin: server.base },
      data: { email, password: 'another-long-secret', name: 'Mette Holm', role: 'facilitator' },
    });
    assert.equal(r.status(), 201, `POST /api/v1/users: ${await r.text()}`);

    const panel = h.getByRole('region', { name: 'Del forløbet' });
    await panel.getByText('Forløbet er ikke delt med nogen.').waitFor();
    const input = panel.getByLabel('Del med (e-mail)');
    // An email without an account: the server's message, naming it, in the live region.
    await input.fill('ingen.konto@example.dk');
    await panel.getByRole('button', { name: 'Del', exact: true }).click();
    await waitText(panel.locator('[aria-live] .alert'), /ingen\.konto@example\.dk/);

    await input.fill(email);
    await panel.getByRole('button', { name: 'Del', exact: true }).click();
    const remove = panel.getByRole('button', { name: `Fjern ${email}`, exact: true });
    await remove.waitFor();
    await panel.getByRole('listitem').filter({ hasText: email }).waitFor();
    await waitText(panel.locator('[aria-live]'), /Delt med mette\.holm@example\.dk/);
    assert.deepEqual((await view()).session.shared_with, [email]);
    await checkAudit(h, 'console, shared');

    await remove.click();
    await panel.getByText('Forløbet er ikke delt med nogen.').waitFor();
    assert.equal(await panel.getByRole('listitem').count(), 0);
    assert.deepEqual((await view()).session.shared_with ?? [], []);
    assert.equal(await input.evaluate((el) => el === document.activeElement), true, 'focus back on the email field');
    await h.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  });

  await step('results stay hidden until shown (keyboard: R); presenter shows the counts', async () => {
    assert.equal(await S.p1.getByText('Gennemsnit').count(), 0, 'phones see no results before "Vis resultater"');
    assert.equal(await S.pres.locator('[data-stage="results"]').count(), 0, 'presenter shows no results before "Vis resultater"');
    await S.host.keyboard.press('r');
    await until(async () => (await S.host.getByRole('button', { name: 'Skjul resultater' }).count()) === 2, { message: 'results shown' });
    await S.p1.getByRole('group', { name: 'Respekt', exact: true }).getByText('Gennemsnit').waitFor();
    // The presenter shows the scale's results alone (showing comments does not open the wall).
    const row = S.pres.locator('[data-stage="results"] li.row', { hasText: 'Respekt' });
    await waitText(row, /^Respekt 1 2 3,3/);
  });

  await step('the facilitator hides one comment and stars another; a phone upvotes', async () => {
    // Comments wait for approval: shown results do not put them on the other phones.
    await waitText(S.host.locator('li.comment.pending', { hasText: 'Kollega X' }).locator('.tags'), /Venter/);
    await waitText(S.host.locator('.stream .queue'), /^2 kommentarer venter på godkendelse$/);
    assert.equal(await S.p1.getByText('Kollega X er problemet').count(), 0, 'a waiting comment is not on another phone');
    await waitText(S.p2.locator('.comments .fate').first(), /Venter på, at facilitatoren godkender den/);
    await S.host.locator('li.comment', { hasText: 'Kollega X' }).getByRole('button', { name: /^Skjul\b/ }).click();
    await S.host.locator('li.comment.hidden', { hasText: 'Kollega X' }).waitFor();
    await waitText(S.p2.locator('.comments .fate').first(), /Facilitatoren har valgt ikke at vise den/);
    await until(async () => (await S.p1.getByText('Kollega X er problemet').count()) === 0, { message: 'hidden comment gone on a phone' });
    await until(async () => (await S.pres.getByText('Kollega X er problemet').count()) === 0, { message: 'hidden comment not on the presenter' });

    await S.host.locator('li.comment', { hasText: 'Vi skal tale' }).getByRole('button', { name: /^Fremhæv\b/ }).click();
    // A clicker step (→) on the presenter puts the comment wall up after the scale's results.
    await S.pres.keyboard.press('ArrowRight');
    await S.pres.locator('.wall li.starred', { hasText: 'Vi skal tale mere sammen' }).waitFor();
    assert.equal(await S.pres.getByText('Kollega X er problemet').count(), 0, 'hidden comment not on the wall');

    const c = S.p3.locator('li.comment', { hasText: 'Vi skal tale mere sammen' });
    await c.getByRole('button', { name: 'Enig (+1)' }).click();
    await waitText(S.host.locator('li.comment', { hasText: 'Vi skal tale mere sammen' }), /1 er enig/);

    await checkAudit(S.p3, 'results on a phone');
    await shoot(S.p1, 'participant-results');
    await checkAudit(S.host, 'console');
    await shoot(S.host, 'host-console');
    await checkAudit(S.pres, 'presenter results');
    await shoot(S.pres, 'presenter-results');
  });

  await step('a phone votes offline; the vote is sent after reload, counted once', async () => {
    await S.p2ctx.setOffline(true);
    await waitText(S.p2.locator('.conn'), /Forbindelsen er afbrudt – vi prøver igen/);
    let g = await vote(S.p2, 'Troværdighed', 'I meget høj grad');
    await waitText(g.getByRole('status'), /Sender …/);
    const queued = await S.p2.evaluate((code) => JSON.parse(localStorage.getItem(`pejl:outbox:${code}`) || '[]'), S.code);
    assert.equal(queued.length, 1, 'the vote waits in the outbox');
    const id = queued[0].id;
    await S.p2.close();
    await S.p2ctx.setOffline(false);

    S.p2 = await S.p2ctx.newPage();
    await S.p2.goto(S.joinUrl);
    g = S.p2.getByRole('group', { name: 'Troværdighed', exact: true });
    await waitText(g.getByRole('status'), /Gemt/, { timeout: 15_000 });
    assert.equal(await g.getByRole('button', { name: 'I meget høj grad', exact: true }).getAttribute('aria-pressed'), 'true');
    assert.equal(await S.p2.evaluate((code) => localStorage.getItem(`pejl:outbox:${code}`), S.code), null, 'outbox empty');
    assert.match(id, /^[A-Za-z0-9_-]{16,64}$/);

    // Offline again: change an answer, come back online (banner), reload.
    await S.p2ctx.setOffline(true);
    await waitText(S.p2.locator('.conn'), /Forbindelsen er afbrudt/);
    g = await vote(S.p2, 'Åbenhed', 'I nogen grad');
    await waitText(g.getByRole('status'), /Sender …/);
    await S.p2ctx.setOffline(false);
    await waitText(S.p2.locator('.conn'), /Forbundet igen/, { timeout: 15_000 });
    await waitText(g.getByRole('status'), /Gemt/, { timeout: 15_000 });
    await S.p2.reload();
    g = S.p2.getByRole('group', { name: 'Åbenhed', exact: true });
    await until(async () => (await g.getByRole('button', { name: 'I nogen grad', exact: true }).getAttribute('aria-pressed')) === 'true', { message: 'answer shown after reload' });

    const v = await view();
    const { a, st } = scaleActivity(v, 'Værdigrundlag');
    assert.deepEqual(a.tally.statements[st('Troværdighed')].counts, { 1: 0, 2: 0, 3: 1, 4: 0, 5: 1 }, 'Troværdighed counted once');
    assert.equal(a.tally.statements[st('Troværdighed')].n, 2);
    assert.deepEqual(a.tally.statements[st('Åbenhed')].counts, { 1: 0, 2: 0, 3: 1, 4: 0, 5: 1 }, 'Åbenhed: the new answer replaced the old');
    assert.equal(a.tally.statements[st('Respekt')].n, 3);
  });

  await step('activities added on the fly: rank over the whole charter, choice, words', async () => {
    const h = S.host;
    await h.getByLabel('Type').selectOption('rank');
    await h.getByRole('radio', { name: 'Hele ledelsesgrundlaget' }).check();
    await h.getByRole('button', { name: 'Tilføj', exact: true }).click();
    const rankCard = h.locator('section.activity', { hasText: 'Prioritering:' });
    await rankCard.waitFor();
    await rankCard.getByRole('button', { name: 'Åbn afstemning' }).click();
    await rankCard.getByRole('button', { name: 'Luk afstemning' }).waitFor();

    await h.getByLabel('Type').selectOption('choice');
    await h.getByLabel('Spørgsmål').fill('Hvor skal vi starte?');
    await h.getByLabel('Svarmuligheder (én pr. linje)').fill('Dialog\nTillid\nFeedback');
    await h.getByRole('button', { name: 'Tilføj', exact: true }).click();
    const choiceCard = h.locator('section.activity', { hasText: 'Hvor skal vi starte?' });
    await choiceCard.waitFor();
    await choiceCard.getByRole('button', { name: 'Åbn afstemning' }).click();

    await h.getByLabel('Type').selectOption('words');
    await h.getByLabel('Spørgsmål').fill('Ét ord om ledelse her');
    await h.getByRole('button', { name: 'Tilføj', exact: true }).click();
    const wordsCard = h.locator('section.activity', { hasText: 'Ét ord om ledelse her' });
    await wordsCard.waitFor();
    await wordsCard.getByRole('button', { name: 'Åbn afstemning' }).click();
    await wordsCard.getByRole('button', { name: 'Luk afstemning' }).waitFor();

    // Rank by tapping, with undo; then by keyboard on the 320 px phone.
    const rank = S.p1.locator('section.rank');
    await rank.waitFor();
    await until(() => rank.getByRole('button', { name: /^Respekt/ }).isEnabled(), { message: 'rank open on the phone' });
    await rank.getByRole('button', { name: /^Respekt/ }).click();
    await rank.getByRole('button', { name: /^Troværdighed/ }).click();
    await rank.getByRole('button', { name: 'Fortryd' }).click();
    await rank.getByRole('button', { name: /^Åbenhed/ }).click();
    await waitText(rank.locator('ol.chosen'), /^Respekt Åbenhed$/);
    await rank.getByRole('button', { name: 'Send rækkefølgen' }).click();
    await waitText(rank.getByRole('status'), /Gemt/);

    const rank3 = S.p3.locator('section.rank');
    await rank3.getByRole('button', { name: /^Respekt/ }).focus();
    await S.p3.keyboard.press('Enter');
    await rank3.getByRole('button', { name: /^Åbenhed/ }).focus();
    await S.p3.keyboard.press('Space');
    await rank3.getByRole('button', { name: 'Send rækkefølgen' }).focus();
    await S.p3.keyboard.press('Enter');
    await waitText(rank3.getByRole('status'), /Gemt/);

    const choice = S.p1.locator('section.choice');
    await until(() => choice.getByRole('button', { name: /Tillid/ }).isEnabled(), { message: 'choice open' });
    await choice.getByRole('button', { name: /Tillid/ }).click();
    await waitText(choice.getByRole('status'), /Gemt/);

    const words = S.p1.locator('section.words');
    await until(() => words.getByLabel('Ord 1').isEnabled(), { message: 'words open' });
    await words.getByLabel('Ord 1').fill('Tillid');
    await words.getByLabel('Ord 2').fill('Mod');
    await words.getByRole('button', { name: 'Send ordene' }).click();
    await waitText(words.getByRole('status'), /Gemt/);

    for (const card of [rankCard, choiceCard, wordsCard]) await card.getByRole('button', { name: 'Vis resultater' }).click();
    // The last shown (words) is on the presenter; ← steps back to the choice and the ranking.
    await S.pres.locator('[data-stage="results"] .cloud li', { hasText: 'tillid' }).waitFor();
    await S.pres.keyboard.press('ArrowLeft');
    await S.pres.locator('[data-stage="question"]').waitFor();
    await S.pres.keyboard.press('ArrowLeft');
    await waitText(S.pres.locator('[data-stage="results"] li.row', { hasText: 'Tillid' }), /Tillid\s*1/);
    await S.pres.keyboard.press('ArrowLeft');
    await S.pres.locator('[data-stage="question"] h1', { hasText: 'Hvor skal vi starte?' }).waitFor();
    await S.pres.keyboard.press('ArrowLeft');
    await waitText(S.pres.locator('[data-stage="results"] h1'), /Top 10/);
    await waitText(S.pres.locator('[data-stage="results"] li.row').first(), /Respekt\s*\d+ point/);
    await checkAudit(S.p1, 'rank, choice and words on a phone');
    await shoot(S.p1, 'participant-activities');
    await checkAudit(S.pres, 'presenter with rank, choice and words');
    await shoot(S.pres, 'presenter-activities');
  });

  await step('language: English on the phone, the session language by default', async () => {
    await S.p3.locator('button.lang').click();
    await S.p3.getByRole('heading', { level: 3, name: 'How well do we live up to this?' }).waitFor();
    await S.p3.getByRole('group', { name: 'Respekt', exact: true }).getByRole('button', { name: 'To a large extent', exact: true }).waitFor();
    assert.equal(await S.p3.evaluate(() => document.documentElement.lang), 'en');
    await S.p3.locator('button.lang').click();
    assert.equal(await S.p3.evaluate(() => document.documentElement.lang), 'da');
  });

  await step('the facilitator ends the session; phones say thank you', async () => {
    await S.host.getByRole('button', { name: 'Afslut forløbet' }).click();
    await S.host.getByRole('button', { name: 'Ja, afslut' }).click();
    for (const p of [S.p1, S.p2, S.p3]) await p.getByRole('heading', { name: 'Tak for din deltagelse!' }).waitFor();
    await S.pres.getByRole('heading', { name: 'Tak for i dag!' }).waitFor();
    const v = await view();
    assert.equal(v.session.state, 'ended');
    await checkAudit(S.p1, 'thank you');
    await shoot(S.p1, 'participant-ended');
  });

  await step('sessions list, Markdown import with line-numbered errors, delete', async () => {
    const h = S.host;
    await h.getByRole('link', { name: /Alle forløb/ }).click();
    await h.getByRole('heading', { name: 'Dine forløb' }).waitFor();
    await h.getByRole('link', { name: 'Workshop på rådhuset', exact: true }).waitFor();

    await h.getByLabel('Indsæt Markdown').fill('# Første titel\n\n# Anden titel\n\n## Afsnit\n\n- Et udsagn\n');
    await h.getByRole('button', { name: 'Indlæs', exact: true }).click();
    const alert = h.locator('.alert', { hasText: 'Linje' });
    await waitText(alert, /Linje 3/);

    await h.getByLabel('Indsæt Markdown').fill('---\nlanguage: da\n---\n# Testgrundlag\n\nIntro.\n\n## Samarbejde\n\n- Vi hjælper hinanden\n- Vi siger det højt\n');
    await h.getByRole('button', { name: 'Indlæs', exact: true }).click();
    await h.getByText('Indlæst: Testgrundlag').waitFor();
    assert.ok(await h.getByRole('radio', { name: /Testgrundlag/ }).isChecked(), 'the imported charter is chosen');

    await checkAudit(h, 'sessions');
    await shoot(h, 'host-sessions');

    await h.locator('li.card', { hasText: 'Workshop på rådhuset' }).getByRole('button', { name: /^Slet\b/ }).click();
    await h.getByRole('button', { name: 'Slet forløbet og alle svar' }).click();
    await until(async () => (await h.getByRole('link', { name: 'Workshop på rådhuset', exact: true }).count()) === 0, { message: 'deleted from the list' });
    const r = await S.fac.request.get(`${server.base}/api/v1/sessions/${S.id}`);
    assert.equal(r.status(), 404);
  });

  await t.test('no request left the origin, no CSP violation, no script error', async () => {
    const foreign = contexts.flatMap((c) => c.foreign);
    assert.deepEqual(foreign, [], 'requests to other origins');
    const csp = contexts.flatMap((c) => c.csp);
    for (const c of contexts) for (const p of c.pages()) csp.push(...(await cspViolations(p)));
    assert.deepEqual(csp, [], 'CSP violations');
    const errors = contexts.flatMap((c) => c.errors);
    assert.deepEqual(errors, [], 'uncaught errors in pages');
  });
});
