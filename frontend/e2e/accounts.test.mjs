// Accounts in the interface, in real Chromium against the real server: the admin creates a
// facilitator, resets the password, deactivates and reactivates the account; the
// facilitator changes their own password and finds colleagues offered when sharing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newContext, until, textOf, DESKTOP } from './lib.mjs';

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

async function login(page, email, password) {
  await page.goto(`${server.base}/host`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Adgangskode').fill(password);
  await page.getByRole('button', { name: 'Log ind' }).click();
}

test('accounts in the interface', { timeout: 120_000 }, async () => {
  const ctx = await newContext(browser, server.base, { viewport: DESKTOP, name: 'admin' });
  ctx.setDefaultTimeout(10_000);
  const h = await ctx.newPage();
  await login(h, server.email, server.password);
  await h.getByRole('link', { name: 'Konto' }).click();
  await h.getByRole('heading', { level: 1, name: 'Konto og facilitatorer' }).waitFor();
  await h.getByLabel('E-mail').fill('mette@example.dk');
  await h.getByLabel('Navn', { exact: true }).fill('Mette Holm');
  await h.getByLabel('Første adgangskode (mindst 10 tegn)').fill('first-long-secret');
  await h.getByRole('button', { name: 'Opret', exact: true }).click();
  await h.getByText('mette@example.dk er oprettet.').waitFor();
  const row = h.getByRole('listitem').filter({ hasText: 'mette@example.dk' });
  await row.getByRole('button', { name: /^Ny adgangskode/ }).click();
  await row.getByLabel('Ny adgangskode til mette@example.dk').fill('second-long-secret');
  await row.getByRole('button', { name: 'Gem' }).click();
  await h.getByText('mette@example.dk har fået en ny adgangskode.').waitFor();
  await row.getByRole('button', { name: /^Deaktivér/ }).click();
  await h.getByText('mette@example.dk er deaktiveret og logget ud.').waitFor();
  await until(async () => /Deaktiveret/.test(await textOf(row)), { message: 'marked deactivated' });

  const other = await newContext(browser, server.base, { viewport: DESKTOP, name: 'mette' });
  other.setDefaultTimeout(10_000);
  const m = await other.newPage();
  await login(m, 'mette@example.dk', 'second-long-secret');
  await m.getByRole('alert').waitFor(); // deactivated: no way in
  await row.getByRole('button', { name: /^Genaktivér/ }).click();
  await h.getByText('mette@example.dk er genaktiveret.').waitFor();
  await login(m, 'mette@example.dk', 'second-long-secret');
  await m.getByRole('heading', { name: 'Dine forløb' }).waitFor();

  // Mette changes her own password: a wrong current one is refused in Danish.
  await m.getByRole('link', { name: 'Konto' }).click();
  await m.getByLabel('Nuværende adgangskode').fill('not-my-password');
  await m.getByLabel('Ny adgangskode (mindst 10 tegn)').fill('third-long-secret');
  await m.getByRole('button', { name: 'Skift adgangskode' }).click();
  await m.getByText('Den nuværende adgangskode er forkert.').waitFor();
  await m.getByLabel('Nuværende adgangskode').fill('second-long-secret');
  await m.getByRole('button', { name: 'Skift adgangskode' }).click();
  await m.getByText('Din adgangskode er skiftet.', { exact: false }).waitFor();
  assert.equal(await m.getByRole('heading', { name: 'Facilitatorer', exact: true }).count(), 0, 'a facilitator does not see the account list');

  // Sharing offers the known facilitators.
  const r = await other.request.get(`${server.base}/api/v1/facilitators`);
  assert.deepEqual((await r.json()).facilitators.map((f) => f.email), [server.email]);
  assert.equal(ctx.errors.length + other.errors.length, 0, [...ctx.errors, ...other.errors].join('\n'));
  await ctx.close();
  await other.close();
});
