// Test doubles for the live client: a scriptable WebSocket, a manual clock.
import type { Timers, WSLike } from '../src/lib/live/client';

export class FakeSocket implements WSLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(public url: string) {
    FakeSocket.instances.push(this);
  }
  static reset(): void {
    FakeSocket.instances = [];
  }
  static last(): FakeSocket {
    return FakeSocket.instances[FakeSocket.instances.length - 1];
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  // server side
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  sentOfType(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }
}

interface Task {
  at: number;
  fn: () => void;
  every?: number;
  id: number;
}

export class ManualTimers implements Timers {
  private t = 1_000_000;
  private seq = 0;
  private tasks = new Map<number, Task>();
  delays: number[] = [];

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.delays.push(ms);
    this.tasks.set(id, { at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.tasks.delete(h as number);
  }
  setInterval(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.tasks.set(id, { at: this.t + ms, fn, every: ms, id });
    return id;
  }
  clearInterval(h: unknown): void {
    this.tasks.delete(h as number);
  }
  /** Advance the clock, running due tasks in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Task | undefined;
      for (const task of this.tasks.values()) if (task.at <= end && (!next || task.at < next.at)) next = task;
      if (!next) break;
      this.t = next.at;
      if (next.every) next.at += next.every;
      else this.tasks.delete(next.id);
      next.fn();
    }
    this.t = end;
  }
  pending(): number {
    return this.tasks.size;
  }
}
