// From dialogue to agreements, and the follow-up survey, in real Chromium against the real
// server: a workshop's comments become two themes, one is voted on and becomes an agreement
// ("aftale"), the session ends (the phones' end screen and the PDF show "Det aftalte vi"),
// the facilitator makes the follow-up survey, ten phones answer it at their own pace in two
// rounds ("days": pages closed in between, a reload, a changed answer, a phone offline),
// the results are published, and the comparison page shows before and after with the right
// change and the agreement's status. One browser; phones are contexts.
//
// Run: cd frontend && PEJL_BIN=$PWD/../bin/pejl node --test e2e/survey.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { startServer, launchBrowser, newContext, loggedIn, audit, until, textOf, waitText, cspViolations, stepper, screenshotDir, PHONE, DESKTOP } from './lib.mjs';

let server;
let browser;
const run = { failed: false };
const contexts = [];
const S = {};

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  if (run.failed && server) console.error('--- server log (tail) ---\n' + server.log().slice(-4000));
  await server?.stop();
});

async function phoneContext(name) {
  const c = await newContext(browser, server.base, { viewport: PHONE, mobile: true, name });
  c.setDefaultTimeout(20_000);
  contexts.push(c);
  return c;
}

const api = (path, init = {}) =>
  S.fac.request.fetch(`${server.base}/api/v1${path}`, { headers: { Origin: server.base }, ...init });

async function join(page, url) {
  await page.goto(url);
  await page.getByRole('button', { name: 'Deltag' }).click();
}

async function vote(page, statement, label) {
  const g = page.getByRole('group', { name: statement, exact: true });
  await until(() => g.getByRole('button', { name: label, exact: true }).isEnabled(), { message: `${statement} enabled`, timeout: 20_000 });
  await g.getByRole('button', { name: label, exact: true }).click();
  return g;
}

/** Screenshots at the sizes that matter here: a small phone, a laptop and a projector. */
async function shots(page, name, sizes) {
  mkdirSync(screenshotDir, { recursive: true });
  const size = page.viewportSize();
  for (const [w, h] of sizes) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(150);
    await page.screenshot({ path: pathJoin(screenshotDir, `${name}-${w}x${h}.png`), fullPage: w < 500, animations: 'disabled' });
  }
  await page.setViewportSize(size);
}
const PHONES = [[320, 640]];
const SCREENS = [[1366, 768], [1280, 720]];

const LABELS = ['Slet ikke', 'I ringe grad', 'I nogen grad', 'I høj grad', 'I meget høj grad'];

