#!/usr/bin/env node
// A stand-in for the Pejl server, for working on the interface before (or
// without) the Go server: `PEJL_BIN=e2e/mock/pejl-mock npm run test:e2e`, or
// `node e2e/mock/server.mjs` and open http://127.0.0.1:8080/host.
// It speaks the same API (spec + docs/api.md) from memory, reads
// the same environment variables, and serves dist/ with the production CSP.
// It is deliberately simple: one process, no durability, no rate limits.

import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, extname, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '../../dist');
const addr = process.env.PEJL_ADDR || '127.0.0.1:8080';
const [host, port] = [addr.slice(0, addr.lastIndexOf(':')) || '127.0.0.1', Number(addr.slice(addr.lastIndexOf(':') + 1))];
const publicURL = (process.env.PEJL_PUBLIC_URL || `http://${addr}`).replace(/\/$/, '');
const adminEmail = process.env.PEJL_ADMIN_EMAIL || 'admin@example.dk';
const adminPassword = process.env.PEJL_ADMIN_PASSWORD || 'admin';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const rid = (n = 12) => randomBytes(n).toString('base64url');
const now = () => new Date().toISOString();

// --- data -----------------------------------------------------------------------

const builtin = {
  id: 'allerod-ledelsesgrundlag',
  title: 'Ledelsesgrundlag for Allerød Kommune',
  language: 'da',
  intro: '',
  builtin: true,
  sections: [
    { id: 'baggrund', title: 'Baggrund', level: 2, body: 'Allerød Kommune gennemførte 1. januar 2011 en organisationsændring.\n\nLedelsesgrundlaget understøtter en fælles lederidentitet.', statements: [] },
    {
      id: 'vaerdigrundlag', title: 'Værdigrundlag', level: 2, body: 'I Allerød Kommune skaber vi resultater gennem dialog.',
      statements: [{ id: 'respekt', text: 'Respekt' }, { id: 'aabenhed', text: 'Åbenhed' }, { id: 'trovaerdighed', text: 'Troværdighed' }],
    },
    {
      id: 'gensidige', title: 'Gensidige krav og forventninger', level: 2, body: 'Som leder i Allerød kan du derfor forvente:',
      statements: [
        { id: 'g1', text: 'At blive inddraget i beslutninger, der vedrører eget område' },
        { id: 'g2', text: 'At have mulighed for faglig og personlig udvikling' },
      ],
    },
  ],
};
const charters = new Map([[builtin.id, builtin]]);
const users = new Map([['u1', { id: 'u1', email: adminEmail, name: 'Admin', role: 'admin', password: adminPassword }]]);
const cookies = new Map(); // cookie → user id
const sessions = new Map(); // id → session

const DA_LABELS = ['Slet ikke', 'I ringe grad', 'I nogen grad', 'I høj grad', 'I meget høj grad'];
const EN_LABELS = ['Not at all', 'To a small extent', 'To some extent', 'To a large extent', 'To a very large extent'];

function newSession(body, owner) {
  const charter = charters.get(body.charter_id);
  const id = rid(8);
  let code;
  do code = String(100000 + Math.floor(Math.random() * 900000));
  while ([...sessions.values()].some((s) => s.code === code));
  const lang = body.language === 'en' ? 'en' : 'da';
  const s = {
    id, code, title: body.title || charter.title, state: 'lobby', language: lang, charter_id: charter.id,
    current_section: null, groups: body.groups || [], anonymity_threshold: body.anonymity_threshold ?? 5,
    join_url: `${publicURL}/j/${code}`, created_at: now(), owner,
    version: 1, epoch: 'e1', activities: [], votes: new Map(), comments: [], participants: new Map(), seen: new Map(),
    sockets: new Set(),
  };
  let n = 0;
  for (const sec of charter.sections) {
    if (!sec.statements.length) continue;
    s.activities.push({ id: `a${++n}`, kind: 'scale', section: sec.id, prompt: lang === 'da' ? 'Hvor godt lever vi op til det?' : 'How well do we live up to this?', statements: sec.statements.map((x) => x.id), min: 1, max: 5, labels: lang === 'da' ? DA_LABELS : EN_LABELS, state: 'closed', results: 'hidden' });
    s.activities.push({ id: `a${++n}`, kind: 'comments', section: sec.id, prompt: '', state: 'closed', results: 'hidden' });
  }
  sessions.set(id, s);
  return s;
}

