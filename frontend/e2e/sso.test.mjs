// Single sign-on in real Chromium: the server is configured for OpenID Connect against a
// real OpenID provider (internal/sso/ssotest/testop, built here); the login page offers
// "Log ind med Microsoft", the provider's form logs Mette in and she lands in the console as
// an admin (the roles claim); Eve, from a domain that is not allowed, comes back to the login
// page with the reason in Danish and is not logged in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startServer, launchBrowser, newContext, loggedIn, freePort, frontendDir, audit, shoot, DESKTOP, SMALL_PHONE } from './lib.mjs';

let server;
let browser;
let op;
let opDir;

async function startProvider(redirect) {
  opDir = mkdtempSync(join(tmpdir(), 'pejl-testop-'));
  const bin = join(opDir, 'testop');
  execFileSync('go', ['build', '-o', bin, './internal/sso/ssotest/testop'], {
    cwd: resolve(frontendDir, '..'),
    env: { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN || 'go1.26.10' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const proc = spawn(bin, ['-redirect', redirect], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((ok, fail) => {
    const rl = createInterface({ input: proc.stdout });
    rl.once('line', ok);
    proc.once('exit', (code) => fail(new Error(`testop exited with ${code}`)));
  });
  return { proc, ...JSON.parse(line) };
}

before(async () => {
  const port = await freePort();
  op = await startProvider(`http://127.0.0.1:${port}/api/v1/auth/oidc/callback`);
  server = await startServer({
    port,
    env: {
      PEJL_OIDC_ISSUER: op.issuer,
      PEJL_OIDC_CLIENT_ID: op.client_id,
      PEJL_OIDC_CLIENT_SECRET: op.client_secret,
      PEJL_OIDC_ALLOWED_DOMAINS: 'kommune.test',
      PEJL_OIDC_ADMIN_CLAIM: 'roles=Pejl.Admin',
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
  op?.proc.kill('SIGTERM');
  if (opDir) rmSync(opDir, { recursive: true, force: true });
});

async function providerLogin(page, username, password) {
  await page.goto(`${server.base}/host`);
  const button = page.getByRole('link', { name: 'Log ind med Microsoft' });
  await button.waitFor();
  await button.click();
  await page.waitForURL((u) => u.href.startsWith(op.issuer));
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => u.href.startsWith(server.base));
}

test('single sign-on through the browser', { timeout: 120_000 }, async () => {
  // The login page offers single sign-on above the password form; it passes axe.
  const look = await newContext(browser, server.base, { viewport: DESKTOP, name: 'look' });
  const p = await look.newPage();
  await p.goto(`${server.base}/host`);
  await p.getByRole('link', { name: 'Log ind med Microsoft' }).waitFor();
  await p.getByText('eller med e-mail og adgangskode').waitFor();
  assert.deepEqual(await audit(p, 'login with sso'), []);
  await shoot(p, 'host-login-sso');
  await look.close();

  // Mette logs in at the provider and lands in the console, an admin.
  const ctx = await newContext(browser, server.base, { viewport: DESKTOP, name: 'mette' });
  ctx.setDefaultTimeout(15_000);
  const h = await ctx.newPage();
  await providerLogin(h, 'mette', 'mette-pw');
  await h.getByRole('link', { name: 'Konto' }).waitFor();
  const me = await (await ctx.request.get(`${server.base}/api/v1/auth/me`)).json();
  assert.equal(me.user.email, 'mette@kommune.test');
  assert.equal(me.user.role, 'admin');
  assert.equal(me.user.sso, true);
  // Her account page: no password to change (she has none), and the list marks her login.
  await h.getByRole('link', { name: 'Konto' }).click();
  await h.getByRole('heading', { level: 2, name: 'Sådan logger du ind' }).waitFor();
  assert.equal(await h.getByLabel('Nuværende adgangskode').count(), 0);
  await h.getByRole('listitem').filter({ hasText: 'mette@kommune.test' }).getByText('organisationens login').waitFor();
  // The only other origin the browser spoke to is the provider.
  assert.deepEqual(ctx.foreign.filter((u) => !u.startsWith(op.issuer + '/')), []);
  assert.deepEqual(ctx.errors, []);
  await ctx.close();

  // Eve's domain is not allowed: back on the login page, told why, not logged in.
  const ectx = await newContext(browser, server.base, { viewport: SMALL_PHONE, mobile: true, name: 'eve' });
  ectx.setDefaultTimeout(15_000);
  const e = await ectx.newPage();
  await providerLogin(e, 'eve', 'eve-pw');
  await e.getByRole('alert').filter({ hasText: 'e-mail-domænet er ikke tilladt' }).waitFor();
  assert.ok(!new URL(e.url()).search.includes('sso_error'), 'the reason is taken off the address');
  assert.equal((await ectx.request.get(`${server.base}/api/v1/auth/me`)).status(), 401);
  await shoot(e, 'host-login-sso-refused');
  assert.deepEqual(await audit(e, 'login refused'), []);
  const admin = await loggedIn(browser, server);
  const users = await (await admin.request.get(`${server.base}/api/v1/users`)).json();
  await admin.close();
  assert.ok(!users.users.some((u) => u.email === 'eve@elsewhere.test'), 'no account for Eve');
  await ectx.close();
});
