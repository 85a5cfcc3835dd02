// The facilitator's (and the presenter screen's) view of one session: the
// REST view for the charter and the code, then the facilitator socket for
// everything live: snapshot, every activity, every tally, presence, comments.
import { api, type Activity, type Comment, type FacilitatorView, type GroupResults, type Presence, type Results, type Snapshot } from '../api';
import { LiveClient, bindWake, socketURL, type StatusInfo, type ServerMessage, type WSConstructor } from '../live/client';
import type { OutboxItem } from '../live/outbox';
import { errorText } from '../i18n/index.svelte';
import type { Stage, Timer } from '../stage';

export class FacilitatorStore {
  view = $state<FacilitatorView | null>(null);
  snapshot = $state<Snapshot | null>(null);
  activities = $state<Activity[]>([]);
  tallies = $state<Record<string, Results>>({});
  /** Results per group (only groups at or above the anonymity threshold), by activity. */
  groupTallies = $state<Record<string, GroupResults[]>>({});
  comments = $state<Record<string, Comment>>({});
  /** The presenter screen's comment walls: activity → comment ids in the order shown. */
  walls = $state<Record<string, string[]>>({});
  /** How many have answered each activity, as the server counts them. */
  respondents = $state<Record<string, number>>({});
  /** The server's clock minus this one's, in ms (from the `now` of welcome and state). */
  clockOffset = $state(0);
  presence = $state<Presence>({ count: 0, groups: {} });
  conn = $state<StatusInfo>({ status: 'idle', attempt: 0 });
  epochChanged = $state(false);
  /** A server `alert` about the session's data (e.g. the engine lost it). */
  alert = $state<string | null>(null);
  lastError = $state<string | null>(null);
  /** Commands sent and not yet acknowledged, by id. */
  pending = $state<Record<string, string>>({});
  loadError = $state<{ status: number; code: string; message: string } | null>(null);

  private client: LiveClient | null = null;
  private unbind: (() => void) | null = null;
  /** comment id → comments activity id, learned from the comments tallies */
  private commentActivity: Record<string, string> = {};

  constructor(
    readonly id: string,
    /** audience 'presenter': the presenter screen, given only what the room may see. */
    private readonly opts: { WebSocket?: WSConstructor; audience?: 'presenter' } = {},
  ) {}

  async load(): Promise<boolean> {
    try {
      const v = await api.get<FacilitatorView>(`/api/v1/sessions/${encodeURIComponent(this.id)}${this.audienceQuery}`);
      this.view = v;
      if (!this.activities.length) this.activities = v.activities ?? [];
      for (const a of v.activities ?? []) {
        if (a.tally) this.setTally(a.id, a.tally, a.groups);
        if (typeof a.respondents === 'number') this.respondents[a.id] = a.respondents;
      }
      if (v.participants) this.presence = v.participants;
      return true;
    } catch (e) {
      const ae = e as { status: number; code: string; message: string };
      this.loadError = { status: ae.status, code: ae.code, message: ae.message };
      return false;
    }
  }

  private get audienceQuery(): string {
    return this.opts.audience ? `?audience=${this.opts.audience}` : '';
  }

  /** Connects the socket; a presenter gets only the room's share of results (the server decides). */
  connect(view?: 'presenter'): void {
    if (this.client) return;
    this.client = new LiveClient({
      url: socketURL(`/api/v1/sessions/${encodeURIComponent(this.id)}/live`),
      WebSocket: this.opts.WebSocket ?? (WebSocket as unknown as WSConstructor),
      storage: null,
      outboxKey: null,
      hello: () => (view ? { view } : {}),
      onMessage: (m) => this.onMessage(m),
      onStatus: (s) => (this.conn = s),
      onAck: (it) => this.done(it),
      onError: (e, it) => {
        if (it) this.done(it);
        if (e.code === 'unavailable' && it) return; // stays queued and is resent
        this.lastError = errorText(e.code, e.message);
      },
      onEpochChange: () => (this.epochChanged = true),
    });
    this.client.start();
    this.unbind = bindWake(this.client);
  }

  stop(): void {
    this.unbind?.();
    this.client?.stop();
  }

  /** Send a facilitator command (goto, open, close, show_results, hide_results, moderate, end). */
  command(type: string, fields: Record<string, unknown> = {}, label = type): string | null {
    if (!this.client) return null;
    this.lastError = null;
    const id = this.client.send({ type, ...fields });
    this.pending[id] = label;
    return id;
  }

  private done(it: OutboxItem): void {
    delete this.pending[it.id];
  }

  get currentSection(): string | null {
    return this.snapshot?.current_section ?? this.view?.session.current_section ?? null;
  }

