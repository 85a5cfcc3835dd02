// The presenter's stages: what the projector shows, one thing at a time, and how a
// clicker (←/→, PageUp/PageDown) steps through them. The console and the presenter window
// use the same sequence, so a step means the same thing wherever it is pressed.
import type { Activity, Comment, Results, Section } from './api';


export type StageKind = 'lobby' | 'section' | 'question' | 'results' | 'comments' | 'end';

export interface Stage {
  kind: StageKind;
  section?: string;
  activity?: string;
  page?: number;
}

export interface Timer {
  activity?: string;
  seconds: number;
  ends_at: string;
  close?: boolean;
}

/** The comment wall of an activity: the comments whose ids the server gave the presenter
 *  (`walls` in its welcome, `wall` messages, a comments tally), in that order. What the room
 *  may see and in which order is the server's rule; the screen neither filters nor sorts. */
export function wallComments(all: Record<string, Comment>, order: string[] | undefined): Comment[] {
  return (order ?? []).map((id) => all[id]).filter((c): c is Comment => !!c);
}

export interface StageWorld {
  sections: Section[];
  activities: Activity[];
  tallyOf: (a: Activity) => Results | undefined;
  comments: (activity: string) => Comment[];
  /** The text of a statement or option id of an activity. */
  textOf: (a: Activity, id: string) => string;
}

/** What a stage is built from, read off a facilitator (or presenter) store. */
export interface StageSource {
  view: { charter: { sections: Section[] } } | null;
  activities: Activity[];
  comments: Record<string, Comment>;
  walls: Record<string, string[]>;
  tallyOf: (a: Activity) => Results | undefined;
}

/** The stage world of a presenter-audience store: the presenter window and the console's
 *  preview and keys step through the same one. */
export function worldOf(store: StageSource): StageWorld {
  const sections = store.view?.charter.sections ?? [];
  const allStatements = sections.flatMap((s) => s.statements);
  return {
    sections,
    activities: store.activities,
    tallyOf: (a: Activity) => store.tallyOf(a),
    comments: (activity: string) => wallComments(store.comments, store.walls[activity]),
    textOf: (a: Activity, sid: string) =>
      a.options?.find((o) => o.id === sid)?.label ?? allStatements.find((s) => s.id === sid)?.text ?? a.items?.find((s) => s.id === sid)?.text ?? sid,
  };
}

/** A ranking shows its top 10. */
export const RANK_TOP = 10;

/** The ranked items of a rank activity, best first (top 10). */
export function rankTop(tally: Results | undefined): [string, number][] {
  return Object.entries(tally?.points ?? {})
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .slice(0, RANK_TOP);
}

// How a stage's list is split into pages. Rows are measured in pixels of a 1280×720 screen
// (the stage scales with the screen, so the split is the same at every 16:9 size), from
// the length of each row's text: a long statement takes more lines than a short one.
interface Layout {
  charsPerLine: number;
  lineHeight: number;
  minLines: number;
  gap: number;
  budget: number;
  max: number;
}
const LAYOUT: Record<string, Layout> = {
  section: { charsPerLine: 70, lineHeight: 38, minLines: 1, gap: 14, budget: 440, max: 6 },
  scale: { charsPerLine: 48, lineHeight: 34, minLines: 1.5, gap: 18, budget: 430, max: 5 },
  choice: { charsPerLine: 48, lineHeight: 34, minLines: 1, gap: 18, budget: 430, max: 8 },
  rank: { charsPerLine: 48, lineHeight: 34, minLines: 1, gap: 18, budget: 430, max: 5 },
  words: { charsPerLine: 1e9, lineHeight: 0, minLines: 0, gap: 0, budget: 1, max: 60 },
  comments: { charsPerLine: 1e9, lineHeight: 0, minLines: 0, gap: 0, budget: 1, max: 6 },
};

/** The texts of the rows a stage lists, and the layout that splits them. */
function rowsOf(st: Stage, w: StageWorld): { texts: string[]; layout: Layout } | null {
  const a = st.activity ? w.activities.find((x) => x.id === st.activity) : undefined;
  if (st.kind === 'section') {
    const sec = w.sections.find((s) => s.id === st.section);
    return { texts: (sec?.statements ?? []).map((x) => x.text), layout: LAYOUT.section };
  }
  if (!a) return null;
  if (st.kind === 'comments') return { texts: w.comments(a.id).map((c) => c.text ?? ''), layout: LAYOUT.comments };
  if (st.kind !== 'results') return null;
  const tally = w.tallyOf(a);
  switch (a.kind) {
    case 'scale':
      return { texts: (a.statements ?? []).map((id) => w.textOf(a, id)), layout: LAYOUT.scale };
    case 'choice':
      return { texts: (a.options ?? []).map((o) => o.label), layout: LAYOUT.choice };
    case 'rank':
    case 'points':
      return { texts: rankTop(tally).map(([id]) => w.textOf(a, id)), layout: LAYOUT.rank };
    case 'words':
      return { texts: Object.keys(tally?.words ?? {}), layout: LAYOUT.words };
  }
  return null;
}

