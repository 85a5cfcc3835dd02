// Prints the gzipped size of each page's critical path (its HTML, the scripts
// and stylesheets it loads, and every module those scripts import statically)
// and fails when the participant page is over budget (GOALS.md, G8):
// everything ≤ 150 KB gzipped, JavaScript ≤ 100 KB gzipped.
// Also fails if any built file names another origin (no CDN, no web fonts).

import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const KB = 1024;
const BUDGET = { index: { total: 150 * KB, js: 100 * KB } };

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const fmt = (n) => `${(n / KB).toFixed(1).padStart(6)} KB`;

function distPath(url) {
  const clean = url.split(/[?#]/)[0];
  return join(dist, clean.startsWith('/') ? clean.slice(1) : clean);
}

/** Every asset a page loads before it can be used: HTML refs plus static JS imports, transitively. */
function criticalPath(page) {
  const htmlFile = join(dist, `${page}.html`);
  const html = readFileSync(htmlFile, 'utf8');
  const files = new Map([[htmlFile, 'html']]);
  const queue = [];
  for (const m of html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)) queue.push(distPath(m[1]));
  for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) queue.push(distPath(m[1]));
  for (const m of html.matchAll(/<link[^>]*href="([^"]+)"[^>]*rel="modulepreload"/g)) queue.push(distPath(m[1]));
  for (const m of html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)) files.set(distPath(m[1]), 'css');
  for (const m of html.matchAll(/<link[^>]*href="([^"]+)"[^>]*rel="stylesheet"/g)) files.set(distPath(m[1]), 'css');
  while (queue.length) {
    const f = queue.shift();
    if (files.has(f)) continue;
    if (!existsSync(f)) throw new Error(`${page}.html refers to a missing file: ${relative(dist, f)}`);
    files.set(f, 'js');
    const src = readFileSync(f, 'utf8');
    // static imports only: `import … from "./x.js"`, `import "./x.js"`, `export … from "./x.js"`
    const re = /(?:^|[;\s}])(?:import|export)\s*(?:[\w*${},\s]+?\s*from\s*)?["']([^"']+\.js)["']/g;
    for (const m of src.matchAll(re)) {
      const spec = m[1];
      const target = spec.startsWith('/') ? distPath(spec) : join(dirname(f), spec);
      queue.push(target);
    }
  }
  let js = 0;
  let css = 0;
  let html0 = 0;
  for (const [f, kind] of files) {
    const n = gz(readFileSync(f));
    if (kind === 'js') js += n;
    else if (kind === 'css') css += n;
    else html0 += n;
  }
  return { files: [...files.keys()].map((f) => posix.normalize(relative(dist, f))), js, css, html: html0, total: js + css + html0 };
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

let failed = false;
console.log('\nCritical path per page (gzipped):');
for (const page of ['index', 'host', 'present']) {
  const r = criticalPath(page);
  console.log(
    `  ${page.padEnd(8)} total ${fmt(r.total)}  js ${fmt(r.js)}  css ${fmt(r.css)}  html ${fmt(r.html)}   (${r.files.length} files)`,
  );
  const b = BUDGET[page];
  if (b) {
    if (r.total > b.total) {
      console.error(`  ✗ ${page}: critical path ${fmt(r.total)} is over the budget of ${fmt(b.total)}`);
      failed = true;
    }
    if (r.js > b.js) {
      console.error(`  ✗ ${page}: JavaScript ${fmt(r.js)} is over the budget of ${fmt(b.js)}`);
      failed = true;
    }
    if (!failed) console.log(`  ✓ participant page within budget (≤ ${fmt(b.total)} total, ≤ ${fmt(b.js)} JavaScript)`);
  }
}

// No other origin may appear in what we ship (URLs in HTML attributes, CSS url(), JS fetch).
const foreign = [];
for (const f of walk(dist)) {
  if (!/\.(html|css|js)$/.test(f)) continue;
  const src = readFileSync(f, 'utf8');
  for (const m of src.matchAll(/(?:src|href)\s*=\s*["'](?:https?:)?\/\/[^"']+["']|url\(\s*["']?(?:https?:)?\/\/[^)]+\)|@import\s+["'](?:https?:)?\/\//g)) {
    foreign.push(`${relative(dist, f)}: ${m[0].slice(0, 80)}`);
  }
}
if (foreign.length) {
  console.error('  ✗ references to another origin:\n    ' + foreign.join('\n    '));
  failed = true;
} else {
  console.log('  ✓ no references to another origin');
}

process.exit(failed ? 1 : 0);