const publicSession = (s) => ({ id: s.id, code: s.code, title: s.title, state: s.state, language: s.language, charter_id: s.charter_id, current_section: s.current_section, groups: s.groups, anonymity_threshold: s.anonymity_threshold, join_url: s.join_url, created_at: s.created_at });

function tally(s, a) {
  const votes = [...s.votes.values()].filter((v) => v.activity === a.id);
  if (a.kind === 'scale') {
    const statements = {};
    for (const st of a.statements) {
      const vs = votes.filter((v) => v.statement === st);
      const counts = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
      for (const v of vs) counts[v.value]++;
      const n = vs.length;
      statements[st] = { counts, n, mean: n ? Math.round((vs.reduce((x, v) => x + v.value, 0) / n) * 100) / 100 : null };
    }
    return { statements };
  }
  if (a.kind === 'choice') {
    const options = Object.fromEntries(a.options.map((o) => [o.id, 0]));
    for (const v of votes) for (const o of v.value) options[o]++;
    return { options, n: votes.length };
  }
  if (a.kind === 'rank') {
    const points = {};
    for (const v of votes) v.value.forEach((id, i) => (points[id] = (points[id] || 0) + (a.k - i)));
    return { points, n: votes.length };
  }
  if (a.kind === 'words') {
    const words = {};
    for (const v of votes) for (const w of v.value) words[w.toLowerCase()] = (words[w.toLowerCase()] || 0) + 1;
    return { words, n: votes.length };
  }
  const comments = s.comments.filter((c) => c.activity === a.id).map(commentOut);
  return { comments, n: new Set(s.comments.filter((c) => c.activity === a.id).map((c) => c.participant)).size };
}
const commentOut = (c) => ({ id: c.id, text: c.text, statement: c.statement, activity: c.activity, upvotes: c.upvoters.size, hidden: c.hidden, starred: c.starred, created_at: c.created_at });

function sectionOf(s, id) {
  return charters.get(s.charter_id).sections.find((x) => x.id === id) || null;
}

function snapshot(s, forFacilitator) {
  const section = s.current_section ? sectionOf(s, s.current_section) : null;
  const acts = s.activities.filter((a) => a.section === s.current_section).map((a) => {
    const out = { ...a };
    if (a.results === 'shown') out.tally = participantTally(s, a);
    return out;
  });
  return { id: s.id, title: s.title, state: s.state, language: s.language, groups: s.groups, current_section: s.current_section, section: section && { id: section.id, title: section.title, body: section.body, statements: section.statements }, activities: acts, ...(forFacilitator ? {} : {}) };
}
function participantTally(s, a) {
  const t = tally(s, a);
  if (a.kind === 'comments') t.comments = t.comments.filter((c) => !c.hidden);
  return t;
}
function mine(s, pid) {
  return {
    votes: [...s.votes.values()].filter((v) => v.participant === pid).map((v) => ({ activity: v.activity, statement: v.statement ?? null, value: v.value })),
    comments: s.comments.filter((c) => c.participant === pid).map((c) => ({ id: c.id, activity: c.activity, statement: c.statement, text: c.text })),
  };
}
function presence(s) {
  const groups = {};
  const live = new Set([...s.sockets].filter((c) => c.role === 'participant').map((c) => c.pid));
  for (const pid of live) {
    const g = s.participants.get(pid)?.group;
    if (g) groups[g] = (groups[g] || 0) + 1;
  }
  return { count: live.size, groups };
}

// --- websocket (RFC 6455, text frames only) -----------------------------------------