/** The end screen's pages after its first: every result the room was shown, page by page. */
export function endPages(w: StageWorld): { activity: string; page: number }[] {
  const out: { activity: string; page: number }[] = [];
  for (const a of w.activities) {
    if (a.results !== 'shown' || a.kind === 'comments') continue;
    const n = pagesOf({ kind: 'results', activity: a.id }, w);
    for (let page = 0; page < n; page++) out.push({ activity: a.id, page });
  }
  return out;
}

/** The [start, end) of each page of a stage's list (one empty page when it lists nothing). */
export function pageSlices(st: Stage, w: StageWorld): [number, number][] {
  if (st.kind === 'end') return [[0, 0], ...endPages(w).map((): [number, number] => [0, 0])];
  const rows = rowsOf(st, w);
  if (!rows || !rows.texts.length) return [[0, 0]];
  const L = rows.layout;
  const out: [number, number][] = [];
  let start = 0;
  let used = 0;
  rows.texts.forEach((text, i) => {
    const lines = Math.max(L.minLines, Math.ceil(text.length / L.charsPerLine));
    const h = lines * L.lineHeight + L.gap;
    if (i > start && (i - start >= L.max || used + h > L.budget)) {
      out.push([start, i]);
      start = i;
      used = 0;
    }
    used += h;
  });
  out.push([start, rows.texts.length]);
  // Words beyond the first page are not shown: the cloud shows the 60 most given.
  return rows.layout === LAYOUT.words ? out.slice(0, 1) : out;
}

/** How many pages a stage has (at least 1). */
export function pagesOf(st: Stage, w: StageWorld): number {
  return pageSlices(st, w).length;
}

/** Every stage of the session in order: lobby, each section with its activities, end. */
export function sequence(w: StageWorld): Stage[] {
  const out: Stage[] = [{ kind: 'lobby' }];
  for (const s of w.sections) {
    const acts = w.activities.filter((a) => a.section === s.id);
    if (!acts.length && !s.statements.length) continue;
    out.push({ kind: 'section', section: s.id });
    for (const a of acts) {
      if (a.kind === 'comments') out.push({ kind: 'comments', section: s.id, activity: a.id });
      else out.push({ kind: 'question', section: s.id, activity: a.id }, { kind: 'results', section: s.id, activity: a.id });
    }
  }
  out.push({ kind: 'end' });
  return out;
}

const same = (a: Stage, b: Stage) =>
  a.kind === b.kind && (a.activity ?? '') === (b.activity ?? '') && (a.kind !== 'section' || a.section === b.section);

/** The stage one step forward (dir 1) or back (dir -1): the next page, else the next stage. */
export function step(cur: Stage, dir: 1 | -1, w: StageWorld): Stage | null {
  const page = cur.page ?? 0;
  const pages = pagesOf(cur, w);
  if (dir === 1 && page + 1 < pages) return { ...cur, page: page + 1 };
  if (dir === -1 && page > 0) return { ...cur, page: Math.min(page, pages) - 1 };
  const seq = sequence(w);
  let i = seq.findIndex((s) => same(s, cur));
  if (i < 0 && cur.section) {
    // Somewhere not in the sequence (a section without activities): start from its section.
    i = seq.findIndex((s) => s.kind === 'section' && s.section === cur.section);
  }
  const j = i + dir;
  if (i < 0 || j < 0 || j >= seq.length) return null;
  const next = seq[j];
  return { ...next, page: dir === 1 ? 0 : pagesOf(next, w) - 1 };
}

/** Is this key a clicker's step? 1 forward, -1 back, 0 no. */
export function stepKey(e: KeyboardEvent): 1 | -1 | 0 {
  if (e.altKey || e.ctrlKey || e.metaKey) return 0;
  const el = e.target as HTMLElement | null;
  if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return 0;
  if (e.key === 'ArrowRight' || e.key === 'PageDown') return 1;
  if (e.key === 'ArrowLeft' || e.key === 'PageUp') return -1;
  return 0;
}

/** Seconds left until a deadline, by the server's clock (offset = server − local, ms). */
export function secondsLeft(t: Timer | null | undefined, offset: number, now = Date.now()): number {
  if (!t) return 0;
  return Math.min(t.seconds, Math.max(0, Math.ceil((Date.parse(t.ends_at) - (now + offset)) / 1000)));
}

export function clock(sec: number): string {
  const m = Math.floor(sec / 60);
  const s = sec % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}
