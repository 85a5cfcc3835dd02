// The small part of the Web Storage API the live client needs, so tests can
// pass a Map-backed fake and private-mode browsers (where localStorage throws)
// degrade to memory.

export interface KV {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class MemoryKV implements KV {
  private m = new Map<string, string>();
  getItem(key: string): string | null {
    return this.m.has(key) ? (this.m.get(key) as string) : null;
  }
  setItem(key: string, value: string): void {
    this.m.set(key, String(value));
  }
  removeItem(key: string): void {
    this.m.delete(key);
  }
}

/** localStorage when it works, otherwise an in-memory store. */
export function browserStorage(): KV {
  try {
    const ls = globalThis.localStorage;
    const probe = '__pejl_probe__';
    ls.setItem(probe, '1');
    ls.removeItem(probe);
    return ls;
  } catch {
    return new MemoryKV();
  }
}

export function readJSON<T>(kv: KV | null | undefined, key: string, fallback: T): T {
  if (!kv) return fallback;
  try {
    const raw = kv.getItem(key);
    return raw == null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

export function writeJSON(kv: KV | null | undefined, key: string, value: unknown): void {
  if (!kv) return;
  try {
    kv.setItem(key, JSON.stringify(value));
  } catch {
    // Quota exceeded or storage disabled: the in-memory copy still works.
  }
}