function wsAccept(req, socket) {
  const key = req.headers['sec-websocket-key'];
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const conn = {
    socket, open: true, onmessage: null, onclose: null,
    send(obj) {
      if (!this.open) return;
      const data = Buffer.from(JSON.stringify(obj));
      let head;
      if (data.length < 126) head = Buffer.from([0x81, data.length]);
      else if (data.length < 65536) { head = Buffer.alloc(4); head[0] = 0x81; head[1] = 126; head.writeUInt16BE(data.length, 2); }
      else { head = Buffer.alloc(10); head[0] = 0x81; head[1] = 127; head.writeBigUInt64BE(BigInt(data.length), 2); }
      socket.write(Buffer.concat([head, data]));
    },
    close(code = 1000) {
      if (!this.open) return;
      const b = Buffer.alloc(4); b[0] = 0x88; b[1] = 2; b.writeUInt16BE(code, 2);
      socket.write(b); socket.end(); this.open = false; this.onclose?.();
    },
  };
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      const op = buf[0] & 0x0f; let len = buf[1] & 0x7f; let off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const masked = buf[1] & 0x80; const mask = masked ? buf.subarray(off, off + 4) : null; if (masked) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len)); buf = buf.subarray(off + len);
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      if (op === 0x8) { conn.close(1000); return; }
      if (op === 0x9) { socket.write(Buffer.concat([Buffer.from([0x8a, payload.length]), payload])); continue; }
      if (op === 0x1) { try { conn.onmessage?.(JSON.parse(payload.toString('utf8'))); } catch { conn.send({ type: 'error', code: 'bad_message', message: 'bad json' }); } }
    }
  });
  socket.on('close', () => { if (conn.open) { conn.open = false; conn.onclose?.(); } });
  socket.on('error', () => {});
  return conn;
}

function broadcastState(s) {
  s.version++;
  for (const c of s.sockets) {
    if (c.role === 'facilitator') c.send({ type: 'state', version: s.version, session: snapshot(s, true), activities: s.activities });
    else c.send({ type: 'state', version: s.version, session: snapshot(s, false) });
  }
}
function broadcastTally(s, a) {
  for (const c of s.sockets) {
    if (c.role === 'facilitator') c.send({ type: 'tally', activity: a.id, version: s.version, results: tally(s, a) });
    else if (a.results === 'shown') c.send({ type: 'tally', activity: a.id, version: s.version, results: participantTally(s, a) });
  }
}
function broadcastPresence(s) {
  const p = presence(s);
  for (const c of s.sockets) if (c.role === 'facilitator') c.send({ type: 'presence', ...p });
}
function broadcastComment(s, cm) {
  const a = s.activities.find((x) => x.id === cm.activity);
  for (const c of s.sockets) {
    if (c.role === 'facilitator') c.send({ type: 'comment', comment: commentOut(cm) });
    else if (cm.hidden) c.send({ type: 'comment', comment: { id: cm.id, hidden: true } });
    else if (a.results === 'shown' || cm.participant === c.pid) c.send({ type: 'comment', comment: { ...commentOut(cm), mine: cm.participant === c.pid } });
  }
}

