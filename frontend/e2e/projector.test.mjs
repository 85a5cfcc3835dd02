// The projector shows the room's share, in real Chromium against the real server: with the
// anonymity threshold 5, three leaders' answers put up on the stage show "3 svar –
// resultaterne vises fra 5 svar" and no distribution; no group is named; from five answers
// the distribution shows.
//
// Run: npm run test:e2e (needs ../bin/pejl, or PEJL_BIN=path).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, loggedIn, until } from './lib.mjs';

let server;
let browser;
let fac;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  fac = await loggedIn(browser, server, { viewport: { width: 1280, height: 720 }, name: 'projector' });
});

after(async () => {
  for (const x of [fac, browser]) await x?.close().catch(() => {});
  await server?.stop();
});

test('the projector shows no distribution and no group before five answers', async () => {
  const r = await fac.request.post(`${server.base}/api/v1/sessions`, {
    data: { title: 'Temadag', charter_id: 'allerod-ledelsesgrundlag', groups: [{ label: 'Leder' }, { label: 'Medarbejder' }] },
    headers: { Origin: server.base },
  });
  assert.equal(r.status(), 201, await r.text());
  const s = await r.json();
  const [leder, medarb] = s.groups.map((g) => g.id);

  // The facilitator's commands and the phones run on sockets of one page.
  const page = await fac.newPage();
  await page.goto(`${server.base}/`);
  await page.evaluate((id) => {
    const url = (p) => `${location.origin.replace(/^http/, 'ws')}${p}`;
    window.__open = (path, hello) =>
      new Promise((ok, fail) => {
        const ws = new WebSocket(url(path));
        const waiting = {};
        let n = 0;
        ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', ...hello }));
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          if (m.type === 'welcome') ok((type, fields) => new Promise((res) => {
            const cid = `m${++n}-${Math.random()}`;
            waiting[cid] = res;
            ws.send(JSON.stringify({ type, id: cid, ...fields }));
          }));
          if ((m.type === 'ack' || m.type === 'error') && waiting[m.id]) waiting[m.id](m);
        };
        setTimeout(() => fail(new Error('no welcome')), 10000);
      });
    window.__fac = window.__open(`/api/v1/sessions/${id}/live`, {});
  }, s.id);
  const cmd = async (type, fields) => {
    const res = await page.evaluate(async ([type, fields]) => (await window.__fac)(type, fields), [type, fields]);
    assert.equal(res.type, 'ack', `${type}: ${JSON.stringify(res)}`);
  };
  const phones = async (group, n, value) => {
    const res = await page.evaluate(
      async ([code, group, n, value]) =>
        Promise.all(Array.from({ length: n }, async () => (await window.__open(`/api/v1/join/${code}/live`, { group }))('vote', { activity: 's2-scale', statement: 's2-1', value }))),
      [s.code, group, n, value],
    );
    for (const m of res) assert.equal(m.type, 'ack', JSON.stringify(m));
  };

  await cmd('goto', { section: 's2' });
  await cmd('open', { activity: 's2-scale' });
  const pres = await fac.newPage();
  await pres.goto(`${server.base}/present/${s.id}`);
  await phones(leder, 3, 5);
  await cmd('show_results', { activity: 's2-scale' });

  const stage = pres.locator('main');
  await pres.getByText('3 svar – resultaterne vises fra 5 svar').waitFor();
  assert.equal(await pres.locator('.seg').count(), 0, 'no distribution before 5 answers');
  const text = await stage.innerText();
  assert.ok(!/Leder|Medarbejder/.test(text), `no group on the projector: ${text}`);

  // The facilitator's console meanwhile has the figures.
  const v = await (await fac.request.get(`${server.base}/api/v1/sessions/${s.id}`)).json();
  const a = v.activities.find((x) => x.id === 's2-scale');
  assert.equal(a.tally.statements['s2-1'].counts['5'], 3, 'the console sees the answers');

  await phones(medarb, 2, 1);
  await until(async () => (await pres.locator('.seg').count()) > 0, { message: 'the distribution from 5 answers', timeout: 15_000 });
  assert.equal(await pres.getByText('resultaterne vises fra 5 svar').count(), 0);
  assert.ok(!/Leder|Medarbejder/.test(await stage.innerText()), 'groups of 3 and 2 are never named');

  // The console says next to the setting what the threshold cannot protect against, and
  // refuses to lower it now that answers are in (the server's reason, in Danish).
  const con = await fac.newPage();
  await con.setViewportSize({ width: 1366, height: 768 });
  await con.goto(`${server.base}/host/sessions/${s.id}`);
  const thr = con.getByLabel('Mindste gruppestørrelse for resultater');
  await thr.waitFor();
  assert.equal(await thr.inputValue(), '5');
  await con.getByText('Det kan grænsen ikke beskytte mod: at én person bruger flere rigtige telefoner').waitFor();
  await thr.fill('2');
  await con.getByRole('button', { name: 'Gem', exact: true }).click();
  await con.getByRole('alert').filter({ hasText: 'kan ikke sænkes, når der er kommet svar' }).waitFor();
  const after = await (await fac.request.get(`${server.base}/api/v1/sessions/${s.id}`)).json();
  assert.equal(after.session.anonymity_threshold, 5, 'the threshold stays 5');
  await thr.fill('6');
  await con.getByRole('button', { name: 'Gem', exact: true }).click();
  await con.getByRole('status').filter({ hasText: 'Gemt.' }).waitFor();
  if (process.env.PEJL_SCREENSHOTS) await con.screenshot({ path: '../docs/screenshots/console-threshold-1366.png', fullPage: true });
});
