import { describe, expect, it } from 'vitest';
import { backoffCeiling, fullJitter, BACKOFF_BASE_MS, BACKOFF_CAP_MS } from '../src/lib/live/backoff';
import { closeAction } from '../src/lib/live/close-codes';
import { randomId } from '../src/lib/live/ids';

describe('backoff', () => {
  it('doubles from 500 ms and caps at 15 s', () => {
    expect(BACKOFF_BASE_MS).toBe(500);
    expect(BACKOFF_CAP_MS).toBe(15_000);
    expect([0, 1, 2, 3, 4, 5, 6, 50, 5000].map((n) => backoffCeiling(n))).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000, 15_000,
    ]);
  });

  it('stays within [0, ceiling) for the extremes of the random source', () => {
    for (let n = 0; n < 40; n++) {
      const ceil = backoffCeiling(n);
      expect(fullJitter(n, () => 0)).toBe(0);
      const hi = fullJitter(n, () => 0.9999999999);
      expect(hi).toBeLessThan(ceil);
      expect(hi).toBeGreaterThanOrEqual(ceil - 1);
      expect(fullJitter(n, () => 1)).toBeLessThan(ceil); // defensive: random() never returns 1, but clamp anyway
    }
  });

  it('is jittered: spreads over the whole window rather than clustering', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const samples = Array.from({ length: 2000 }, () => fullJitter(4, rnd));
    const ceil = backoffCeiling(4);
    expect(Math.min(...samples)).toBeLessThan(ceil * 0.05);
    expect(Math.max(...samples)).toBeGreaterThan(ceil * 0.95);
    expect(new Set(samples).size).toBeGreaterThan(1000);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(ceil * 0.4);
    expect(mean).toBeLessThan(ceil * 0.6);
    // Quartiles roughly uniform.
    const q = [0, 0, 0, 0];
    for (const s of samples) q[Math.min(3, Math.floor((s / ceil) * 4))]++;
    for (const c of q) expect(c).toBeGreaterThan(400);
  });
});

describe('close codes', () => {
  it('4500–4999 stop, everything else reconnects', () => {
    for (const c of [4500, 4501, 4503, 4999]) expect(closeAction(c)).toBe('stop');
    for (const c of [1000, 1001, 1006, 1009, 1011, 1012, 4000, 4001, 4002, 4003, 4499, 5000]) {
      expect(closeAction(c)).toBe('reconnect');
    }
  });
});

describe('message ids', () => {
  it('are random, at least 16 characters, at most 64', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id.length).toBeGreaterThanOrEqual(16);
      expect(id.length).toBeLessThanOrEqual(64);
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });
});
