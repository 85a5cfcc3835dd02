// Shapes of ../shared/spec/api-v1.md and docs/api.md, as the
// frontend uses them. Fields the server may add are allowed by the index types.

export type SessionState = 'lobby' | 'live' | 'ended';
export type ActivityKind = 'scale' | 'gap' | 'choice' | 'rank' | 'points' | 'words' | 'comments';

export interface User {
  id: string;
  email: string;
  name?: string;
  role: 'facilitator' | 'admin' | string;
  /** Linked to single sign-on. */
  sso?: boolean;
  /** Has no password: logs in only with the organisation's account. */
  no_password?: boolean;
}

export interface Group {
  id: string;
  label: string;
}

export interface Statement {
  id: string;
  text: string;
}

export interface Section {
  id: string;
  title: string;
  level?: number;
  body?: string;
  statements: Statement[];
}

export interface CharterSummary {
  id: string;
  title: string;
  language: string;
  sections: number;
  statements: number;
  builtin?: boolean;
  /** Set on a corrected version: the first version's id, and 2, 3, … */
  family?: string;
  version?: number;
}

export interface Charter {
  id: string;
  title: string;
  language: string;
  intro?: string;
  sections: Section[];
  family?: string;
  version?: number;
}

export interface Option {
  id: string;
  label: string;
}

/** How one statement's answers moved from round 1 (round 2 only, from the threshold). */
export interface Shift {
  up: number;
  down: number;
  same: number;
  mean_change: number;
  n_both: number;
}
export interface ScaleStat {
  counts: Record<string, number>;
  n: number;
  mean: number | null;
  /** "Ved ikke" answers: in neither n nor the mean. */
  skipped?: number;
  withheld?: boolean;
}
/** A statement's results: a scale's, or a gap rating's (today, wanted, gap, gap_counts). */
export interface StatementResult extends Partial<ScaleStat> {
  n: number;
  today?: ScaleStat | null;
  wanted?: ScaleStat | null;
  gap?: number | null;
  gap_counts?: Record<string, number>;
  shift?: Shift;
  withheld?: boolean;
}
export interface ScaleResults {
  statements: Record<string, StatementResult>;
}
export interface Axis {
  id: string;
  prompt: string;
  min: number;
  max: number;
  labels?: string[];
}
/** Set when fewer than min_responses answered an item: its figures are left out (phones, presenter, exports). */
export interface Withheld {
  withheld?: boolean;
  min_responses?: number;
}
export interface ChoiceResults {
  options: Record<string, number>;
  n: number;
}
export interface RankResults {
  points: Record<string, number>;
  n: number;
}
export interface WordsResults {
  words: Record<string, number>;
  n: number;
}
export interface CommentsResults {
  comments: Comment[];
  n: number;
}
export type Results = Partial<ScaleResults & ChoiceResults & RankResults & WordsResults & CommentsResults & Withheld> & {
  [k: string]: unknown;
};

export interface Activity {
  id: string;
  kind: ActivityKind;
  section: string;
  prompt?: string;
  statements?: string[];
  options?: Option[];
  /** Texts for statement ids outside the current section (rank over the charter), when the server sends them. */
  items?: Statement[];
  /** A charter-wide ranking's items under their sections' titles (phones). */
  item_sections?: { title: string; items: string[] }[];
  min?: number;
  max?: number;
  labels?: string[];
  max_choices?: number;
  k?: number;
  /** A gap rating's two questions (today, wanted). */
  axes?: Axis[];
  /** What a points activity shares out. */
  budget?: number;
  /** 2 for a round opened from round_of. */
  round?: number;
  round_of?: string;
  state: 'open' | 'closed';
  results: 'shown' | 'hidden';
  tally?: Results;
  groups?: GroupResults[];
  /** How many have answered (facilitator views only). */
  respondents?: number;
  /** A follow-up item: the agreement it asks about. */
  agreement?: string;
  [k: string]: unknown;
}