function handleSocket(s, conn, role, ctx) {
  conn.role = role;
  let helloed = false;
  const seen = role === 'participant' ? null : new Map();
  conn.onclose = () => { s.sockets.delete(conn); broadcastPresence(s); };
  const beacon = setInterval(() => conn.send({ type: 'beacon', epoch: s.epoch, version: s.version }), 10000);
  const prevClose = conn.onclose;
  conn.onclose = () => { clearInterval(beacon); prevClose(); };
  conn.onmessage = (m) => {
    if (!helloed) {
      if (m.type !== 'hello') return conn.close(4003);
      helloed = true;
      if (role === 'participant') {
        let pid = m.participant && s.participants.has(m.participant) ? m.participant : null;
        if (!pid) { pid = rid(16); s.participants.set(pid, { group: s.groups.some((g) => g.id === m.group) ? m.group : null, name: m.name || null }); }
        conn.pid = pid;
        s.sockets.add(conn);
        conn.send({ type: 'welcome', participant: pid, epoch: s.epoch, version: s.version, session: snapshot(s, false), mine: mine(s, pid) });
      } else {
        s.sockets.add(conn);
        conn.send({ type: 'welcome', epoch: s.epoch, version: s.version, session: snapshot(s, true), activities: s.activities.map((a) => ({ ...a, tally: tally(s, a) })), presence: presence(s), comments: s.comments.map(commentOut) });
      }
      broadcastPresence(s);
      return;
    }
    if (m.type === 'ping') return conn.send({ type: 'pong' });
    if (m.type === 'resync') return conn.send({ type: 'state', version: s.version, session: snapshot(s, role !== 'participant'), ...(role === 'participant' ? { mine: mine(s, conn.pid) } : { activities: s.activities }) });
    if (typeof m.id !== 'string') return conn.send({ type: 'error', code: 'bad_message', message: 'id required' });
    const seenMap = role === 'participant' ? (s.seen.get(conn.pid) || s.seen.set(conn.pid, new Map()).get(conn.pid)) : seen;
    if (seenMap.has(m.id)) return conn.send({ type: 'ack', id: m.id });
    const err = (code, message) => conn.send({ type: 'error', id: m.id, code, message });
    const ok = () => { seenMap.set(m.id, true); conn.send({ type: 'ack', id: m.id }); };
    const act = s.activities.find((a) => a.id === m.activity);
    if (role === 'participant') {
      if (s.state === 'ended') return err('session_ended', 'ended');
      if (m.type === 'vote') {
        if (!act) return err('unknown_activity', 'unknown activity');
        if (act.state !== 'open') return err('activity_closed', 'closed');
        const key = `${conn.pid}|${act.id}|${m.statement ?? ''}`;
        s.votes.set(key, { participant: conn.pid, activity: act.id, statement: m.statement ?? null, value: m.value });
        ok(); broadcastTally(s, act); return;
      }
      if (m.type === 'comment') {
        if (!act) return err('unknown_activity', 'unknown activity');
        if (act.state !== 'open') return err('activity_closed', 'closed');
        const cm = { id: rid(8), activity: act.id, statement: m.statement ?? null, text: String(m.text), participant: conn.pid, upvoters: new Set(), hidden: false, starred: false, created_at: now() };
        s.comments.push(cm); ok(); broadcastComment(s, cm); broadcastTally(s, act); return;
      }
      if (m.type === 'upvote') {
        const cm = s.comments.find((c) => c.id === m.comment);
        if (!cm) return err('bad_message', 'no such comment');
        cm.upvoters.add(conn.pid); ok(); broadcastComment(s, cm); return;
      }
      return err('forbidden', 'not allowed');
    }
    switch (m.type) {
      case 'goto': s.current_section = m.section; s.state = 'live'; ok(); broadcastState(s); return;
      case 'open': case 'close': if (!act) return err('unknown_activity', 'x'); act.state = m.type === 'open' ? 'open' : 'closed'; ok(); broadcastState(s); return;
      case 'show_results': case 'hide_results': if (!act) return err('unknown_activity', 'x'); act.results = m.type === 'show_results' ? 'shown' : 'hidden'; ok(); broadcastState(s); return;
      case 'moderate': {
        const cm = s.comments.find((c) => c.id === m.comment);
        if (!cm) return err('bad_message', 'no such comment');
        if (m.action === 'hide') cm.hidden = true; else if (m.action === 'show') cm.hidden = false; else if (m.action === 'star') cm.starred = true;
        ok(); broadcastComment(s, cm); return;
      }
      case 'end':
        s.state = 'ended'; for (const a of s.activities) a.state = 'closed'; ok(); broadcastState(s);
        for (const c of [...s.sockets]) if (c.role === 'participant') c.close(4501);
        return;
    }
    err('bad_message', 'unknown type');
  };
}

// --- http -----------------------------------------------------------------------

