// Full-jitter exponential backoff (AWS architecture blog, "Exponential Backoff
// And Jitter"): the n-th retry waits a uniformly random time in
// [0, min(cap, base * 2^n)). Spreads a room of 100 phones that lost the Wi-Fi
// at the same moment over the whole window instead of a thundering herd.

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 15_000;

/** The upper bound of the wait before retry number `attempt` (0-based). */
export function backoffCeiling(attempt: number, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS): number {
  if (attempt < 0 || !Number.isFinite(attempt)) attempt = 0;
  // 2^attempt overflows to Infinity for large attempts; Math.min keeps the cap.
  return Math.min(cap, base * 2 ** Math.min(attempt, 30));
}

/** A random wait in [0, backoffCeiling(attempt)). `random` returns [0, 1). */
export function fullJitter(
  attempt: number,
  random: () => number = Math.random,
  base = BACKOFF_BASE_MS,
  cap = BACKOFF_CAP_MS,
): number {
  const r = Math.min(Math.max(random(), 0), 0.999_999);
  return Math.floor(r * backoffCeiling(attempt, base, cap));
}
