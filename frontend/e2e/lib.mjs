// Helpers for the end-to-end tests: start the real server binary on a free
// port, drive Debian's Chromium with playwright-core (never a downloaded
// browser), guard against requests to other origins and CSP violations, run
// axe-core, take screenshots.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, createWriteStream, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

export const frontendDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Screenshots go to docs/screenshots/ when PEJL_SCREENSHOTS=1 (make screenshots); otherwise
// to a folder under test-results/, so that a plain test run leaves the tree as it was.
export const screenshotDir = process.env.PEJL_SCREENSHOTS === '1'
  ? resolve(frontendDir, '../docs/screenshots')
  : resolve(frontendDir, 'test-results/screenshots');
const axeSource = readFileSync(join(frontendDir, 'node_modules/axe-core/axe.min.js'), 'utf8');

export const PHONE = { width: 390, height: 844 };
export const SMALL_PHONE = { width: 320, height: 640 };
export const DESKTOP = { width: 1280, height: 800 };

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

export async function until(fn, { timeout = 10_000, interval = 100, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Start PEJL_BIN (default ../bin/pejl) on a free loopback port with a temporary data dir. */
/** Start the server; `port` and `env` (more environment variables) are optional. */
export async function startServer({ port: chosen, env: extra = {} } = {}) {
  const bin = resolve(frontendDir, process.env.PEJL_BIN || '../bin/pejl');
  if (!existsSync(bin)) throw new Error(`server binary not found at ${bin}: run "make build" in the repository root, or set PEJL_BIN`);
  const port = chosen ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'pejl-e2e-'));
  const password = randomBytes(12).toString('base64url');
  const logFile = join(dataDir, 'server.log');
  const log = createWriteStream(logFile);
  const env = {
    ...process.env,
    PEJL_ADDR: `127.0.0.1:${port}`,
    PEJL_PUBLIC_URL: base,
    PEJL_DATA_DIR: join(dataDir, 'data'),
    PEJL_ADMIN_EMAIL: 'admin@example.dk',
    PEJL_ADMIN_PASSWORD: password,
    ...extra,
  };
  delete env.PEJL_REDIS_URL;
  mkdirSync(env.PEJL_DATA_DIR, { recursive: true });
  const proc = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  let exited = null;
  proc.on('exit', (code, sig) => (exited = { code, sig }));
  try {
    await until(
      async () => {
        if (exited) throw new Error(`server exited early (${JSON.stringify(exited)}): ${readFileSync(logFile, 'utf8').slice(-2000)}`);
        const r = await fetch(`${base}/readyz`).catch(() => null);
        return r?.status === 200;
      },
      { timeout: 30_000, interval: 150, message: `${base}/readyz` },
    );
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    base,
    email: 'admin@example.dk',
    password,
    logFile,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        await until(() => exited, { timeout: 15_000, message: 'server exit' }).catch(() => proc.kill('SIGKILL'));
      }
      log.end();
      if (!process.env.PEJL_E2E_KEEP) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A browser context that records every request to another origin and every
 * CSP violation, for the test to assert none happened.
 */
export async function newContext(browser, base, { viewport = DESKTOP, mobile = false, name = 'ctx' } = {}) {
  const ctx = await browser.newContext({
    viewport,
    isMobile: mobile,
    hasTouch: mobile,
    locale: 'da-DK',
    deviceScaleFactor: 1,
  });
  const origin = new URL(base).origin;
  const wsOrigin = origin.replace(/^http/, 'ws');
  ctx.foreign = [];
  ctx.csp = [];
  ctx.errors = [];
  ctx.label = name;
  await ctx.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  ctx.on('request', (req) => {
    const u = req.url();
    if (u.startsWith('data:') || u.startsWith('blob:') || u.startsWith('about:')) return;
    if (!u.startsWith(origin + '/') && u !== origin) ctx.foreign.push(u);
  });
  ctx.on('page', (page) => watchPage(ctx, page, wsOrigin));
  return ctx;
}

/** A browser context (newContext) logged in as the server's facilitator. */
export async function loggedIn(browser, server, opts) {
  const ctx = await newContext(browser, server.base, opts);
  ctx.setDefaultTimeout(15_000);
  const r = await ctx.request.post(`${server.base}/api/v1/auth/login`, { data: { email: server.email, password: server.password }, headers: { Origin: server.base } });
  if (r.status() !== 200) throw new Error(`login: ${r.status()} ${await r.text()}`);
  return ctx;
}

function watchPage(ctx, page, wsOrigin) {
  page.on('websocket', (ws) => {
    if (!ws.url().startsWith(wsOrigin + '/')) ctx.foreign.push(ws.url());
  });
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy/i.test(text)) ctx.csp.push(text);
  });
  page.on('pageerror', (err) => ctx.errors.push(`${ctx.label}: ${err.message}`));
}

export async function cspViolations(page) {
  return page.evaluate(() => window.__csp ?? []).catch(() => []);
}

/** Switch the interface language with the visible switch (no reload). */
export async function setLang(page, lang) {
  const cur = await page.evaluate(() => document.documentElement.lang);
  if (cur === lang) return;
  // The presenter screen has no language button: L switches it.
  if (await page.locator('button.lang').count()) await page.locator('button.lang').first().click();
  else await page.keyboard.press('l');
  await until(async () => (await page.evaluate(() => document.documentElement.lang)) === lang, { message: `lang=${lang}` });
}

async function runAxe(page) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!has) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} :: ${n.failureSummary?.split('\n').slice(0, 3).join(' | ')}`),
    }));
  });
}

/**
 * axe-core on the page as it is now, in Danish and English, at 320 px and 1280 px.
 * Returns the problems found (empty when clean); restores language and size.
 */
export async function audit(page, name) {
  const size = page.viewportSize();
  const lang0 = await page.evaluate(() => document.documentElement.lang);
  const problems = [];
  for (const vp of [SMALL_PHONE, DESKTOP]) {
    await page.setViewportSize(vp);
    for (const lang of ['da', 'en']) {
      await setLang(page, lang);
      await page.waitForTimeout(50);
      const violations = await runAxe(page);
      for (const v of violations) problems.push(`${name} [${lang} ${vp.width}px] ${v.id} (${v.impact}): ${v.help}\n      ${v.nodes.join('\n      ')}`);
    }
  }
  await setLang(page, lang0 === 'en' ? 'en' : 'da');
  await page.setViewportSize(size);
  return problems;
}

/** Screenshots of the page at phone and desktop width into docs/screenshots/. */
export async function shoot(page, name, { fullPage = true } = {}) {
  mkdirSync(screenshotDir, { recursive: true });
  const size = page.viewportSize();
  for (const [label, vp] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(120);
    await page.screenshot({ path: join(screenshotDir, `${name}-${label}.png`), fullPage, animations: 'disabled' });
  }
  await page.setViewportSize(size);
}

/** The rendered text (innerText: table cells and blocks separated), whitespace collapsed. */
export function textOf(locator) {
  return locator.innerText({ timeout: 2000 }).then((s) => (s ?? '').replace(/\s+/g, ' ').trim());
}

export async function waitText(locator, re, opts = {}) {
  return until(async () => re.test(await textOf(locator)), { message: `${re} in ${locator}`, ...opts });
}

/**
 * Steps of one long test that depend on each other: after a failed step the rest are
 * skipped. state.failed says whether one failed (for printing the server log).
 */
export function stepper(t, state) {
  return (name, fn) =>
    t.test(name, async (st) => {
      if (state.failed) return st.skip('an earlier step failed');
      try {
        await fn();
      } catch (e) {
        state.failed = true;
        throw e;
      }
    });
}
