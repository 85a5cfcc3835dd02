// The presenter screen as a stage, in real Chromium against the real server: every stage
// (lobby, section, question, results of each kind, comment wall, end) at 1280×720 and
// 1920×1080, at the sizes a workshop reaches (5 statements, 8 options, a top 10 of 37
// statements, 60 words, 6 comments). Asserts the page does not scroll, every item of the
// stage (over its pages) is inside the viewport, result text is at least 24 px at 720p;
// the live response counter; timers agreeing across browsers whose clocks are 30 s apart;
// a timer closing its activity; the clicker keys; axe in both languages.
//
// Run: npm run test:e2e (needs ../bin/pejl, or PEJL_BIN=path).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, loggedIn, newContext, audit, until, waitText, screenshotDir } from './lib.mjs';

let server;
let browser;
let fac; // the facilitator's browser context (logged in)
let driver; // a page of it that sends facilitator commands over its own socket
const S = {};

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  fac = await loggedIn(browser, server, { viewport: { width: 1280, height: 720 }, name: 'fac' });
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
  const r = await fac.request.get(`${server.base}/api/v1/sessions/${S.id}`);
  return r.json();
}

/** A facilitator command over the driver page's socket, answered by its ack. */
async function cmd(type, fields = {}) {
  const res = await driver.evaluate(([type, fields]) => window.__cmd(type, fields), [type, fields]);
  assert.equal(res.type, 'ack', `${type} ${JSON.stringify(fields)}: ${JSON.stringify(res)}`);
}

