// The dialogue of issue 11 in real Chromium against the real server: ten phones (two in the
// browser, eight on sockets) rate "I dag / Ønsket" and two rounds of a scale (with "ved
// ikke" and an answer taken back), the presenter at 1280×720 shows the gap ladder, the
// importance × performance quadrant with its weak-but-important corner, and the shift of
// round 2; the PDF report is read back with pdftotext: the gap and the shift with the right
// numbers, and a 0–10 scale beside the default one labelled with its own range.
//
// Run: PEJL_BIN=$PWD/../bin/pejl node --test e2e/dialogue.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, loggedIn, newContext, audit, until, waitText, shoot, screenshotDir, PHONE, SMALL_PHONE } from './lib.mjs';

let server;
let browser;
let fac;
let driver;
const S = {};

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  fac = await loggedIn(browser, server, { viewport: { width: 1280, height: 720 }, name: 'fac' });
  fac.setDefaultTimeout(20_000);
});

after(async () => {
  await fac?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function post(path, data) {
  const r = await fac.request.post(`${server.base}${path}`, { data, headers: { Origin: server.base } });
  assert.ok(r.ok(), `POST ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

async function view() {
  return (await fac.request.get(`${server.base}/api/v1/sessions/${S.id}`)).json();
}

async function cmd(type, fields = {}) {
  const res = await driver.evaluate(([type, fields]) => window.__cmd(type, fields), [type, fields]);
  assert.equal(res.type, 'ack', `${type} ${JSON.stringify(fields)}: ${JSON.stringify(res)}`);
}

/** Participants on sockets of one page; each list of messages is one person, sent in order. */
async function sockets(page, list) {
  return page.evaluate(
    ([code, list]) =>
      Promise.all(
        list.map(
          (msgs, i) =>
            new Promise((ok, fail) => {
              const key = `__p${i}`;
              const send = (ws) => {
                let pending = msgs.length;
                ws.onmessage = (e) => {
                  const m = JSON.parse(e.data);
                  if (m.type === 'ack' && --pending === 0) ok();
                  else if (m.type === 'error') fail(new Error(JSON.stringify(m)));
                };
                msgs.forEach((msg, j) => ws.send(JSON.stringify({ ...msg, id: `s${i}-${j}-${Math.random()}` })));
                if (!pending) ok();
              };
              if (window[key]) return send(window[key]); // the same person again
              const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/api/v1/join/${code}/live`);
              window[key] = ws;
              ws.onopen = () => ws.send(JSON.stringify({ type: 'hello' }));
              ws.onmessage = (e) => {
                if (JSON.parse(e.data).type === 'welcome') send(ws);
              };
              setTimeout(() => fail(new Error('participant timed out')), 20000);
            }),
        ),
      ),
    [S.code, list],
  );
}

async function phone(name, viewport) {
  const ctx = await newContext(browser, server.base, { viewport, mobile: true, name });
  ctx.setDefaultTimeout(20_000);
  const p = await ctx.newPage();
  await p.goto(S.joinUrl);
  await p.getByRole('button', { name: 'Deltag' }).click();
  await p.getByText('Vent et øjeblik – vi går snart i gang').waitFor();
  return p;
}

/** A statement's card in a phone's activity section. */
const block = (p, act) => p.locator(`section[aria-labelledby="h-${act} an-${act}"]`);
const card = (p, act, text) => block(p, act).locator('fieldset').filter({ has: p.locator('legend', { hasText: text }) });