  get state(): string {
    return this.snapshot?.state ?? this.view?.session.state ?? 'lobby';
  }

  /** What the presenter screen shows now. */
  get stage(): Stage {
    const st = this.snapshot?.stage as Stage | undefined;
    if (st?.kind) return st;
    if (this.state === 'ended') return { kind: 'end' };
    const cur = this.currentSection;
    return cur ? { kind: 'section', section: cur } : { kind: 'lobby' };
  }

  get timer(): Timer | null {
    return (this.snapshot?.timer as Timer | null | undefined) ?? null;
  }

  tallyOf(a: Activity): Results | undefined {
    return this.tallies[a.id] ?? a.tally;
  }

  /** The comments activity a comment belongs to, when known. */
  activityOf(c: Comment): string | undefined {
    return c.activity ?? this.commentActivity[c.id];
  }

  addActivity(a: Activity): void {
    if (!this.activities.some((x) => x.id === a.id)) this.activities.push(a);
  }

  private setTally(activity: string, results: Results, groups?: GroupResults[]): void {
    this.tallies[activity] = results;
    if (Array.isArray(groups)) this.groupTallies[activity] = groups;
    if (Array.isArray(results?.comments)) {
      if (this.opts.audience === 'presenter') this.walls[activity] = results.comments.map((c) => c.id);
      for (const c of results.comments) {
        this.commentActivity[c.id] = activity;
        const old = this.comments[c.id];
        this.comments[c.id] = { ...old, ...c, activity: c.activity ?? activity };
      }
    }
  }

  private mergeActivities(list: Activity[] | undefined): void {
    if (!Array.isArray(list)) return;
    this.activities = list.map((a) => {
      if (a.tally) this.setTally(a.id, a.tally, a.groups);
      if (typeof a.respondents === 'number') this.respondents[a.id] = a.respondents;
      return a;
    });
  }

  private onMessage(m: ServerMessage): void {
    if ((m.type === 'welcome' || m.type === 'state') && typeof m.now === 'number') this.clockOffset = m.now - Date.now();
    switch (m.type) {
      case 'welcome': {
        this.snapshot = (m.session as Snapshot) ?? null;
        this.mergeActivities((m.activities as Activity[]) ?? this.snapshot?.activities);
        if (m.presence) this.presence = m.presence as Presence;
        if (Array.isArray(m.comments)) {
          const next: Record<string, Comment> = {};
          for (const c of m.comments as Comment[]) {
            if (!c?.id) continue;
            next[c.id] = { ...c, activity: c.activity ?? this.commentActivity[c.id] };
          }
          this.comments = next;
        }
        if (m.walls && typeof m.walls === 'object') this.walls = m.walls as Record<string, string[]>;
        break;
      }
      case 'state': {
        this.snapshot = (m.session as Snapshot) ?? this.snapshot;
        if (Array.isArray(m.activities)) this.mergeActivities(m.activities as Activity[]);
        else if (this.snapshot?.activities) {
          // Without the full list, update the ones in the snapshot.
          for (const a of this.snapshot.activities) {
            const i = this.activities.findIndex((x) => x.id === a.id);
            if (i >= 0) this.activities[i] = { ...this.activities[i], ...a };
            else this.activities.push(a);
          }
        }
        if (this.opts.audience === 'presenter') {
          // The presenter's results come as the room sees them: with the snapshot when
          // they are put up, then as tallies.
          for (const a of this.snapshot?.activities ?? []) if (a.tally) this.setTally(a.id, a.tally);
        }
        if (this.view && this.snapshot) {
          this.view.session.state = this.snapshot.state;
          this.view.session.current_section = this.snapshot.current_section;
        }
        break;
      }
      case 'alert':
        if (String(m.code ?? '').includes('epoch') || m.epoch) this.epochChanged = true;
        else this.alert = errorText(String(m.code ?? ''), typeof m.message === 'string' ? m.message : undefined);
        break;
      case 'tally':
        this.setTally(String(m.activity), m.results as Results, (m.groups as GroupResults[] | undefined) ?? []);
        if (typeof m.respondents === 'number') this.respondents[String(m.activity)] = m.respondents;
        break;
      case 'presence':
        this.presence = { count: Number(m.count ?? 0), groups: (m.groups as Record<string, number>) ?? {} };
        break;
      case 'wall':
        if (Array.isArray(m.comments)) this.walls[String(m.activity)] = m.comments as string[];
        break;
      case 'comment': {
        const c = m.comment as Comment;
        if (!c?.id) break;
        const old = this.comments[c.id];
        this.comments[c.id] = { ...old, ...c, activity: c.activity ?? old?.activity ?? this.commentActivity[c.id] };
        break;
      }
    }
  }
}
