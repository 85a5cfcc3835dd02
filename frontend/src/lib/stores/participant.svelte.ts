// The participant's live session: the snapshot from the server, this person's
// answers (saved, or still in the outbox), receipts per answer, and comments.
import { LiveClient, bindWake, socketURL, type StatusInfo, type ServerMessage, type WSConstructor } from '../live/client';
import type { OutboxItem } from '../live/outbox';
import { browserStorage, readJSON, writeJSON, type KV } from '../live/storage';
import type { Activity, Comment, Mine, Results, Snapshot } from '../api/types';
import { errorText, t } from '../i18n/index.svelte';

export type ReceiptStatus = 'sending' | 'saved' | 'failed';
export interface Receipt {
  status: ReceiptStatus;
  id?: string;
  error?: string;
}

export interface LocalComment {
  id: string; // the message id
  activity: string;
  statement?: string | null;
  text: string;
  status: ReceiptStatus;
  error?: string;
  /** The server's id for it, from the ack's comment_id. */
  serverId?: string;
}

export const voteKey = (activity: string, statement?: string | null) => `${activity}|${statement ?? ''}`;

const tokenKey = (code: string) => `pejl:p:${code}`;
const profileKey = (code: string) => `pejl:profile:${code}`;
const upvotedKey = (code: string) => `pejl:up:${code}`;
export const outboxKey = (code: string) => `pejl:outbox:${code}`;

export interface Profile {
  name?: string;
  group?: string;
}

export function hasJoined(code: string, kv: KV = browserStorage()): boolean {
  return !!kv.getItem(tokenKey(code));
}

export class ParticipantStore {
  snapshot = $state<Snapshot | null>(null);
  /** What this person answered, as shown (pending answers included). */
  votes = $state<Record<string, unknown>>({});
  receipts = $state<Record<string, Receipt>>({});
  /** Comments from the server, by id. */
  comments = $state<Record<string, Comment>>({});
  /** Own comments not yet seen back from the server. */
  localComments = $state<LocalComment[]>([]);
  upvoted = $state<Record<string, boolean>>({});
  conn = $state<StatusInfo>({ status: 'idle', attempt: 0 });
  ended = $state(false);
  stoppedCode = $state<number | null>(null);
  lastError = $state<string | null>(null);
  /** Activities this phone has seen open (to tell "closed" from "not opened yet"). */
  seenOpen = $state<Record<string, boolean>>({});

  private saved: Record<string, unknown> = {};
  private readonly client: LiveClient;
  private unbindWake: (() => void) | null = null;
  private readonly kv: KV;

  constructor(
    readonly code: string,
    opts: { WebSocket?: WSConstructor; storage?: KV; url?: string } = {},
  ) {
    this.kv = opts.storage ?? browserStorage();
    this.upvoted = readJSON<Record<string, boolean>>(this.kv, upvotedKey(code), {});
    this.client = new LiveClient({
      url: opts.url ?? socketURL(`/api/v1/join/${encodeURIComponent(code)}/live`),
      WebSocket: opts.WebSocket ?? (WebSocket as unknown as WSConstructor),
      storage: this.kv,
      outboxKey: outboxKey(code),
      hello: () => this.hello(),
      onMessage: (m) => this.onMessage(m),
      onStatus: (s) => this.onStatus(s),
      onAck: (it, ack) => this.onAck(it, ack),
      onError: (e, it) => this.onError(e.code, e.message, it),
    });
    for (const it of this.client.pending()) this.applyPending(it);
  }

  get profile(): Profile {
    return readJSON<Profile>(this.kv, profileKey(this.code), {});
  }

  start(profile?: Profile): void {
    if (profile) writeJSON(this.kv, profileKey(this.code), profile);
    this.client.start();
    if (typeof window !== 'undefined') this.unbindWake = bindWake(this.client);
  }

  stop(): void {
    this.unbindWake?.();
    this.client.stop();
  }

  private hello(): Record<string, unknown> {
    const h: Record<string, unknown> = {};
    const token = this.kv.getItem(tokenKey(this.code));
    if (token) h.participant = token;
    const p = this.profile;
    if (p.name) h.name = p.name;
    if (p.group) h.group = p.group;
    return h;
  }

  // --- actions ----------------------------------------------------------------