/** Results per group that passes the anonymity threshold (facilitator only). */
export interface GroupResults {
  group: { id: string; label: string; members?: number; groups?: string[] };
  results: Results;
}

export interface Comment {
  id: string;
  text?: string;
  statement?: string | null;
  activity?: string;
  upvotes?: number;
  hidden?: boolean;
  starred?: boolean;
  created_at?: string;
  mine?: boolean;
  upvoted?: boolean;
  group?: string;
  /** Waits for the facilitator's approval (facilitators and its author only). */
  pending?: boolean;
  [k: string]: unknown;
}

/** welcome.session / state.session */
export interface Snapshot {
  id: string;
  title: string;
  /** A rehearsal ("Prøvekørsel"): answers are thrown away after a day. */
  rehearsal?: boolean;
  state: SessionState;
  language: string;
  groups?: Group[];
  current_section: string | null;
  section: Section | null;
  activities: Activity[];
  /** "self": a survey people answer on their own time; every activity of every section is in activities. */
  pace?: Pace;
  opens_at?: string;
  closes_at?: string;
  published?: boolean;
  /** Self-paced: every section with activities, in order. */
  sections?: Section[];
  /** On the end screen, and in a follow-up (its items ask about them). */
  agreements?: Agreement[];
  [k: string]: unknown;
}

export type Pace = 'live' | 'self';

/** A group of the room's comments that the facilitator named. */
export interface Theme {
  id: string;
  title: string;
  comments: string[];
  statements: string[];
  /** The choice activity that puts it to the room, once proposed. */
  proposal?: string;
  created_at?: string;
}

/** An "aftale": what, who, by when, the follow-up date, the statements it serves. */
export interface Agreement {
  id: string;
  what: string;
  who: string;
  /** YYYY-MM-DD or "". */
  due: string;
  follow_up: string;
  statements: string[];
  theme: string;
}

export interface Mine {
  votes: { activity: string; statement?: string | null; value: unknown }[];
  comments: { id: string; activity: string; statement?: string | null; text: string }[];
  upvoted?: string[];
}

export interface SessionInfo {
  id: string;
  code: string;
  title: string;
  state: SessionState;
  language: string;
  charter_id: string;
  current_section?: string | null;
  groups?: Group[];
  anonymity_threshold?: number;
  join_url: string;
  created_at?: string;
  /** Emails of the other facilitators who may see and run the session. */
  shared_with?: string[];
  /** A rehearsal ("Prøvekørsel"): left out of comparisons, deleted a day after. */
  rehearsal?: boolean;
  /** A template to start sessions from, for its "owner" or the whole "organisation". */
  template?: boolean;
  shared?: 'owner' | 'organisation';
  auto_approve?: boolean;
  pace?: Pace;
  opens_at?: string;
  closes_at?: string;
  published?: boolean;
  /** The session this one follows up. */
  follows?: string;
  [k: string]: unknown;
}

/** PATCH /api/v1/sessions/{id} */
export interface SessionPatch {
  title?: string;
  groups?: Group[];
  anonymity_threshold?: number;
  /** Replaces the whole list; every email must belong to an account. */
  shared_with?: string[];
}

export interface Presence {
  count: number;
  groups: Record<string, number>;
}

/** GET /api/v1/sessions/{id} */
export interface FacilitatorView {
  session: SessionInfo;
  charter: Charter;
  activities: Activity[];
  participants: Presence;
  /** Presenter notes by section id (the facilitator's view only). */
  notes?: Record<string, string>;
  /** Words taken off each word cloud (by activity id), and the blocked words (facilitator only). */
  hidden_words?: Record<string, string[]>;
  blocked_words?: string[];
  themes?: Theme[];
  agreements?: Agreement[];
}

/** GET /api/v1/join/{code} */
export interface JoinInfo {
  session_id: string;
  title: string;
  state: SessionState;
  language: string;
  groups?: Group[];
  join_url?: string;
  retention_days?: number;
}