test('gap rating, ved ikke and two rounds, from ten phones to the projector and the PDF', async () => {
  const s = await post('/api/v1/sessions', { title: 'Dialogdag i Ledergruppen', charter_id: 'allerod-ledelsesgrundlag', anonymity_threshold: 3 });
  S.id = s.id;
  S.code = s.code;
  S.joinUrl = s.join_url;
  const v0 = await view();
  const st = v0.charter.sections.find((x) => x.id === 's2').statements;
  S.gap = (await post(`/api/v1/sessions/${S.id}/activities`, { kind: 'gap', section: 's2' })).id;
  S.ten = (await post(`/api/v1/sessions/${S.id}/activities`, { kind: 'scale', section: 's2', prompt: 'Hvor vigtigt er det for dig?', min: 0, max: 10 })).id;
  S.points = (await post(`/api/v1/sessions/${S.id}/activities`, { kind: 'points', section: 's2', prompt: 'Fordel 100 point' })).id;
  S.scale = 's2-scale';

  driver = await fac.newPage();
  await driver.goto(`${server.base}/`);
  await driver.evaluate((id) => {
    return new Promise((ok) => {
      const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/api/v1/sessions/${id}/live`);
      const waiting = {};
      let n = 0;
      ws.onopen = () => ws.send(JSON.stringify({ type: 'hello' }));
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (m.type === 'welcome') ok();
        if ((m.type === 'ack' || m.type === 'error') && waiting[m.id]) waiting[m.id](m);
      };
      window.__cmd = (type, fields) =>
        new Promise((res) => {
          const cid = `d${++n}`;
          waiting[cid] = res;
          ws.send(JSON.stringify({ type, id: cid, ...fields }));
        });
    });
  }, S.id);

  const a = await phone('pa', SMALL_PHONE);
  const b = await phone('pb', PHONE);
  await cmd('goto', { section: 's2' });
  for (const id of [S.gap, S.scale, S.ten, S.points]) await cmd('open', { activity: id });

  // Phone A rates the first statement on both rows: one answer, one receipt.
  const ga = card(a, S.gap, st[0].text);
  await ga.getByRole('group', { name: /^I dag/ }).locator('.opt').nth(1).click(); // 2
  await ga.getByText('Vælg også den anden række').waitFor();
  await ga.getByRole('group', { name: /^Ønsket/ }).locator('.opt').nth(4).click(); // 5
  await waitText(ga.locator('.receipt'), /Gemt/);
  assert.equal(await ga.locator('.receipt').count(), 1, 'one receipt per statement');
  // Phone B: 3 and 3 (no gap).
  const gb = card(b, S.gap, st[0].text);
  await gb.getByRole('group', { name: /^I dag/ }).locator('.opt').nth(2).click();
  await gb.getByRole('group', { name: /^Ønsket/ }).locator('.opt').nth(2).click();
  await waitText(gb.locator('.receipt'), /Gemt/);

  // Round 1 of the scale: A says 3, B "Ved ikke".
  await card(a, S.scale, st[0].text).locator('.opt').nth(2).click();
  await waitText(card(a, S.scale, st[0].text).locator('.receipt'), /Gemt/);
  await card(b, S.scale, st[0].text).getByRole('button', { name: 'Ved ikke' }).click();
  await waitText(card(b, S.scale, st[0].text).locator('.receipt'), /Gemt/);
  // A rates 7 on the 0–10 scale (eleven buttons, two rows at 320 px) and takes it back.
  const tenA = card(a, S.ten, st[0].text);
  assert.equal(await tenA.locator('.opt').count(), 11, 'a 0–10 scale has eleven values');
  await tenA.locator('.opt').nth(7).click();
  await waitText(tenA.locator('.receipt'), /Gemt/);
  await tenA.getByRole('button', { name: 'Fortryd mit svar' }).click();
  await waitText(tenA.locator('.receipt'), /Gemt/);
  assert.equal(await tenA.locator('[aria-pressed="true"]').count(), 0, 'nothing chosen after taking the answer back');
  // Points: more than 100 is refused on the phone.
  const pts = block(a, S.points);
  await pts.locator('input').nth(0).fill('60');
  await pts.locator('input').nth(1).fill('50');
  await pts.getByRole('alert').getByText('10 point for meget').waitFor();
  assert.ok(await pts.getByRole('button', { name: 'Send mine point' }).isDisabled(), 'over budget: no send');
  await waitText(pts.locator('.sum'), /110 af 100/);
  await pts.locator('input').nth(1).fill('40');
  await pts.getByRole('button', { name: 'Send mine point' }).click();
  await waitText(pts.locator('.receipt'), /Gemt/);
  await shoot(a, 'participant-gap');
  const problems = await audit(a, 'phone with gap, scales and points');
  assert.deepEqual(problems, [], problems.join('\n'));

  // Eight more people on sockets.
  const crowd = await fac.newPage();
  await crowd.goto(`${server.base}/`);
  const gaps = [[1, 5], [2, 5], [2, 4], [3, 5], [2, 4], [2, 5], [3, 4], [1, 4]];
  const round1 = [2, 3, 4, 2, 3, 3, 4, 2];
  await sockets(
    crowd,
    gaps.map(([today, wanted], i) => [
      { type: 'vote', activity: S.gap, statement: st[0].id, value: { today, wanted } },
      { type: 'vote', activity: S.gap, statement: st[1].id, value: { today: 4, wanted: 4 } },
      { type: 'vote', activity: S.gap, statement: st[2].id, value: { today: 3, wanted: 4 } },
      { type: 'vote', activity: S.scale, statement: st[0].id, value: round1[i] },
      { type: 'vote', activity: S.ten, statement: st[0].id, value: i + 3 },
    ]),
  );

  // Round 2: the phones say what they answered, and nothing is chosen.
  await cmd('round', { activity: S.scale });
  const r2 = `${S.scale}-r2`;
  const r2a = card(a, r2, st[0].text);
  await waitText(r2a.locator('.before'), /Runde 2 – du svarede 3 sidst/);
  assert.equal(await r2a.locator('[aria-pressed="true"]').count(), 0, 'round 2 starts with nothing chosen');
  await waitText(card(b, r2, st[0].text).locator('.before'), /Runde 2 – du svarede Ved ikke sidst/);
  await r2a.locator('.opt').nth(3).click(); // 3 → 4: up
  await waitText(r2a.locator('.receipt'), /Gemt/);
  await card(b, r2, st[0].text).locator('.opt').nth(2).click(); // ved ikke → 3: not both
  await waitText(card(b, r2, st[0].text).locator('.receipt'), /Gemt/);
  await sockets(crowd, [4, 4, 4, 1, 3, 3, 5, 2].map((v) => [{ type: 'vote', activity: r2, statement: st[0].id, value: v }]));

  // The numbers, as the facilitator reads them.
  const acts = (await view()).activities;
  const g1 = acts.find((x) => x.id === S.gap).tally.statements[st[0].id];
  assert.deepEqual([g1.n, g1.today.mean, g1.wanted.mean, g1.gap], [10, 2.1, 4.4, 2.3], JSON.stringify(g1));
  const sh = acts.find((x) => x.id === r2).tally.statements[st[0].id].shift;
  assert.deepEqual(sh, { up: 0.44, down: 0.11, same: 0.44, mean_change: 0.44, n_both: 9 });
  const sk = acts.find((x) => x.id === S.scale).tally.statements[st[0].id];
  assert.deepEqual([sk.n, sk.skipped], [9, 1], 'ved ikke counted apart');
  const ten = acts.find((x) => x.id === S.ten).tally.statements[st[0].id];
  assert.equal(ten.n, 8, 'the answer taken back does not count');

  // The projector at 1280×720: the ladder, the quadrant and the shift.
  const pres = await fac.newPage();
  await pres.setViewportSize({ width: 1280, height: 720 });
  await pres.goto(`${server.base}/present/${S.id}`);
  await cmd('show_results', { activity: S.gap });
  const ladder = pres.locator('[data-ladder] [data-item]');
  await until(async () => (await ladder.count()) === st.length, { message: 'the gap ladder' });
  assert.deepEqual(await ladder.evaluateAll((els) => els.map((e) => e.dataset.gap)), ['2.3', '1', '0'], 'sorted by gap');
  await waitText(ladder.first(), /Gab \+2,30/);
  const corner = pres.locator('[data-corner]');
  await corner.waitFor();
  await waitText(pres.locator('[data-quadrant]'), /Vigtigt, men svagt/);
  const fitsNow = () => pres.evaluate(() => {
    const vw = innerWidth;
    const vh = innerHeight;
    const inside = [...document.querySelectorAll('[data-ladder] [data-item], [data-quadrant] svg')].every((el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.left >= 0 && r.bottom <= vh + 1 && r.right <= vw + 1;
    });
    return inside && document.documentElement.scrollHeight <= vh + 1;
  });
  assert.ok(await fitsNow(), 'ladder and quadrant fit a 1280×720 projector');
  assert.equal(await pres.locator('[data-dot]').count(), 3, 'a dot per statement in the quadrant');
  mkdirSync(screenshotDir, { recursive: true });
  await pres.screenshot({ path: join(screenshotDir, 'presenter-gap-1280x720.png'), animations: 'disabled' });
  await pres.setViewportSize({ width: 1366, height: 768 });
  await until(fitsNow, { message: 'ladder and quadrant fit 1366×768' });
  await pres.screenshot({ path: join(screenshotDir, 'presenter-gap-1366x768.png'), animations: 'disabled' });
  await pres.setViewportSize({ width: 1280, height: 720 });
  await ga.screenshot({ path: join(screenshotDir, 'participant-gap-card-320.png') });
  await cmd('show_results', { activity: r2 });
  await waitText(pres.locator('[data-shift]').first(), /44 % op · 11 % ned · 44 % uændret · gns\. ændring \+0,44/);
  await cmd('show_results', { activity: S.scale });
  await waitText(pres.locator('[data-skipped]').first(), /^Ved ikke: 1$/);
  await cmd('show_results', { activity: r2 });
  await pres.screenshot({ path: join(screenshotDir, 'presenter-shift-1280x720.png'), animations: 'disabled' });
  // The 0–10 scale on the projector: eleven values in its legend, 0 to 10, fitted.
  await cmd('show_results', { activity: S.ten });
  const legend = pres.locator('.legend li');
  await until(async () => (await legend.count()) === 11, { message: 'a legend of 0–10' });
  assert.deepEqual((await legend.allInnerTexts()).map((x) => x.trim()), Array.from({ length: 11 }, (_, i) => String(i)));
  assert.ok(await pres.evaluate(() => document.documentElement.scrollHeight <= innerHeight + 1), 'the 0–10 results fit');
  await pres.screenshot({ path: join(screenshotDir, 'presenter-scale-0-10-1280x720.png'), animations: 'disabled' });
  await cmd('show_results', { activity: r2 });
  await r2a.screenshot({ path: join(screenshotDir, 'participant-round2-card.png') });
  const presProblems = await audit(pres, 'presenter shift');
  assert.deepEqual(presProblems, [], presProblems.join('\n'));

  // The console: the gap card's ladder, "Ny runde" where a round can start, and the three
  // largest gaps made the next topics (themes), largest first.
  const con = await fac.newPage();
  await con.setViewportSize({ width: 1366, height: 768 });
  await con.goto(`${server.base}/host/sessions/${S.id}`);
  const cardOf = (id) => con.locator('section.activity').filter({ has: con.locator(`[id="ah-${id}"]`) });
  const gapCard = cardOf(S.gap);
  await waitText(gapCard.locator('.ladder li').first(), /Respekt.*Gab \+2,30/);
  assert.equal(await cardOf(S.scale).getByRole('button', { name: 'Ny runde' }).count(), 0, 'no third round');
  assert.equal(await cardOf(S.ten).getByRole('button', { name: 'Ny runde' }).count(), 1, 'the 0–10 scale can get a round 2');
  assert.equal(await gapCard.getByRole('button', { name: 'Ny runde' }).count(), 1, 'the gap rating can get a round 2');
  await gapCard.getByRole('button', { name: 'Gør de tre største gab til næste emner' }).click();
  await gapCard.getByText('De tre største gab er nu temaer.').waitFor();
  const themes = await (await fac.request.get(`${server.base}/api/v1/sessions/${S.id}/themes`)).json();
  assert.deepEqual(themes.themes.map((x) => x.title), [`Gab: ${st[0].text}`, `Gab: ${st[2].text}`, `Gab: ${st[1].text}`]);
  const conProblems = await audit(con, 'console with a gap rating and a round 2');
  assert.deepEqual(conProblems, [], conProblems.join('\n'));

  // The PDF, read back.
  await cmd('end');
  const pdf = await fac.request.get(`${server.base}/api/v1/sessions/${S.id}/export/report.pdf`);
  assert.equal(pdf.status(), 200);
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: await pdf.body() }).toString().replace(/\s+/g, ' ');
  for (const want of [
    'I dag / ønsket',
    '2,10 4,40 +2,30 10',
    'Fra runde 1 – Alle: 44 % op, 11 % ned, 44 % uændret; gns. ændring +0,44 (9 svarede begge gange).',
    'Ved ikke: 1',
    'Hvor vigtigt er det for dig? (0–10)',
    'Gns. = Gennemsnit på skalaen fra 0 til 10.',
    'Gns. = Gennemsnit på skalaen fra 1 til 5.',
  ]) {
    assert.ok(text.includes(want), `the PDF says "${want}"`);
  }
});