  vote(activity: string, statement: string | null, value: unknown): void {
    const key = voteKey(activity, statement);
    const prev = this.receipts[key];
    // An older answer to the same question that never got through is replaced.
    if (prev?.status === 'sending' && prev.id) this.client.discard(prev.id);
    const msg: Record<string, unknown> & { type: string } = { type: 'vote', activity, value };
    if (statement) msg.statement = statement;
    this.votes[key] = value;
    try {
      const id = this.client.send(msg);
      this.receipts[key] = { status: 'sending', id };
    } catch (e) {
      this.receipts[key] = { status: 'failed', error: errorText('too_large') };
    }
  }

  /** Takes an answer back (to the statement, for a scale or gap rating): it no longer counts. */
  retract(activity: string, statement: string | null): void {
    const key = voteKey(activity, statement);
    const prev = this.receipts[key];
    if (prev?.status === 'sending' && prev.id) this.client.discard(prev.id);
    const msg: Record<string, unknown> & { type: string } = { type: 'vote', activity, retract: true };
    if (statement) msg.statement = statement;
    delete this.votes[key];
    try {
      const id = this.client.send(msg);
      this.receipts[key] = { status: 'sending', id };
    } catch {
      this.receipts[key] = { status: 'failed', error: errorText('too_large') };
    }
  }

  /** Whether the participant has an answer (a value, or "ved ikke": null) to the item. */
  answered(activity: string, statement: string | null): boolean {
    return voteKey(activity, statement) in this.votes;
  }

  comment(activity: string, statement: string | null, text: string): boolean {
    const msg: Record<string, unknown> & { type: string } = { type: 'comment', activity, text };
    if (statement) msg.statement = statement;
    try {
      const id = this.client.send(msg);
      this.localComments.push({ id, activity, statement, text, status: 'sending' });
      return true;
    } catch {
      this.lastError = errorText('too_large');
      return false;
    }
  }

  /** A fresh state from the server (see SelfPaced: a survey's window passing). */
  refresh(): void {
    this.client.refresh();
  }

  upvote(comment: string): void {
    if (this.upvoted[comment]) return;
    this.upvoted[comment] = true;
    writeJSON(this.kv, upvotedKey(this.code), this.upvoted);
    this.client.send({ type: 'upvote', comment });
  }

  // --- server → page ------------------------------------------------------------

  private onStatus(s: StatusInfo): void {
    this.conn = s;
    if (s.status === 'stopped' && s.code) {
      this.stoppedCode = s.code;
      if (s.code === 4501) this.ended = true;
    }
  }

