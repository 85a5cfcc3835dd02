// What the interface needs to know of an activity kind, in one place (the server's is
// internal/forum/kind.go): whether answers go per statement.
import type { Activity } from './api/types';

/** Kinds answered statement by statement: one answer per statement (scale, gap rating). */
export const perStatement = (a: Pick<Activity, 'kind'>): boolean => a.kind === 'scale' || a.kind === 'gap';
