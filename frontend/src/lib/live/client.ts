// Pejl's own WebSocket client: one per page. It
//
//  - connects, says `hello` first on every connection (with whatever the page's
//    hello() returns: the participant's resume token, name, group);
//  - keeps an outbox of unacknowledged messages (persisted when given a storage
//    key) and resends them with the SAME ids after every `welcome`;
//  - reconnects with full-jitter exponential backoff (500 ms base, 15 s cap),
//    except after a terminal close code (4500–4999);
//  - converges by version: a `beacon` whose version is newer than the last
//    `welcome`/`state`, or whose epoch differs, makes it send `resync`;
//  - sends `{"type":"ping"}` every 25 s and treats a long silence as a dead
//    connection; wake() (page visible again, network back) checks at once.
//
// Everything it touches from the outside world (WebSocket, storage, timers,
// randomness, clock) is injected, so the logic runs in tests without a browser.

import { fullJitter, BACKOFF_BASE_MS, BACKOFF_CAP_MS } from './backoff';
import { closeAction, CLOSE_TOO_LARGE } from './close-codes';
import { randomId } from './ids';
import { Outbox, type OutboxItem } from './outbox';
import type { KV } from './storage';

export interface WSLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WSConstructor = new (url: string) => WSLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (h) => globalThis.clearInterval(h as ReturnType<typeof setInterval>),
  now: () => Date.now(),
};

/** connecting: first try or a retry in flight; open: welcomed; offline: waiting to retry; stopped: terminal. */
export type Status = 'idle' | 'connecting' | 'open' | 'offline' | 'stopped';

export interface StatusInfo {
  status: Status;
  /** Close code that caused offline/stopped, if any. */
  code?: number;
  /** True once a welcome arrived after an earlier connection was lost. */
  reconnected?: boolean;
  /** Retry number (0 for the first reconnect). */
  attempt: number;
  /** Wait before the next retry, when offline. */
  retryInMs?: number;
}

export interface ServerError {
  id?: string;
  code: string;
  message?: string;
}

export type ServerMessage = { type: string; [k: string]: unknown };

export interface LiveOptions {
  url: string;
  WebSocket: WSConstructor;
  /** Fields of the hello message (besides type). Called on every connect. */
  hello?: () => Record<string, unknown>;
  storage?: KV | null;
  /** Persist the outbox under this key (null: in memory only). */
  outboxKey?: string | null;
  timers?: Timers;
  random?: () => number;
  newId?: () => string;
  onMessage?: (msg: ServerMessage) => void;
  onStatus?: (info: StatusInfo) => void;
  /** The server stored a message durably (the ack may carry more, e.g. comment_id). */
  onAck?: (item: OutboxItem, ack: ServerMessage) => void;
  /** A terminal error for a message (item given), or an error without id. */
  onError?: (err: ServerError, item?: OutboxItem) => void;
  /** The epoch changed: the server lost the session's data (never show zeros as real). */
  onEpochChange?: (oldEpoch: unknown, newEpoch: unknown) => void;
  pingMs?: number;
  /** Silence longer than this means the connection is dead. Beacons come every 10 s. */
  idleMs?: number;
  /** After wake(), how long to wait for any frame before reconnecting. */
  wakeCheckMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Give up a connection attempt without welcome after this long. */
  connectTimeoutMs?: number;
  /** Messages sent per flush burst (the server allows bursts of 40). */
  flushBurst?: number;
}

/** Server error codes after which resending the same message is pointless. */
const RETRYABLE = new Set(['unavailable', 'rate_limited']);
export const MAX_FRAME_BYTES = 16 * 1024;
const OPEN = 1;

export class LiveClient {
  private ws: WSLike | null = null;
  private readonly outbox: Outbox;
  private readonly t: Timers;
  private readonly random: () => number;
  private readonly newId: () => string;
  private status: Status = 'idle';
  private attempt = 0;
  private everWelcomed = false;
  private lostSinceWelcome = false;
  private welcomed = false;
  private stopped = false;
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private wakeTimer: unknown = null;
  private flushTimer: unknown = null;
  private connectTimer: unknown = null;
  private lastRecv = 0;
  private lastSentId: string | null = null;
  private inFlight = new Set<string>();

