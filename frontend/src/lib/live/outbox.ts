// The outbox: every message that changes something stays here, under the id it
// was first sent with, until the server answers `ack` (stored durably) or a
// terminal `error`. It is persisted so a reload, a crash or a dead battery does
// not lose an answer; after a reconnect everything in it is sent again with the
// same ids, and the server's idempotency makes that safe.

import { readJSON, writeJSON, type KV } from './storage';

export interface OutboxItem {
  id: string;
  msg: Record<string, unknown> & { type: string; id: string };
  /** When it was first queued (ms since epoch). */
  at: number;
}

export class Outbox {
  private list: OutboxItem[];

  constructor(
    private readonly storage: KV | null = null,
    private readonly key: string | null = null,
  ) {
    const loaded = key ? readJSON<unknown>(storage, key, []) : [];
    this.list = Array.isArray(loaded) ? loaded.filter(isItem) : [];
  }

  items(): OutboxItem[] {
    return this.list.slice();
  }

  get size(): number {
    return this.list.length;
  }

  get(id: string): OutboxItem | undefined {
    return this.list.find((it) => it.id === id);
  }

  add(item: OutboxItem): void {
    if (this.get(item.id)) return;
    this.list.push(item);
    this.save();
  }

  remove(id: string): OutboxItem | undefined {
    const i = this.list.findIndex((it) => it.id === id);
    if (i < 0) return undefined;
    const [it] = this.list.splice(i, 1);
    this.save();
    return it;
  }

  clear(): void {
    this.list = [];
    this.save();
  }

  private save(): void {
    if (!this.key || !this.storage) return;
    if (this.list.length === 0) {
      try {
        this.storage.removeItem(this.key);
      } catch {
        /* ignore */
      }
      return;
    }
    writeJSON(this.storage, this.key, this.list);
  }
}

function isItem(x: unknown): x is OutboxItem {
  if (!x || typeof x !== 'object') return false;
  const it = x as Partial<OutboxItem>;
  return typeof it.id === 'string' && !!it.msg && typeof it.msg === 'object' && it.msg.id === it.id;
}