  private onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'welcome':
        if (typeof m.participant === 'string' && m.participant) this.kv.setItem(tokenKey(this.code), m.participant);
        this.applySnapshot(m.session as Snapshot, true);
        if (m.mine) this.applyMine(m.mine as Mine);
        break;
      case 'state':
        this.applySnapshot(m.session as Snapshot, false);
        if (m.mine) this.applyMine(m.mine as Mine);
        break;
      case 'tally': {
        const a = this.snapshot?.activities.find((x) => x.id === m.activity);
        if (a) {
          a.tally = m.results as Results;
          this.seedComments(a);
        }
        break;
      }
      case 'comment':
        this.upsertComment(m.comment as Comment);
        break;
    }
  }

  private applySnapshot(s: Snapshot | undefined, fresh: boolean): void {
    if (!s) return;
    const sectionChanged = !this.snapshot || this.snapshot.current_section !== s.current_section;
    if (!Array.isArray(s.activities)) s.activities = [];
    this.snapshot = s;
    if (s.state === 'ended') this.ended = true;
    if (fresh || sectionChanged) {
      // Comments belong to the section's activities; start over from the snapshot.
      const ids = new Set(s.activities.map((a) => a.id));
      const keep: Record<string, Comment> = {};
      for (const [id, c] of Object.entries(this.comments)) if (c.activity && ids.has(c.activity)) keep[id] = c;
      this.comments = keep;
    }
    for (const a of s.activities) {
      this.seedComments(a);
      if (a.state === 'open') this.seenOpen[a.id] = true;
    }
  }

  /** The note for an activity that does not take answers now. */
  closedNote(activity: string): string {
    // Comments are not votes: their own words.
    const comments = this.snapshot?.activities.find((a) => a.id === activity)?.kind === 'comments';
    if (this.seenOpen[activity] || this.ended) return t(comments ? 'live.commentsClosed' : 'live.closed');
    return t(comments ? 'live.commentsNotOpen' : 'live.notOpen');
  }

  private seedComments(a: Activity): void {
    if (a.kind !== 'comments' || !a.tally?.comments) return;
    for (const c of a.tally.comments) {
      if (c.hidden) {
        delete this.comments[c.id];
        continue;
      }
      const old = this.comments[c.id];
      this.comments[c.id] = { ...old, ...c, activity: c.activity ?? a.id, mine: c.mine ?? old?.mine };
    }
  }

  private applyMine(mine: Mine): void {
    for (const v of mine.votes ?? []) {
      this.seenOpen[v.activity] = true;
      const key = voteKey(v.activity, v.statement);
      this.saved[key] = v.value;
      if (this.receipts[key]?.status === 'sending') continue; // a newer answer is on its way
      this.votes[key] = v.value;
      this.receipts[key] = { status: 'saved' };
    }
    for (const id of mine.upvoted ?? []) this.upvoted[id] = true;
    for (const c of mine.comments ?? []) {
      const old = this.comments[c.id];
      this.comments[c.id] = {
        ...old,
        id: c.id,
        activity: c.activity,
        statement: c.statement,
        text: c.text,
        mine: true,
        upvotes: old?.upvotes ?? 0,
        pending: !!(c as { pending?: boolean }).pending,
        hidden: !!(c as { hidden?: boolean }).hidden,
      };
      this.dropLocal(c.text, c.activity);
    }
  }

  private upsertComment(c: Comment | undefined): void {
    if (!c?.id) return;
    const old = this.comments[c.id];
    // Others' hidden comments go; our own stays, to say it was hidden.
    if (c.hidden && !(c.mine || old?.mine)) {
      delete this.comments[c.id];
      return;
    }
    let activity = c.activity ?? old?.activity;
    if (!activity) {
      const ca = this.snapshot?.activities.filter((a) => a.kind === 'comments') ?? [];
      if (ca.length === 1) activity = ca[0].id;
    }
    this.comments[c.id] = { ...old, ...c, activity };
    if (c.upvoted) this.upvoted[c.id] = true;
  }

  private dropLocal(text: string, activity?: string): void {
    const i = this.localComments.findIndex((l) => l.text === text && (!activity || l.activity === activity) && l.status !== 'failed');
    if (i >= 0) this.localComments.splice(i, 1);
  }

  private applyPending(it: OutboxItem): void {
    const m = it.msg;
    if (m.type === 'vote') {
      const key = voteKey(String(m.activity), (m.statement as string) ?? null);
      if (m.retract) delete this.votes[key];
      else this.votes[key] = m.value;
      this.receipts[key] = { status: 'sending', id: it.id };
    } else if (m.type === 'comment') {
      this.localComments.push({
        id: it.id,
        activity: String(m.activity),
        statement: (m.statement as string) ?? null,
        text: String(m.text),
        status: 'sending',
      });
    } else if (m.type === 'upvote') {
      this.upvoted[String(m.comment)] = true;
    }
  }

  private onAck(it: OutboxItem, ack: ServerMessage): void {
    const m = it.msg;
    if (m.type === 'vote') {
      const key = voteKey(String(m.activity), (m.statement as string) ?? null);
      if (m.retract) delete this.saved[key];
      else this.saved[key] = m.value;
      if (this.receipts[key]?.id === it.id) this.receipts[key] = { status: 'saved', id: it.id };
    } else if (m.type === 'comment') {
      const l = this.localComments.find((x) => x.id === it.id);
      if (l) {
        l.status = 'saved';
        if (typeof ack.comment_id === 'string') l.serverId = ack.comment_id;
      }
    }
  }

  private onError(code: string, message: string | undefined, it?: OutboxItem): void {
    if (code === 'session_ended') this.ended = true;
    if (code === 'session_closed') this.client.refresh(); // the survey's window passed: show it
    const text = errorText(code, message);
    if (!it) {
      this.lastError = text;
      return;
    }
    const m = it.msg;
    if (m.type === 'vote') {
      const key = voteKey(String(m.activity), (m.statement as string) ?? null);
      if (code === 'unavailable' || code === 'rate_limited') return; // still in the outbox; it will be resent
      if (this.receipts[key]?.id === it.id) {
        this.receipts[key] = { status: 'failed', id: it.id, error: text };
        if (key in this.saved) this.votes[key] = this.saved[key];
        else delete this.votes[key];
      }
    } else if (m.type === 'comment') {
      if (code === 'unavailable' || code === 'rate_limited') return;
      const l = this.localComments.find((x) => x.id === it.id);
      if (l) {
        l.status = 'failed';
        l.error = text;
      }
    } else if (m.type === 'upvote') {
      if (code === 'unavailable' || code === 'rate_limited') return;
      delete this.upvoted[String(m.comment)];
      writeJSON(this.kv, upvotedKey(this.code), this.upvoted);
      this.lastError = text;
    }
  }
}