  /** Epoch and version of the newest welcome/state applied. */
  epoch: unknown = undefined;
  version = -1;
  private pendingEpoch: unknown = undefined;
  private resyncAt = -Infinity;

  constructor(private readonly o: LiveOptions) {
    this.t = o.timers ?? realTimers;
    this.random = o.random ?? Math.random;
    this.newId = o.newId ?? (() => randomId());
    this.outbox = new Outbox(o.storage ?? null, o.outboxKey ?? null);
  }

  /** Messages not yet acknowledged, oldest first. */
  pending(): OutboxItem[] {
    return this.outbox.items();
  }

  get currentStatus(): Status {
    return this.status;
  }

  start(): void {
    if (this.ws || this.stopped) return;
    this.connect();
  }

  /** Close for good (page leaves). The outbox stays persisted. */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.drop(1000, 'bye');
    this.setStatus({ status: 'stopped', attempt: this.attempt });
  }

  /**
   * Queue a message that changes something. It gets an id if it has none,
   * goes to the outbox and is sent at once when connected. Returns the id.
   * Throws if the encoded message is larger than the server accepts.
   */
  send(msg: Record<string, unknown> & { type: string }): string {
    const id = typeof msg.id === 'string' && msg.id ? msg.id : this.newId();
    const full = { ...msg, id };
    const bytes = byteLength(JSON.stringify(full));
    if (bytes > MAX_FRAME_BYTES) throw new Error(`message too large (${bytes} bytes)`);
    this.outbox.add({ id, msg: full, at: this.t.now() });
    if (this.canSend()) this.transmit(full);
    return id;
  }

  /** Forget a queued message (for example an answer the user replaced while offline). */
  discard(id: string): void {
    this.outbox.remove(id);
  }

  /**
   * The page became visible again or the network came back. If we think we are
   * connected, prove it with a ping; otherwise reconnect now, not after the backoff.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState === OPEN && this.welcomed) {
      const before = this.lastRecv;
      this.raw({ type: 'ping' });
      this.t.clearTimeout(this.wakeTimer);
      this.wakeTimer = this.t.setTimeout(() => {
        this.wakeTimer = null;
        if (this.lastRecv === before) this.reconnectNow();
      }, this.o.wakeCheckMs ?? 4000);
      return;
    }
    if (this.status === 'offline' || this.status === 'idle') this.reconnectNow();
  }

  /**
   * The device says it has no network: the socket is dead even if it does not
   * know yet. Drop it and wait (with backoff) for wake() on 'online'.
   */
  offline(): void {
    if (this.stopped || !this.ws) return;
    this.drop(1000, 'offline');
    if (this.everWelcomed) this.lostSinceWelcome = true;
    this.scheduleReconnect(1006);
  }

  // --- connection lifecycle ---------------------------------------------------

  private connect(): void {
    this.t.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.welcomed = false;
    this.setStatus({ status: 'connecting', attempt: this.attempt });
    let ws: WSLike;
    try {
      ws = new this.o.WebSocket(this.o.url);
    } catch {
      this.scheduleReconnect(1006);
      return;
    }
    this.ws = ws;
    // A socket that neither opens nor gets a welcome in time (a captive portal,
    // a half-dead Wi-Fi) is given up and retried with backoff.
    this.t.clearTimeout(this.connectTimer);
    this.connectTimer = this.t.setTimeout(() => {
      this.connectTimer = null;
      if (this.ws === ws && !this.welcomed) {
        this.drop(1000, 'timeout');
        this.scheduleReconnect(1006);
      }
    }, this.o.connectTimeoutMs ?? 10_000);
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.lastRecv = this.t.now();
      this.raw({ type: 'hello', ...(this.o.hello ? this.o.hello() : {}) });
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastRecv = this.t.now();
      if (typeof ev.data !== 'string') return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg && typeof msg.type === 'string') this.handle(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.onClosed(ev?.code ?? 1006);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private onClosed(code: number): void {
    this.ws = null;
    this.welcomed = false;
    this.inFlight.clear();
    this.stopTimers();
    if (this.stopped) return;
    if (code === CLOSE_TOO_LARGE && this.lastSentId) {
      // The server refused a frame as too large: do not send it again.
      const item = this.outbox.remove(this.lastSentId);
      if (item) this.o.onError?.({ id: item.id, code: 'too_large', message: 'message too large' }, item);
    }
    if (this.everWelcomed) this.lostSinceWelcome = true;
    if (closeAction(code) === 'stop') {
      this.stopped = true;
      this.clearTimers();
      this.setStatus({ status: 'stopped', code, attempt: this.attempt });
      return;
    }
    this.scheduleReconnect(code);
  }

  private scheduleReconnect(code: number): void {
    const wait = fullJitter(
      this.attempt,
      this.random,
      this.o.backoffBaseMs ?? BACKOFF_BASE_MS,
      this.o.backoffCapMs ?? BACKOFF_CAP_MS,
    );
    this.setStatus({ status: 'offline', code, attempt: this.attempt, retryInMs: wait });
    this.attempt++;
    this.t.clearTimeout(this.retryTimer);
    this.retryTimer = this.t.setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, wait);
  }

  private reconnectNow(): void {
    if (this.stopped) return;
    this.drop(1000, 'reconnect');
    if (this.everWelcomed) this.lostSinceWelcome = true;
    this.attempt = 0;
    this.connect();
  }

  /** Detach and close the current socket without triggering its onclose logic. */
  private drop(code: number, reason: string): void {
    const ws = this.ws;
    this.ws = null;
    this.welcomed = false;
    this.inFlight.clear();
    this.stopTimers();
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onerror = null;
    ws.onclose = null;
    try {
      ws.close(code, reason);
    } catch {
      /* ignore */
    }
  }

  private startPing(): void {
    this.t.clearInterval(this.pingTimer);
    const every = this.o.pingMs ?? 25_000;
    const idle = this.o.idleMs ?? 65_000;
    this.pingTimer = this.t.setInterval(() => {
      if (!this.ws || !this.welcomed) return;
      if (this.t.now() - this.lastRecv > idle) {
        this.reconnectNow();
        return;
      }
      this.raw({ type: 'ping' });
    }, every);
  }

  private stopTimers(): void {
    this.t.clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.t.clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.t.clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private clearTimers(): void {
    this.stopTimers();
    this.t.clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.t.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  // --- messages ---------------------------------------------------------------

  private handle(msg: ServerMessage): void {
    switch (msg.type) {
      case 'welcome': {
        const reconnected = this.lostSinceWelcome;
        const oldEpoch = this.epoch;
        this.welcomed = true;
        this.everWelcomed = true;
        this.lostSinceWelcome = false;
        this.attempt = 0;
        this.t.clearTimeout(this.connectTimer);
        this.connectTimer = null;
        this.epoch = msg.epoch;
        this.version = toNum(msg.version, -1);
        this.pendingEpoch = undefined;
        if (oldEpoch !== undefined && oldEpoch !== msg.epoch) this.o.onEpochChange?.(oldEpoch, msg.epoch);
        this.startPing();
        this.setStatus({ status: 'open', attempt: 0, reconnected });
        this.o.onMessage?.(msg);
        this.flush();
        return;
      }
      case 'state': {
        const v = toNum(msg.version, -1);
        if (this.pendingEpoch !== undefined) {
          // Resync after an epoch change: the version numbering may have restarted.
          const old = this.epoch;
          this.epoch = this.pendingEpoch;
          this.pendingEpoch = undefined;
          this.version = v;
          this.o.onEpochChange?.(old, this.epoch);
        } else if (v < this.version) {
          return; // an older snapshot overtaken by a newer one
        } else {
          this.version = v;
        }
        this.o.onMessage?.(msg);
        return;
      }
      case 'beacon': {
        const v = toNum(msg.version, -1);
        if (this.epoch !== undefined && msg.epoch !== undefined && msg.epoch !== this.epoch) {
          this.pendingEpoch = msg.epoch;
          this.resync(true);
        } else if (v > this.version) {
          this.resync(false);
        }
        this.o.onMessage?.(msg);
        return;
      }
      case 'ack': {
        const id = String(msg.id ?? '');
        this.inFlight.delete(id);
        const item = this.outbox.remove(id);
        if (item) this.o.onAck?.(item, msg);
        return;
      }
      case 'error': {
        const err: ServerError = {
          id: typeof msg.id === 'string' ? msg.id : undefined,
          code: String(msg.code ?? 'error'),
          message: typeof msg.message === 'string' ? msg.message : undefined,
        };
        if (err.id) {
          this.inFlight.delete(err.id);
          if (RETRYABLE.has(err.code)) {
            this.scheduleFlush();
            this.o.onError?.(err, this.outbox.get(err.id));
            return;
          }
          const item = this.outbox.remove(err.id);
          this.o.onError?.(err, item);
          return;
        }
        this.o.onError?.(err);
        return;
      }
      case 'pong':
        return;
      default:
        this.o.onMessage?.(msg);
    }
  }

  /** Asks the server for a fresh state now (a survey's window opened or closed by time). */
  refresh(): void {
    if (this.canSend()) this.resync(true);
  }

  private resync(force: boolean): void {
    const now = this.t.now();
    // One resync in flight is enough; beacons repeat every 10 s anyway.
    if (!force && now - this.resyncAt < 3000) return;
    this.resyncAt = now;
    this.raw({ type: 'resync' });
  }

  private canSend(): boolean {
    return !!this.ws && this.ws.readyState === OPEN && this.welcomed;
  }

  /** Send the whole outbox (in order) with its original ids, in bursts the server's rate limit allows. */
  private flush(): void {
    this.t.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (!this.canSend()) return;
    const burst = this.o.flushBurst ?? 20;
    let sent = 0;
    for (const item of this.outbox.items()) {
      if (this.inFlight.has(item.id)) continue;
      if (sent >= burst) {
        this.flushTimer = this.t.setTimeout(() => this.flush(), 1100);
        return;
      }
      this.transmit(item.msg);
      sent++;
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    const wait = Math.max(1000, fullJitter(this.attempt + 1, this.random));
    this.flushTimer = this.t.setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, wait);
  }

  private transmit(msg: OutboxItem['msg']): void {
    this.inFlight.add(msg.id);
    this.lastSentId = msg.id;
    this.raw(msg);
  }

  private raw(msg: Record<string, unknown>): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return;
    try {
      ws.send(JSON.stringify(msg));
    } catch {
      /* the close event follows */
    }
  }

  private setStatus(info: StatusInfo): void {
    this.status = info.status;
    this.o.onStatus?.(info);
  }
}

function toNum(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

function byteLength(s: string): number {
  if (typeof TextEncoder !== 'undefined') return new TextEncoder().encode(s).length;
  return s.length * 3;
}

/** The ws:// or wss:// URL for a path on this page's origin. */
export function socketURL(path: string, loc: { protocol: string; host: string } = location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${path}`;
}

/** Reconnect at once when the phone wakes up or the network comes back. */
export function bindWake(client: LiveClient, win: Window = window, doc: Document = document): () => void {
  const onVisible = () => {
    if (doc.visibilityState === 'visible') client.wake();
  };
  const onOnline = () => client.wake();
  const onOffline = () => client.offline();
  const onShow = (e: PageTransitionEvent) => {
    if (e.persisted) client.wake();
  };
  doc.addEventListener('visibilitychange', onVisible);
  win.addEventListener('online', onOnline);
  win.addEventListener('offline', onOffline);
  win.addEventListener('focus', onVisible);
  win.addEventListener('pageshow', onShow);
  return () => {
    doc.removeEventListener('visibilitychange', onVisible);
    win.removeEventListener('online', onOnline);
    win.removeEventListener('offline', onOffline);
    win.removeEventListener('focus', onVisible);
    win.removeEventListener('pageshow', onShow);
  };
}