/** n participants join on sockets of one page, each sending its messages; resolves when all are acked. */
async function participants(page, list) {
  return page.evaluate(
    ([code, list]) =>
      Promise.all(
        list.map(
          (msgs, i) =>
            new Promise((ok, fail) => {
              const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/api/v1/join/${code}/live`);
              (window.__socks ??= []).push(ws);
              let pending = msgs.length;
              ws.onopen = () => ws.send(JSON.stringify({ type: 'hello' }));
              ws.onmessage = (e) => {
                const m = JSON.parse(e.data);
                if (m.type === 'welcome') {
                  msgs.forEach((msg, j) => ws.send(JSON.stringify({ ...msg, id: `p${i}-${j}-${Math.random()}` })));
                  if (!pending) ok();
                } else if (m.type === 'ack' && --pending === 0) ok();
                else if (m.type === 'error') fail(new Error(JSON.stringify(m)));
              };
              setTimeout(() => fail(new Error('participant timed out')), 15000);
            }),
        ),
      ),
    [S.code, list],
  );
}

const WORDS = Array.from({ length: 60 }, (_, i) =>
  ['tillid', 'nærvær', 'dialog', 'retning', 'mod', 'ansvar', 'respekt', 'åbenhed', 'samarbejde', 'udvikling', 'arbejdsglæde', 'tydelighed'][i % 12] + (i >= 12 ? `-${i}` : ''),
);
const OPTIONS = ['Dialog på tværs', 'Tillid og delegering', 'Feedback hver uge', 'Tydelige mål', 'Mere tid til faglighed', 'Trivsel i teamet', 'Arbejdsglæde', 'Borgeren i centrum'];
const COMMENTS = [
  'Vi skal tale mere sammen på tværs af afdelingerne – ikke kun når noget er gået galt.',
  'Mere åbenhed om budgettet, tak. Det er svært at prioritere, når man ikke kender rammerne.',
  'Godt at vi gør det her!',
  'Ledelsesgrundlaget skal bruges i MUS-samtalerne, ellers bliver det ved papiret. Lad os aftale hvordan, og følge op efter et halvt år.',
  'Tillid er noget man viser, ikke noget man siger.',
  'Kan vi få et fast forum for ledere på tværs af områderne, fx hver anden måned?',
];

test('the presenter is a stage fitted to the screen', async (t) => {
  const s = await post('/api/v1/sessions', { title: 'Lederforum – Allerød Rådhus, efterår', charter_id: 'allerod-ledelsesgrundlag' });
  S.id = s.id;
  S.code = s.code;
  const v0 = await view();
  const all = v0.charter.sections.flatMap((x) => x.statements);
  assert.equal(all.length, 37, 'the built-in charter has 37 statements');
  // The scale over the five longest statements: the hardest five to fit.
  const longest = [...all].sort((a, b) => b.text.length - a.text.length).slice(0, 5).map((x) => x.id);
  S.scale = (await post(`/api/v1/sessions/${S.id}/activities`, { kind: 'scale', section: 's2', statements: longest })).id;
  S.choice = (await post(`/api/v1/sessions/${S.id}/activities`, { kind: 'choice', section: 's2', prompt: 'Hvor skal vi starte?', options: OPTIONS.map((label) => ({ label })) })).id;
  S.rank = (await post(`/api/v1/sessions/${S.id}/activities`, { kind: 'rank', section: 's2', prompt: 'Hvad er vigtigst for os?', scope: 'charter', k: 10 })).id;
  S.words = (await post(`/api/v1/sessions/${S.id}/activities`, { kind: 'words', section: 's2', prompt: 'Hvilke ord beskriver vores ledelse i dag?' })).id;
  S.comments = 's2-comments';

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

  // The presenter at 1280×720, in the lobby.
  const pres = await fac.newPage();
  await pres.setViewportSize({ width: 1280, height: 720 });
  await pres.goto(`${server.base}/present/${S.id}`);
  await pres.locator('[data-stage="lobby"] .code').waitFor();
  assert.equal(await pres.locator('button.lang').count(), 0, 'no language button on the projector');

  await cmd('goto', { section: 's2' });
  for (const a of [S.scale, S.choice, S.rank, S.words, S.comments]) await cmd('open', { activity: a });

  // 20 participants answer; a few more for the counter later.
  const crowd = await fac.newPage();
  await crowd.goto(`${server.base}/`);
  const ids = all.map((x) => x.id);
  await participants(
    crowd,
    Array.from({ length: 20 }, (_, i) => [
      ...longest.map((st, j) => ({ type: 'vote', activity: S.scale, statement: st, value: 1 + ((i + j) % 5) })),
      { type: 'vote', activity: S.choice, value: [`o${1 + (i % 8)}`] },
      { type: 'vote', activity: S.rank, value: Array.from({ length: 10 }, (_, j) => ids[(i * 3 + j * 7) % 37]).filter((x, k, arr) => arr.indexOf(x) === k) },
      { type: 'vote', activity: S.words, value: WORDS.slice((i * 3) % 60, ((i * 3) % 60) + 3) },
      ...(i < 6 ? [{ type: 'comment', activity: S.comments, text: COMMENTS[i] }] : []),
    ]),
  );

  // Comments wait for approval: the facilitator approves six; a seventh stays waiting and
  // must never reach the presenter screen (not even in a frame it receives).
  const SECRET = 'Kollega X er problemet';
  const frames = [];
  pres.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
  await pres.reload();
  await participants(crowd, [[{ type: 'comment', activity: S.comments, text: SECRET }]]);
  const pending = (await view()).activities.find((x) => x.id === S.comments).tally.comments;
  assert.equal(pending.length, 7);
  assert.ok(pending.every((c) => c.pending), 'new comments wait for approval');
  for (const c of pending) if (c.text !== SECRET) await cmd('moderate', { comment: c.id, action: 'show' });

  // Every stage, and what it must show in all (over its pages).
  const stages = [
    { name: 'lobby', stage: { stage: 'lobby' }, items: 0 },
    { name: 'section', stage: { stage: 'section', section: 's2' }, items: v0.charter.sections.find((x) => x.id === 's2').statements.length },
    { name: 'question-scale', stage: { stage: 'question', activity: S.scale }, items: 0 },
    { name: 'question-choice', stage: { stage: 'question', activity: S.choice }, items: 0 },
    { name: 'question-rank', stage: { stage: 'question', activity: S.rank }, items: 0 },
    { name: 'question-words', stage: { stage: 'question', activity: S.words }, items: 0 },
    { name: 'results-scale', stage: { stage: 'results', activity: S.scale }, items: 5, results: true },
    { name: 'results-choice', stage: { stage: 'results', activity: S.choice }, items: 8, results: true },
    { name: 'results-rank', stage: { stage: 'results', activity: S.rank }, items: 10, results: true },
    { name: 'results-words', stage: { stage: 'results', activity: S.words }, items: 60, results: true },
    { name: 'comments', stage: { stage: 'comments', activity: S.comments }, items: 6, results: true },
    // The end thanks the room, then shows every result it was shown, page by page.
    { name: 'end', stage: { stage: 'end' }, items: null },
  ];

  const measure = () =>
    pres.evaluate(() => {
      const vw = innerWidth;
      const vh = innerHeight;
      const se = document.scrollingElement;
      const main = document.querySelector('main.body');
      const mb = main.getBoundingClientRect();
      const items = [...document.querySelectorAll('[data-item]')].map((el) => {
        const r = el.getBoundingClientRect();
        return { text: el.textContent.trim().slice(0, 40), top: r.top, bottom: r.bottom, left: r.left, right: r.right };
      });
      const outside = items.filter((r) => r.top < 0 || r.left < 0 || r.right > vw + 0.5 || r.bottom > Math.min(vh, mb.bottom) + 0.5);
      // The smallest text on the stage (visible text nodes inside main).
      let smallest = Infinity;
      const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!n.textContent.trim() || el.closest('.vh')) continue;
        smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize));
      }
      return {
        scrolls: se.scrollHeight > vh || se.scrollWidth > vw,
        clipped: main.scrollHeight > main.clientHeight + 1,
        items: items.map((r) => r.text),
        outside,
        smallest,
        page: document.querySelector('[data-page]')?.textContent ?? '',
      };
    });

  mkdirSync(screenshotDir, { recursive: true });
  for (const vp of [{ width: 1280, height: 720 }, { width: 1920, height: 1080 }]) {
    await t.test(`every stage fits ${vp.width}×${vp.height}`, async () => {
      await pres.setViewportSize(vp);
      for (const st of stages) {
        const seen = new Set();
        for (let page = 0; page < 10; page++) {
          await cmd('present', { ...st.stage, page });
          await pres.locator(`[data-stage="${st.stage.stage}"][data-activity="${st.stage.activity ?? ''}"][data-page-index="${page}"]`).waitFor();
          await pres.waitForTimeout(page === 0 ? 150 : 50);
          const m = await measure();
          const label = `${st.name} at ${vp.width}×${vp.height}, page ${page + 1}`;
          assert.equal(m.scrolls, false, `${label}: the page scrolls`);
          assert.equal(m.clipped, false, `${label}: the stage is cut off`);
          assert.deepEqual(m.outside, [], `${label}: items outside the viewport`);
          if (st.results && vp.height === 720) assert.ok(m.smallest >= 24, `${label}: smallest text ${m.smallest}px < 24px`);
          const before = seen.size;
          for (const x of m.items) seen.add(x);
          if (vp.height === 720) {
            await pres.screenshot({ path: join(screenshotDir, `presenter-${st.name}${page ? `-p${page + 1}` : ''}-720p.png`), animations: 'disabled' });
          } else if (page === 0) {
            await pres.screenshot({ path: join(screenshotDir, `presenter-${st.name}-1080p.png`), animations: 'disabled' });
          }
          const [, , total] = m.page.match(/Side (\d+) af (\d+)/) ?? [];
          if (!total || page + 1 >= Number(total)) break;
          if (st.items !== null) assert.ok(seen.size > before, `${label}: a page with nothing new`);
        }
        if (st.items === null) assert.ok(seen.size >= 20, `${st.name}: the end's pages show the results (${seen.size} items)`);
        else assert.equal(seen.size, st.items, `${st.name} at ${vp.width}×${vp.height}: shows ${seen.size} of ${st.items} items over its pages`);
      }
    });
  }

  await t.test('a waiting comment never reaches the presenter screen', async () => {
    await cmd('present', { stage: 'comments', activity: S.comments });
    await pres.locator('.wall li').nth(5).waitFor();
    assert.equal(await pres.getByText(SECRET).count(), 0, 'the waiting comment is not on the wall');
    assert.ok(frames.length > 5, 'frames were recorded');
    assert.deepEqual(frames.filter((f) => f.includes(SECRET)), [], 'a frame to the presenter held the waiting comment');
    const r = await fac.request.get(`${server.base}/api/v1/sessions/${S.id}?audience=presenter`);
    assert.ok(!(await r.text()).includes(SECRET), "the presenter's REST view holds the waiting comment");
  });

  await t.test('the response counter follows within a second', async () => {
    await pres.setViewportSize({ width: 1280, height: 720 });
    await cmd('present', { stage: 'question', activity: S.choice });
    const counter = pres.locator('[data-counter]');
    await waitText(counter, /^20 af 2\d har svaret$/);
    const t0 = Date.now();
    await participants(crowd, [[{ type: 'vote', activity: S.choice, value: ['o1'] }]]);
    await waitText(counter, /^21 af 2\d har svaret$/, { timeout: 1000, interval: 25 });
    assert.ok(Date.now() - t0 < 1500, 'counter updated within a second of the ack');
  });

  await t.test('clicker keys step pages and stages', async () => {
    await cmd('present', { stage: 'results', activity: S.rank });
    await waitText(pres.locator('[data-page]'), /^Side 1 af [2-9]/);
    await pres.keyboard.press('PageDown');
    await waitText(pres.locator('[data-page]'), /^Side 2 af/);
    await pres.keyboard.press('PageUp');
    await waitText(pres.locator('[data-page]'), /^Side 1 af/);
    await pres.keyboard.press('ArrowLeft');
    await pres.locator('[data-stage="question"] h1', { hasText: 'Hvad er vigtigst for os?' }).waitFor();
    await pres.keyboard.press('ArrowRight');
    await pres.locator('[data-stage="results"] h1', { hasText: 'Hvad er vigtigst for os?' }).waitFor();
  });

  await t.test('timers agree across clocks 30 s apart; an activity timer closes it', async () => {
    const other = await newContext(browser, server.base, { viewport: { width: 1280, height: 720 }, name: 'skewed' });
    await other.addInitScript(() => {
      const real = Date.now.bind(Date);
      Date.now = () => real() + 30_000;
    });
    await other.addCookies(await fac.cookies());
    const skewed = await other.newPage();
    await skewed.goto(`${server.base}/present/${S.id}`);
    assert.ok((await skewed.evaluate(() => Date.now())) - Date.now() > 25_000, 'the second browser runs 30 s ahead');
    await cmd('timer', { seconds: 480 });
    await waitText(pres.locator('[role="timer"]'), /^Drøft ved bordene – [78]:\d\d$/);
    await waitText(skewed.locator('[role="timer"]'), /^Drøft ved bordene – [78]:\d\d$/);
    const [a, b] = await Promise.all([pres, skewed].map((p) => p.locator('[role="timer"]').getAttribute('data-timer')));
    assert.ok(Math.abs(Number(a) - Number(b)) <= 1, `timers ${a} s and ${b} s differ by more than a second`);
    assert.ok(Number(a) >= 478 && Number(a) <= 480, `timer shows ${a} s of 480`);
    await other.close();

    await cmd('present', { stage: 'question', activity: S.words });
    await cmd('timer', { activity: S.words, seconds: 2, close: true });
    await waitText(pres.locator('[role="timer"]'), /0:0[12]/);
    await until(async () => (await view()).activities.find((x) => x.id === S.words).state === 'closed', { timeout: 5000, message: 'words closed by its timer' });
    await pres.locator('[data-stage="question"]', { hasText: 'Afstemningen er lukket' }).waitFor();
    await cmd('timer', { seconds: 0 });
    await until(async () => (await pres.locator('[role="timer"]').count()) === 0, { message: 'timer gone' });
  });

  await t.test('the console: live preview, clicker keys, timer panel, axe', async () => {
    const con = await fac.newPage();
    await con.setViewportSize({ width: 1366, height: 768 });
    await con.goto(`${server.base}/host/sessions/${S.id}`);
    const box = con.locator('[data-preview]');
    const now = con.locator('[data-preview-now]');
    await cmd('present', { stage: 'results', activity: S.rank });
    await box.locator(`[data-stage="results"][data-activity="${S.rank}"][data-page-index="0"]`).waitFor();
    await waitText(now, /^På storskærmen nu: Resultater: Hvad er vigtigst for os\? \(side 1 af [2-9]\)$/);
    // The preview is the presenter's own stage, small: it fits its box and scrolls nothing.
    const fits = await box.evaluate((el) => {
      const b = el.getBoundingClientRect();
      return [...el.querySelectorAll('[data-item]')].every((x) => {
        const r = x.getBoundingClientRect();
        return r.top >= b.top - 0.5 && r.bottom <= b.bottom + 0.5 && r.left >= b.left - 0.5 && r.right <= b.right + 0.5;
      });
    });
    assert.ok(fits, 'every item of the preview is inside its box');
    assert.equal(await box.locator('main').count(), 0, 'the preview has no main landmark of its own');

    // The clicker keys in the console step the presenter window as they do there.
    await con.locator('h1').first().click();
    await con.keyboard.press('PageDown');
    await pres.locator(`[data-stage="results"][data-activity="${S.rank}"][data-page-index="1"]`).waitFor();
    await box.locator('[data-page-index="1"]').waitFor();
    await con.keyboard.press('ArrowLeft');
    await pres.locator(`[data-stage="results"][data-page-index="0"]`).waitFor();
    await con.keyboard.press('PageUp');
    await pres.locator(`[data-stage="question"][data-activity="${S.rank}"]`).waitFor();
    await waitText(now, /Spørgsmål: Hvad er vigtigst for os\?/);
    await con.getByRole('button', { name: 'Næste skærm' }).click();
    await pres.locator(`[data-stage="results"][data-activity="${S.rank}"][data-page-index="0"]`).waitFor();
    // Not while typing: an arrow in a field moves the caret, not the stage.
    await con.locator('#timer-min').focus();
    await con.keyboard.press('ArrowRight');
    await con.keyboard.press('PageDown');
    await con.waitForTimeout(600);
    assert.equal(await pres.locator(`[data-stage="results"][data-activity="${S.rank}"][data-page-index="0"]`).count(), 1, 'keys in a field do not step');

    // Presenter notes: written in the console, for the facilitator only.
    const NOTE = 'Husk at spørge Kirsten om eksemplet fra hjemmeplejen';
    await con.getByRole('button', { name: 'Skriv noter' }).click();
    await con.getByLabel('Noter til afsnittet Værdigrundlag').fill(NOTE);
    await con.getByRole('button', { name: 'Gem noter' }).click();
    await waitText(con.locator('[data-notes-text]'), /Kirsten om eksemplet/);
    assert.equal((await view()).notes?.s2, NOTE, "the facilitator's view has the notes");
    await pres.reload();
    await pres.locator('[data-stage]').waitFor();
    const welcome = await crowd.evaluate(
      (code) =>
        new Promise((ok, fail) => {
          const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/api/v1/join/${code}/live`);
          ws.onopen = () => ws.send(JSON.stringify({ type: 'hello' }));
          ws.onmessage = (e) => {
            if (JSON.parse(e.data).type === 'welcome') (ws.close(), ok(e.data));
          };
          setTimeout(() => fail(new Error('no welcome')), 15000);
        }),
      S.code,
    );
    assert.ok(welcome.includes('"section":{"id":"s2"'), "the phone's welcome has the section");
    const presView = await (await fac.request.get(`${server.base}/api/v1/sessions/${S.id}?audience=presenter`)).text();
    const joinInfo = await (await fac.request.get(`${server.base}/api/v1/join/${S.code}`)).text();
    for (const [what, text] of [['a presenter frame', frames.join('\n')], ["the presenter's view", presView], ["a phone's welcome", welcome], ['the join lookup', joinInfo]]) {
      assert.ok(!text.includes('Kirsten'), `${what} holds the presenter notes`);
    }
    assert.ok(!(await pres.locator('body').innerText()).includes('Kirsten'), 'the notes are not on the projector');

    // A word off the cloud: gone from the projector at once, back when shown again.
    await cmd('present', { stage: 'results', activity: S.words });
    const cloudWords = () => pres.evaluate(() => [...document.querySelectorAll('.cloud li')].map((li) => li.firstChild?.textContent?.trim()));
    await until(async () => (await cloudWords()).includes('tillid'), { message: 'tillid in the cloud' });
    await con.locator('[data-wordtools] summary').click();
    await con.getByRole('button', { name: 'Fjern ordet tillid', exact: true }).click();
    await until(async () => !(await cloudWords()).includes('tillid'), { message: 'tillid off the projector' });
    assert.ok((await cloudWords()).includes('nærvær'), 'the other words stay');
    const presAfter = await (await fac.request.get(`${server.base}/api/v1/sessions/${S.id}?audience=presenter`)).json();
    assert.equal(presAfter.activities.find((x) => x.id === S.words).tally.words.tillid, undefined, "the presenter's view has no hidden word");
    await con.getByRole('button', { name: 'Vis ordet tillid igen' }).click();
    await until(async () => (await cloudWords()).includes('tillid'), { message: 'tillid back on the projector' });
    // A blocked word flags a waiting comment in the queue.
    await con.locator('#blocked-words').fill('problemet\nlort');
    await con.getByRole('button', { name: 'Gem blokerede ord' }).click();
    await waitText(con.locator('[data-flag]').first(), /^Blokeret ord$/);

    // Sharing with someone without an account: said in Danish, once.
    await con.locator('#share-email').fill('ukendt@example.dk');
    await con.getByRole('button', { name: 'Del', exact: true }).click();
    const shareMsg = con.locator('.share .alert');
    await waitText(shareMsg, /^Der er ingen facilitator med e-mailen ukendt@example\.dk\. Personen skal have en konto i Pejl, før du kan dele forløbet\.$/);
    // Plurals through Intl.PluralRules: the participant count and "er enig/er enige".
    await waitText(con.locator('#people-h + .big'), /^2\d deltagere$/);

    // The discussion timer, from the console to the projector.
    await con.locator('#timer-min').fill('nul');
    await con.getByRole('button', { name: 'Start nedtælling' }).click();
    await waitText(con.getByRole('alert').filter({ hasText: 'minutter' }), /Skriv et antal minutter mellem 1 og 180\./);
    await con.locator('#timer-min').fill('8');
    await con.getByRole('button', { name: 'Start nedtælling' }).click();
    await waitText(pres.locator('[role="timer"]'), /^Drøft ved bordene – (8:00|7:5\d)$/);
    await waitText(con.locator('[data-console-timer]'), /^Drøft ved bordene: (8:00|7:5\d) tilbage$/);
    await waitText(box.locator('[role="timer"]'), /^Drøft ved bordene – (8:00|7:5\d)$/);
    await con.evaluate(() => document.activeElement?.blur());
    await con.evaluate(() => scrollTo(0, 0));
    await con.screenshot({ path: join(screenshotDir, 'console-preview-1366.png') });
    await con.setViewportSize({ width: 1280, height: 720 });
    await con.evaluate(() => scrollTo(0, 600));
    await con.screenshot({ path: join(screenshotDir, 'console-preview-720p.png') });
    await con.setViewportSize({ width: 320, height: 640 });
    const wide = await con.evaluate(() => document.scrollingElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(wide <= 0, `the console scrolls sideways at 320 px (${wide} px)`);
    await box.scrollIntoViewIfNeeded();
    await con.screenshot({ path: join(screenshotDir, 'console-preview-320.png') });
    const problems = await audit(con, 'console with preview and timer');
    assert.deepEqual(problems, [], problems.join('\n'));
    await con.getByRole('button', { name: 'Stop nedtælling' }).click();
    await until(async () => (await pres.locator('[role="timer"]').count()) === 0, { message: 'timer stopped from the console' });
    await con.close();
  });

  await t.test('a phone: the chosen answer keeps its contrast after a tap; a bar leads to a question that opens', async () => {
    const ph = await newContext(browser, server.base, { viewport: { width: 390, height: 844 }, mobile: true, name: 'phone' });
    ph.setDefaultTimeout(15_000);
    const phone = await ph.newPage();
    await phone.goto(`${server.base}/j/${S.code}`);
    await phone.getByRole('button', { name: 'Deltag' }).click();
    const opt = phone.locator(`#act-${S.scale} button[aria-pressed]`).nth(3);
    await opt.tap();
    await until(async () => (await opt.getAttribute('aria-pressed')) === 'true', { message: 'the tapped answer is chosen' });
    await phone.waitForTimeout(300);
    // WCAG contrast of the chosen answer's text on its own background, as drawn after the tap
    // (a touch screen keeps the tapped element in :hover).
    const contrast = (loc) =>
      loc.evaluate((el) => {
        const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
        const lum = ([r, g, b]) => {
          const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
          return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        let bg = el;
        while (bg && /rgba\(0, 0, 0, 0\)|transparent/.test(getComputedStyle(bg).backgroundColor)) bg = bg.parentElement;
        const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(getComputedStyle(bg ?? document.body).backgroundColor))];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      });
    const c1 = await contrast(opt);
    assert.ok(c1 >= 4.5, `the chosen scale answer has contrast ${c1.toFixed(2)}:1 after a tap`);
    const choice = phone.locator(`#act-${S.choice} button[aria-pressed]`).first();
    await choice.tap();
    await until(async () => (await choice.getAttribute('aria-pressed')) === 'true', { message: 'the tapped option is chosen' });
    await phone.waitForTimeout(300);
    const c2 = await contrast(choice);
    assert.ok(c2 >= 4.5, `the chosen option has contrast ${c2.toFixed(2)}:1 after a tap`);

    // A charter-wide ranking is grouped under the sections' headings, all 37 statements.
    const groups = phone.locator(`#act-${S.rank} [data-rank-group]`);
    assert.ok((await groups.count()) >= 3, 'the ranking has a group per section');
    assert.equal(await groups.first().locator('h4').innerText(), v0.charter.sections.find((x) => x.statements.length).title);
    assert.equal(await phone.locator(`#act-${S.rank} [data-rank-group] button.item`).count(), 37);

    // Voting opens on a question below the fold: a sticky bar says so and jumps to it.
    await phone.evaluate(() => scrollTo(0, 0));
    await cmd('close', { activity: S.words });
    await cmd('open', { activity: S.words });
    const bar = phone.locator('[data-openbar]');
    await waitText(bar, /^Der er åbnet for afstemning Gå til spørgsmålet/);
    await phone.evaluate(() => scrollTo(0, 400));
    await phone.waitForTimeout(200);
    const top = await bar.evaluate((el) => el.getBoundingClientRect().top);
    assert.ok(top >= -1 && top <= 1, `the bar sticks to the top (top ${top})`);
    await phone.screenshot({ path: join(screenshotDir, 'phone-voting-open-bar.png') });
    await bar.getByRole('button').tap();
    await until(
      async () => {
        const y = await phone.locator(`#act-${S.words}`).evaluate((el) => el.getBoundingClientRect().top);
        return y >= 0 && y < 844 * 0.6;
      },
      { message: 'the opened question is in sight' },
    );
    assert.equal(await bar.count(), 0, 'the bar is gone once the question is reached');
    // A long Danish compound is taken; a word over 40 characters is refused with a message, not cut.
    const w41 = 'arbejdsmiljørepræsentantsuppleantvalgets' + 'x';
    const field = phone.locator(`#w-${S.words}-0`);
    await field.fill(w41);
    await phone.locator(`#act-${S.words} button[type="submit"]`).tap();
    await waitText(phone.locator('[data-words-problem]'), /^Et ord må højst være 40 tegn\./);
    assert.equal(await field.inputValue(), w41, 'the word is not cut');

    const h1 = await phone.locator('main h1').evaluate((el) => ({ h: el.getBoundingClientRect().height, lh: parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.3 }));
    assert.ok(h1.h < h1.lh * 1.5, `the session title takes one line (${h1.h}px)`);
    const problems = await audit(phone, 'phone with the open-voting bar');
    await ph.close();
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  await t.test('axe: every stage kind in both languages at 320 px and desktop', async () => {
    const problems = [];
    for (const st of ['lobby', 'section', 'question-choice', 'results-scale', 'results-rank', 'results-words', 'comments', 'end']) {
      const s2 = stages.find((x) => x.name === st);
      await cmd('present', s2.stage);
      await pres.locator(`[data-stage="${s2.stage.stage}"]`).waitFor();
      problems.push(...(await audit(pres, `presenter ${st}`)));
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  assert.deepEqual(fac.foreign, [], 'no requests to other origins');
  assert.deepEqual(fac.errors, [], 'no page errors');
});
