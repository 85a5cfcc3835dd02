// Charters in the console, in real Chromium: the import form shows an example of the
// format; a broken charter is answered with Danish problems and their lines; a valid one is
// imported; a typo is fixed as version 2 with the same statement ids, and a change that
// would remove a statement is refused at its line.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, loggedIn, audit, shoot, textOf, DESKTOP } from './lib.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

const charter = `---
id: teamets-spilleregler
---
# Teamets spilleregler

## Baggrund {.unrated}

- Hvorfor vi har spilleregler.

## Samarbejde

- Vi siger det højt, når vi har brug for hjælp.
- Vi giver hinanden ærlig feedbak.
`;

test('import a charter and fix a typo as a new version', { timeout: 120_000 }, async () => {
  const ctx = await loggedIn(browser, server, { viewport: DESKTOP, name: 'facilitator' });
  const h = await ctx.newPage();
  await h.goto(`${server.base}/host`);
  await h.getByRole('heading', { level: 2, name: 'Nyt forløb' }).waitFor();

  // The example of the format.
  await h.getByText('Se et eksempel på formatet').click();
  await h.getByText('## Baggrund {.unrated}').first().waitFor();

  // A broken charter: two titles and an over-long statement, each at its line, in Danish.
  await h.getByLabel('Indsæt Markdown').fill(`# Et\n\n# To\n\n## Afsnit\n\n- ${'x'.repeat(501)}\n`);
  await h.getByRole('button', { name: 'Indlæs', exact: true }).click();
  const alert = h.getByRole('alert').filter({ hasText: 'Linje 3' });
  await alert.waitFor();
  const text = await textOf(alert);
  assert.match(text, /Linje 3: en titel mere \(den første står i linje 1\)/);
  assert.match(text, /Linje 7: udsagnet er 501 tegn langt; højst 500 tegn er tilladt/);
  assert.deepEqual(await audit(h, 'charter problems'), []);

  // A valid one.
  await h.getByLabel('Indsæt Markdown').fill(charter);
  await h.getByRole('button', { name: 'Indlæs', exact: true }).click();
  await h.getByText('Indlæst: Teamets spilleregler').waitFor();
  assert.equal(await h.getByRole('radio', { name: /Teamets spilleregler/ }).isChecked(), true);
  const v1 = await (await ctx.request.get(`${server.base}/api/v1/charters/teamets-spilleregler`)).json();
  assert.equal(v1.sections[0].unrated, true, 'Baggrund is marked unrated');

  // Fix the typo.
  await h.getByRole('button', { name: 'Ret en tastefejl i det valgte ledelsesgrundlag' }).click();
  const editor = h.getByLabel('Ledelsesgrundlaget (Markdown)');
  await h.waitForFunction(() => document.querySelector('#fix-md')?.value.includes('feedbak'));
  // First a change that removes a statement: refused at the section's line.
  await editor.fill(charter.replace('- Vi siger det højt, når vi har brug for hjælp.\n', ''));
  await h.getByRole('button', { name: 'Gem som ny version' }).click();
  await h.getByRole('alert').filter({ hasText: 'Linje 10' }).waitFor();
  assert.match(await textOf(h.getByRole('alert').filter({ hasText: 'Linje 10' })), /afsnittet "Samarbejde" har 1 udsagn; afsnit 2 \("Samarbejde"\) i ledelsesgrundlaget, der rettes, har 2/);
  await shoot(h, 'host-charter-fix');
  assert.deepEqual(await audit(h, 'charter fix'), []);
  await editor.fill(charter.replace('feedbak', 'feedback'));
  await h.getByRole('button', { name: 'Gem som ny version' }).click();
  await h.getByText('Gemt som version 2 og valgt.').waitFor();
  assert.equal(await h.getByRole('radio', { name: /Teamets spilleregler.*version 2/ }).isChecked(), true);
  const v2 = await (await ctx.request.get(`${server.base}/api/v1/charters/teamets-spilleregler-v2`)).json();
  assert.equal(v2.family, 'teamets-spilleregler');
  assert.deepEqual(
    v2.sections.flatMap((s) => s.statements.map((st) => st.id)),
    v1.sections.flatMap((s) => s.statements.map((st) => st.id)),
    'the same statement ids',
  );
  assert.equal(v2.sections[1].statements[1].text, 'Vi giver hinanden ærlig feedback.');

  // A session on version 1 (made before the fix, say) …
  const old = await ctx.request.post(`${server.base}/api/v1/sessions`, {
    data: { title: 'Spilleregler, version 1', charter_id: 'teamets-spilleregler' },
    headers: { Origin: server.base },
  });
  assert.equal(old.status(), 201);

  // A session on version 2 gets no scale on the unrated Baggrund.
  await h.getByLabel('Navn på forløbet').fill('Spilleregler, version 2');
  await h.getByRole('button', { name: 'Opret forløbet' }).click();
  await h.waitForURL(/\/host\/sessions\/[^/]+$/);
  const id = decodeURIComponent(new URL(h.url()).pathname.split('/').pop());
  const view = await (await ctx.request.get(`${server.base}/api/v1/sessions/${id}`)).json();
  assert.equal(view.session.charter_id, 'teamets-spilleregler-v2');
  assert.deepEqual(view.activities.map((a) => a.id), ['s1-comments', 's2-scale', 's2-comments']);

  // The comparison page offers the charter once, with the sessions on both versions.
  await h.goto(`${server.base}/host/compare`);
  await h.getByRole('heading', { level: 1, name: 'Sammenlign forløb' }).waitFor();
  const charters = h.getByLabel('Ledelsesgrundlag', { exact: true });
  await h.waitForFunction(() => document.querySelectorAll('#cmp-charter option').length > 0);
  assert.deepEqual(await charters.locator('option').allInnerTexts(), ['Teamets spilleregler']);
  await h.getByRole('checkbox', { name: /Spilleregler, version 1/ }).check();
  await h.getByRole('checkbox', { name: /Spilleregler, version 2/ }).check();
  await h.getByRole('button', { name: 'Sammenlign', exact: true }).click();
  await h.getByRole('row', { name: /^Vi giver hinanden ærlig feedback\./ }).waitFor();
  assert.deepEqual(ctx.errors, []);
});