test('from a workshop to agreements and a follow-up survey', { timeout: 300_000 }, async (t) => {
  const step = stepper(t, run);

  await step('a workshop: phones rate and comment', async () => {
    S.fac = await loggedIn(browser, server, { viewport: DESKTOP, name: 'facilitator' });
    contexts.push(S.fac);
    const r = await api('/sessions', { method: 'POST', data: { title: 'Temadag', charter_id: 'allerod-ledelsesgrundlag', anonymity_threshold: 3 } });
    assert.equal(r.status(), 201, await r.text());
    const s = await r.json();
    S.id = s.id;
    assert.equal(s.pace, 'live');
    assert.equal((await api(`/sessions/${S.id}`, { method: 'PATCH', data: { auto_approve: true } })).status(), 200);

    S.host = await S.fac.newPage();
    await S.host.goto(`${server.base}/host/sessions/${S.id}`);
    await S.host.getByRole('button', { name: /^Værdigrundlag/ }).click();
    await S.host.getByRole('button', { name: 'Vis afsnittet for salen' }).click();
    // The room is in the section once the console follows it (the preview bar goes).
    await until(async () => (await S.host.getByRole('button', { name: 'Vis afsnittet for salen' }).count()) === 0, { message: 'the room in Værdigrundlag', timeout: 30_000 });
    // O opens the section's activities; on a loaded machine a key pressed while the console
    // re-renders can go unseen, so it is pressed again while nothing opened.
    const opened = () => S.host.getByRole('button', { name: 'Luk afstemning' }).count();
    for (let i = 0; i < 5 && (await opened()) === 0; i++) {
      await S.host.keyboard.press('o');
      await until(async () => (await opened()) > 0, { message: 'activities open', timeout: 6_000 }).catch(() => {});
    }
    await until(async () => (await opened()) === 2, { message: 'both activities open', timeout: 30_000 });

    S.w = [];
    const rates = [2, 2, 3];
    const comments = ['Mere samarbejde mellem afdelingerne', 'Vi mødes for sjældent på tværs', 'For travlt til pauser'];
    for (let i = 0; i < 3; i++) {
      const c = await phoneContext(`workshop-${i}`);
      const p = await c.newPage();
      S.w.push(p);
      await join(p, s.join_url);
      await p.getByRole('heading', { level: 2, name: 'Værdigrundlag' }).waitFor();
      const g = await vote(p, 'Respekt', LABELS[rates[i] - 1]);
      await waitText(g.getByRole('status'), /Gemt/);
      await p.getByRole('textbox', { name: 'Skriv en kommentar' }).fill(comments[i]);
      await p.getByRole('button', { name: 'Send', exact: true }).click();
    }
    for (const text of comments) await S.host.getByRole('checkbox', { name: text }).waitFor();
  });

  await step('the facilitator makes two themes and puts one to the vote; the room says yes', async () => {
    const h = S.host;
    await h.getByRole('checkbox', { name: 'Mere samarbejde mellem afdelingerne' }).check();
    await h.getByRole('checkbox', { name: 'Vi mødes for sjældent på tværs' }).check();
    await h.getByLabel('Navn på temaet').fill('Samarbejde på tværs');
    await h.getByRole('button', { name: 'Opret tema' }).click();
    await h.locator('li.theme', { hasText: 'Samarbejde på tværs' }).waitFor();
    await h.getByRole('checkbox', { name: 'For travlt til pauser' }).check();
    await h.getByLabel('Navn på temaet').fill('Arbejdspres');
    await h.getByRole('button', { name: 'Opret tema' }).click();
    await h.locator('li.theme', { hasText: 'Arbejdspres' }).waitFor();
    const th = await (await api(`/sessions/${S.id}/themes`)).json();
    assert.deepEqual(th.themes.map((x) => [x.title, x.comments.length]), [['Samarbejde på tværs', 2], ['Arbejdspres', 1]]);

    const theme = h.locator('li.theme', { hasText: 'Samarbejde på tværs' });
    await theme.getByRole('button', { name: 'Sæt til afstemning' }).click();
    await theme.getByText('Til afstemning').waitFor();
    for (const p of S.w) {
      const q = p.getByRole('region', { name: /Skal vi arbejde med dette\? Samarbejde på tværs/ });
      await until(() => q.getByRole('button', { name: 'Ja', exact: true }).isEnabled(), { message: 'proposal open on the phone', timeout: 30_000 });
      await q.getByRole('button', { name: 'Ja', exact: true }).click();
      await waitText(q.getByRole('status'), /Gemt/);
    }
    await waitText(theme, /Ja 3 · Måske 0 · Nej 0/);
  });

  await step('the accepted proposal becomes an agreement; the session ends; phones and the PDF show it', async () => {
    const h = S.host;
    await h.locator('li.theme', { hasText: 'Samarbejde på tværs' }).getByRole('button', { name: 'Gør til aftale' }).click();
    assert.equal(await h.getByLabel('Hvad').inputValue(), 'Samarbejde på tværs');
    await h.getByLabel('Hvad').fill('Fælles morgenmøde hver uge på tværs af afdelingerne');
    await h.getByLabel('Hvem', { exact: true }).fill('Direktionen');
    await h.getByLabel('Frist', { exact: true }).fill('2027-03-01');
    await h.getByLabel('Opfølgning', { exact: true }).fill('2027-06-01');
    await h.getByRole('button', { name: 'Gem aftale' }).click();
    await h.getByText('Hvem: Direktionen').waitFor();
    await h.getByRole('heading', { name: 'Temaer' }).scrollIntoViewIfNeeded();
    await shots(h, 'agreements-console', SCREENS);
    const ag = await (await api(`/sessions/${S.id}/agreements`)).json();
    assert.equal(ag.agreements.length, 1);
    assert.deepEqual([ag.agreements[0].who, ag.agreements[0].due, ag.agreements[0].follow_up, ag.agreements[0].theme], ['Direktionen', '2027-03-01', '2027-06-01', 't1']);

    await h.getByRole('button', { name: 'Afslut forløbet' }).click();
    await h.getByRole('button', { name: 'Ja, afslut' }).click();
    const end = S.w[0].getByRole('region', { name: 'Det aftalte vi' });
    await waitText(end, /Fælles morgenmøde hver uge.*Hvem: Direktionen/);
    await shots(S.w[0], 'agreements-phone-end', PHONES);

    const pdf = await api(`/sessions/${S.id}/export/report.pdf`);
    assert.equal(pdf.status(), 200);
    const out = spawnSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: await pdf.body() });
    assert.equal(out.status, 0, String(out.stderr));
    const text = String(out.stdout).replace(/\s+/g, ' ');
    const at = text.indexOf('Det aftalte vi');
    assert.ok(at > 0, 'the PDF has "Det aftalte vi"');
    assert.match(text.slice(at), /Fælles morgenmøde hver uge.*Hvem: Direktionen.*Frist: 1\. marts 2027.*Opfølgning: 1\. juni 2027/);
    for (const p of S.w) await p.close();
  });

  await step('the follow-up survey is made and opened', async () => {
    const h = S.host;
    await h.getByRole('button', { name: 'Opfølgning', exact: true }).click();
    await h.waitForURL((u) => !u.pathname.endsWith(S.id));
    S.fu = decodeURIComponent(new URL(h.url()).pathname.split('/').pop());
    await h.getByRole('heading', { level: 1, name: 'Opfølgning: Temadag' }).waitFor();
    const v = await (await api(`/sessions/${S.fu}`)).json();
    assert.equal(v.session.pace, 'self');
    assert.equal(v.session.follows, S.id);
    const items = v.activities.filter((a) => a.agreement);
    assert.equal(items.length, 1);
    assert.equal(items[0].prompt, 'Er aftalen gennemført?');
    assert.deepEqual(items[0].options.map((o) => o.id), ['ja', 'delvist', 'nej', 'ved_ikke']);
    S.fuJoin = v.session.join_url;
    await h.getByRole('button', { name: 'Åbn undersøgelsen' }).click();
    await h.getByRole('heading', { name: /Undersøgelse: Åben/ }).waitFor();
    await shots(h, 'survey-console', SCREENS);
  });

  // One phone's answers: Respekt, Åbenhed, Troværdighed and the agreement, in its own order.
  async function answer(p, respekt, status) {
    await p.getByRole('navigation', { name: 'Afsnit i undersøgelsen' }).getByRole('button', { name: /^Værdigrundlag/ }).click();
    await p.getByRole('heading', { level: 2, name: 'Værdigrundlag' }).waitFor();
    const item = p.getByRole('region', { name: 'Er aftalen gennemført?' });
    await p.getByText('Fælles morgenmøde hver uge på tværs af afdelingerne').waitFor();
    await item.getByRole('button', { name: status, exact: true }).click();
    const groups = [];
    for (const [st, v] of [['Troværdighed', 4], ['Respekt', respekt], ['Åbenhed', 4]]) groups.push(await vote(p, st, LABELS[v - 1]));
    return [...groups, item];
  }
  const saved = (groups) => Promise.all(groups.map((g) => waitText(g.getByRole('status'), /Gemt/, { timeout: 20_000 })));

  await step('day 1: five phones answer at their own pace (a reload, a changed answer, one offline)', async () => {
    S.p = [];
    for (let i = 0; i < 10; i++) S.p.push({ ctx: await phoneContext(`survey-${i}`) });
    for (let i = 0; i < 5; i++) {
      const ph = S.p[i];
      ph.page = await ph.ctx.newPage();
      await join(ph.page, S.fuJoin);
      await ph.page.getByRole('navigation', { name: 'Afsnit i undersøgelsen' }).waitFor();
      if (i === 3) await ph.ctx.setOffline(true);
      const groups = await answer(ph.page, i === 2 ? 2 : 4, 'Ja');
      if (i === 0) await shots(ph.page, 'survey-phone', PHONES);
      if (i === 3) {
        await waitText(groups[1].getByRole('status'), /Sender/);
        continue;
      }
      await saved(groups);
    }
    // A changed answer, before the close.
    await saved([await vote(S.p[2].page, 'Respekt', LABELS[4])]);
    // A reload keeps the section and the answers.
    const p1 = S.p[1].page;
    await p1.reload();
    await p1.getByRole('heading', { level: 2, name: 'Værdigrundlag' }).waitFor();
    await until(async () => (await p1.getByRole('group', { name: 'Respekt', exact: true }).getByRole('button', { name: 'I høj grad', exact: true }).getAttribute('aria-pressed')) === 'true', { message: 'the answer after a reload', timeout: 30_000 });
    // The end of the day: the pages close (the offline phone keeps its answers in its outbox).
    for (const i of [0, 1, 2, 4]) await S.p[i].page.close();
  });

  await step('day 2: the offline phone comes back, five more answer; results are published', async () => {
    const off = S.p[3];
    await off.ctx.setOffline(false);
    await off.page.reload();
    await off.page.getByRole('heading', { level: 2, name: 'Værdigrundlag' }).waitFor();
    await waitText(off.page.getByRole('group', { name: 'Respekt', exact: true }).getByRole('status'), /Gemt/, { timeout: 30_000 });
    for (let i = 5; i < 10; i++) {
      const ph = S.p[i];
      ph.page = await ph.ctx.newPage();
      await join(ph.page, S.fuJoin);
      await saved(await answer(ph.page, 4, i === 8 ? 'Delvist' : i === 9 ? 'Nej' : 'Ja'));
      if (i < 9) await ph.page.close();
    }
    const v = await (await api(`/sessions/${S.fu}`)).json();
    const scale = v.activities.find((a) => a.kind === 'scale' && a.section === v.charter.sections.find((s) => s.title === 'Værdigrundlag').id);
    assert.equal(scale.respondents, 10, 'ten phones answered, none twice');
    const last = S.p[9].page;
    assert.equal(await last.getByText('Gennemsnit').count(), 0, 'no results before they are published');
    await S.host.getByRole('button', { name: 'Offentliggør resultater' }).click();
    await last.getByRole('group', { name: 'Respekt', exact: true }).getByText('Gennemsnit').first().waitFor();
    const problems = await audit(last, 'survey phone');
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  await step('the comparison shows before and after and the agreement status', async () => {
    const h = S.host;
    await h.goto(`${server.base}/host/compare`);
    await h.getByRole('checkbox', { name: /^Temadag/ }).check();
    await h.getByRole('checkbox', { name: /^Opfølgning: Temadag/ }).check();
    await h.getByRole('button', { name: 'Sammenlign', exact: true }).click();
    const row = h.getByRole('row', { name: /^Respekt/ });
    // Before: 2, 2, 3 (2,33); after: nine 4s and a 5 (4,10).
    await waitText(row, /2,33.*4,10.*\+1,77/);
    const ags = h.getByRole('heading', { name: 'Aftaler og opfølgning' });
    await ags.waitFor();
    await waitText(h.locator('.ags'), /Fælles morgenmøde.*Gennemført.*Ja 8 · Delvist 1 · Nej 1 · Ved ikke 0 \(10 svar\)/);
    await row.scrollIntoViewIfNeeded();
    await shots(h, 'compare-followup', SCREENS);
    const problems = await audit(h, 'comparison');
    // A survey can also be made from the form, with its window.
    await h.goto(`${server.base}/host`);
    await h.getByRole('heading', { name: 'Nyt forløb' }).waitFor();
    await h.getByLabel('Navn på forløbet').fill('Trivselsmåling 2027');
    await h.getByRole('radio', { name: /^Undersøgelse/ }).check();
    await h.getByLabel('Lukker').fill('2027-01-15T16:00');
    const formProblems = await audit(h, 'new survey form');
    assert.deepEqual(formProblems, [], formProblems.join('\n'));
    await h.getByRole('button', { name: 'Opret forløbet' }).click();
    await h.waitForURL(/\/host\/sessions\/[^/]+$/);
    await h.getByRole('heading', { name: /Undersøgelse: Ikke åbnet/ }).waitFor();
    const made = await (await api(`/sessions/${decodeURIComponent(new URL(h.url()).pathname.split('/').pop())}`)).json();
    assert.equal(made.session.pace, 'self');
    assert.equal(made.session.state, 'lobby');
    assert.equal(new Date(made.session.closes_at).getTime(), new Date('2027-01-15T16:00').getTime());
    const consoleProblems = await audit(h, 'survey console');
    assert.deepEqual(consoleProblems, [], consoleProblems.join('\n'));
    assert.deepEqual(problems, [], problems.join('\n'));
    for (const c of contexts) {
      assert.deepEqual(c.foreign, [], `${c.label}: requests to other origins`);
      assert.deepEqual(c.errors, [], `${c.label}: page errors`);
    }
    assert.deepEqual(await cspViolations(h), []);
    assert.ok((await textOf(h.locator('main'))).length > 0);
  });
});