function send(res, status, body, headers = {}) {
  const data = body === undefined ? '' : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': typeof body === 'object' && !Buffer.isBuffer(body) ? 'application/json' : 'text/plain; charset=utf-8', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(data);
}
const fail = (res, status, code, message, details) => send(res, status, { error: { code, message, ...(details ? { details } : {}) } });

function userOf(req) {
  const m = /pejl_session=([^;]+)/.exec(req.headers.cookie || '');
  return m && cookies.has(m[1]) ? users.get(cookies.get(m[1])) : null;
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

function parseMarkdown(md) {
  const details = [];
  const lines = md.split('\n');
  let title = null;
  const sections = [];
  let cur = null;
  lines.forEach((line, i) => {
    if (/^# /.test(line)) { if (title) details.push({ line: i + 1, message: 'a charter has exactly one # title; this is a second one' }); else title = line.slice(2).trim(); }
    else if (/^#{2,3} ?/.test(line)) { const t = line.replace(/^#+/, '').trim(); if (!t) details.push({ line: i + 1, message: 'empty section title' }); cur = { id: `s${sections.length + 1}`, title: t, level: line.startsWith('###') ? 3 : 2, body: '', statements: [] }; sections.push(cur); }
    else if (/^[-*+•] /.test(line) && cur) cur.statements.push({ id: `${cur.id}-${cur.statements.length + 1}`, text: line.slice(2).trim() });
    else if (cur && line.trim()) cur.body += (cur.body ? '\n' : '') + line.trim();
  });
  if (!title) details.push({ line: 1, message: 'the charter has no # title' });
  return { title, sections, details };
}

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };
function serveFile(res, file) {
  if (!existsSync(file) || !statSync(file).isFile()) return send(res, 404, 'not found');
  send(res, 200, readFileSync(file), { 'Content-Type': MIME[extname(file)] || 'application/octet-stream' });
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, publicURL);
  const p = url.pathname;
  const user = userOf(req);
  try {
    if (p === '/healthz' || p === '/readyz') return send(res, 200, 'ok');
    if (p.startsWith('/assets/')) return serveFile(res, join(dist, p));
    if (p === '/' || p.startsWith('/j/')) return serveFile(res, join(dist, 'index.html'));
    if (p === '/host' || p.startsWith('/host/')) return serveFile(res, join(dist, 'host.html'));
    if (p.startsWith('/present/')) return serveFile(res, join(dist, 'present.html'));
    if (!p.startsWith('/api/')) return send(res, 404, 'not found');

    let m;
    if (p === '/api/v1/config') return send(res, 200, { version: 'mock', retention_days: 180, languages: ['da', 'en'] });
    if (p === '/api/v1/auth/login' && req.method === 'POST') {
      const b = JSON.parse((await readBody(req)) || '{}');
      const u = [...users.values()].find((x) => x.email === b.email && x.password === b.password);
      if (!u) return fail(res, 401, 'invalid_credentials', 'wrong email or password');
      const c = rid(24); cookies.set(c, u.id);
      return send(res, 200, { user: { id: u.id, email: u.email, name: u.name, role: u.role } }, { 'Set-Cookie': `pejl_session=${c}; Path=/; HttpOnly; SameSite=Lax` });
    }
    if (p === '/api/v1/auth/logout') return send(res, 204);
    if ((m = /^\/api\/v1\/join\/(\d+)$/.exec(p))) {
      const s = [...sessions.values()].find((x) => x.code === m[1] && x.state !== 'ended');
      if (!s) return fail(res, 404, 'unknown_code', 'unknown code');
      return send(res, 200, { session_id: s.id, title: s.title, state: s.state, language: s.language, groups: s.groups, join_url: s.join_url, retention_days: 180 });
    }
    if (!user) return fail(res, 401, 'unauthenticated', 'log in');
    if (p === '/api/v1/auth/me') return send(res, 200, { user: { id: user.id, email: user.email, name: user.name, role: user.role } });
    if (p === '/api/v1/charters' && req.method === 'GET') return send(res, 200, { charters: [...charters.values()].map((c) => ({ id: c.id, title: c.title, language: c.language, sections: c.sections.length, statements: c.sections.reduce((n, s) => n + s.statements.length, 0), builtin: !!c.builtin })) });
    if (p === '/api/v1/charters' && req.method === 'POST') {
      const md = await readBody(req);
      const r = parseMarkdown(md);
      if (r.details.length) return fail(res, 422, 'invalid_charter', 'the charter has problems', r.details);
      const c = { id: rid(6), title: r.title, language: 'da', intro: '', sections: r.sections };
      charters.set(c.id, c);
      return send(res, 201, c);
    }
    if (p === '/api/v1/sessions' && req.method === 'POST') {
      const b = JSON.parse((await readBody(req)) || '{}');
      if (!charters.has(b.charter_id)) return fail(res, 400, 'bad_request', 'unknown charter');
      return send(res, 201, publicSession(newSession(b, user.id)));
    }
    if (p === '/api/v1/sessions') return send(res, 200, { sessions: [...sessions.values()].map(publicSession) });
    if ((m = /^\/api\/v1\/sessions\/([^/]+)(\/.*)?$/.exec(p))) {
      const s = sessions.get(m[1]);
      if (!s) return fail(res, 404, 'not_found', 'no such session');
      const rest = m[2] || '';
      if (rest === '' && req.method === 'DELETE') { for (const c of s.sockets) c.close(4500); sessions.delete(s.id); return send(res, 204); }
      if (rest === '') return send(res, 200, { session: publicSession(s), charter: charters.get(s.charter_id), activities: s.activities.map((a) => ({ ...a, tally: tally(s, a) })), participants: presence(s) });
      if (rest === '/qr.svg') return send(res, 200, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#fff"/><rect x="1" y="1" width="3" height="3"/><rect x="6" y="1" width="3" height="3"/><rect x="1" y="6" width="3" height="3"/><rect x="5" y="5" width="1" height="1"/></svg>`, { 'Content-Type': 'image/svg+xml' });
      if (rest === '/activities' && req.method === 'POST') {
        const b = JSON.parse((await readBody(req)) || '{}');
        const a = { id: `a${s.activities.length + 1}-${rid(3)}`, kind: b.kind, section: b.section, prompt: b.prompt, state: 'closed', results: 'hidden' };
        if (b.kind === 'choice') { a.options = (b.options || []).map((o, i) => ({ id: o.id || `o${i + 1}`, label: o.label })); a.max_choices = b.max_choices || 1; }
        if (b.kind === 'rank') { a.k = b.k || 3; a.statements = b.scope === 'charter' ? charters.get(s.charter_id).sections.flatMap((x) => x.statements.map((y) => y.id)) : sectionOf(s, b.section).statements.map((y) => y.id); a.items = charters.get(s.charter_id).sections.flatMap((x) => x.statements).filter((st) => a.statements.includes(st.id)); }
        s.activities.push(a); broadcastState(s);
        return send(res, 201, a);
      }
      if (rest.startsWith('/export/')) return send(res, 200, 'mock export\n');
    }
    return fail(res, 404, 'not_found', 'no such route');
  } catch (e) {
    return fail(res, 500, 'internal', String(e));
  }
});

server.on('upgrade', (req, socket) => {
  const url = new URL(req.url, publicURL);
  let m;
  if ((m = /^\/api\/v1\/join\/(\d+)\/live$/.exec(url.pathname))) {
    const s = [...sessions.values()].find((x) => x.code === m[1]);
    if (!s) { socket.end('HTTP/1.1 404 Not Found\r\n\r\n'); return; }
    return handleSocket(s, wsAccept(req, socket), 'participant');
  }
  if ((m = /^\/api\/v1\/sessions\/([^/]+)\/live$/.exec(url.pathname))) {
    const s = sessions.get(m[1]);
    if (!s || !userOf(req)) { socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n'); return; }
    return handleSocket(s, wsAccept(req, socket), 'facilitator');
  }
  socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
});

server.listen(port, host, () => console.log(`pejl mock listening on ${publicURL}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
