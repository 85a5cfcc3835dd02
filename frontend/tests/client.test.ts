import { beforeEach, describe, expect, it } from 'vitest';
import { LiveClient, type LiveOptions, type StatusInfo, type ServerMessage } from '../src/lib/live/client';
import { MemoryKV } from '../src/lib/live/storage';
import { FakeSocket, ManualTimers } from './fakes';

const KEY = 'pejl:outbox:123456';

function setup(over: Partial<LiveOptions> = {}) {
  const timers = new ManualTimers();
  const storage = (over.storage as MemoryKV) ?? new MemoryKV();
  const statuses: StatusInfo[] = [];
  const messages: ServerMessage[] = [];
  const acks: string[] = [];
  const errors: { code: string; id?: string; had: boolean }[] = [];
  const epochs: unknown[][] = [];
  let n = 0;
  const client = new LiveClient({
    url: 'ws://test/api/v1/join/123456/live',
    WebSocket: FakeSocket,
    storage,
    outboxKey: KEY,
    timers,
    random: () => 0.5,
    newId: () => `id-${++n}-abcdefghijklmnop`,
    hello: () => ({ participant: storage.getItem('token') ?? undefined }),
    onStatus: (s) => statuses.push(s),
    onMessage: (m) => messages.push(m),
    onAck: (it) => acks.push(it.id),
    onError: (e, it) => errors.push({ code: e.code, id: e.id, had: !!it }),
    onEpochChange: (a, b) => epochs.push([a, b]),
    ...over,
  });
  return { client, timers, storage, statuses, messages, acks, errors, epochs };
}

function welcome(ws: FakeSocket, extra: Record<string, unknown> = {}) {
  ws.open();
  ws.receive({ type: 'welcome', participant: 'tok', epoch: 'e1', version: 5, session: {}, mine: {}, ...extra });
}

beforeEach(() => FakeSocket.reset());

describe('hello', () => {
  it('is the first message on every connection, with the resume token', () => {
    const { client, timers, storage } = setup();
    client.start();
    const ws1 = FakeSocket.last();
    ws1.open();
    expect(ws1.sent[0]).toEqual({ type: 'hello' });
    ws1.receive({ type: 'welcome', participant: 'tok', epoch: 1, version: 1 });
    storage.setItem('token', 'tok');
    ws1.serverClose(1006);
    timers.advance(20_000);
    const ws2 = FakeSocket.last();
    expect(ws2).not.toBe(ws1);
    ws2.open();
    expect(ws2.sent[0]).toEqual({ type: 'hello', participant: 'tok' });
  });
});

describe('reconnect', () => {
  it('waits a full-jitter backoff that grows and caps, and resets after welcome', () => {
    const { client, timers, statuses } = setup({ random: () => 0.999999 });
    client.start();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      FakeSocket.last().serverClose(1006);
      const s = statuses[statuses.length - 1];
      expect(s.status).toBe('offline');
      waits.push(s.retryInMs as number);
      timers.advance(s.retryInMs as number);
    }
    expect(waits).toEqual([499, 999, 1999, 3999, 7999, 14_999, 14_999, 14_999]);
    welcome(FakeSocket.last());
    FakeSocket.last().serverClose(1012);
    expect(statuses[statuses.length - 1].retryInMs).toBe(499);
  });

  it('does not reconnect before the backoff has passed', () => {
    const { client, timers } = setup();
    client.start();
    FakeSocket.last().serverClose(1006); // attempt 0 → 250 ms with random 0.5
    timers.advance(249);
    expect(FakeSocket.instances).toHaveLength(1);
    timers.advance(1);
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it.each([4500, 4501, 4503, 4999])('stops for good on close code %i', (code) => {
    const { client, timers, statuses } = setup();
    client.start();
    welcome(FakeSocket.last());
    FakeSocket.last().serverClose(code);
    timers.advance(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(statuses[statuses.length - 1]).toMatchObject({ status: 'stopped', code });
    client.wake();
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it.each([1000, 1006, 1009, 1012, 4000, 4001, 4002, 4003])('reconnects on close code %i', (code) => {
    const { client, timers } = setup();
    client.start();
    welcome(FakeSocket.last());
    FakeSocket.last().serverClose(code);
    timers.advance(1000);
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('reports "reconnected" on the welcome after a lost connection', () => {
    const { client, timers, statuses } = setup();
    client.start();
    welcome(FakeSocket.last());
    expect(statuses[statuses.length - 1]).toMatchObject({ status: 'open', reconnected: false });
    FakeSocket.last().serverClose(1006);
    timers.advance(15_000);
    welcome(FakeSocket.last());
    expect(statuses[statuses.length - 1]).toMatchObject({ status: 'open', reconnected: true });
  });

  it('wake() reconnects at once while waiting for a retry', () => {
    const { client, timers } = setup({ random: () => 0.99 });
    client.start();
    for (let i = 0; i < 6; i++) {
      FakeSocket.last().serverClose(1006);
      timers.advance(16_000);
    }
    FakeSocket.last().serverClose(1006); // now waiting ~15 s
    const before = FakeSocket.instances.length;
    client.wake();
    expect(FakeSocket.instances.length).toBe(before + 1);
  });

  it('wake() on a silently dead socket reconnects when the ping gets no answer', () => {
    const { client, timers } = setup();
    client.start();
    const ws = FakeSocket.last();
    welcome(ws);
    client.wake();
    expect(ws.sentOfType('ping')).toHaveLength(1);
    timers.advance(5000);
    expect(FakeSocket.instances).toHaveLength(2);
    expect(ws.closedWith).not.toBeNull();
  });

  it('wake() keeps a live socket that answers the ping', () => {
    const { client, timers } = setup();
    client.start();
    const ws = FakeSocket.last();
    welcome(ws);
    client.wake();
    timers.advance(100);
    ws.receive({ type: 'pong' });
    timers.advance(10_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('gives up an attempt that gets no welcome in time', () => {
    const { client, timers } = setup();
    client.start();
    FakeSocket.last().open(); // opens, but the server never says welcome
    timers.advance(10_000);
    expect(FakeSocket.instances[0].closedWith).not.toBeNull();
    timers.advance(1000);
    expect(FakeSocket.instances).toHaveLength(2);
  });
});

describe('offline', () => {
  it('offline() drops the socket, keeps the outbox, and wake() reconnects and resends', () => {
    const { client, statuses } = setup();
    client.start();
    const ws = FakeSocket.last();
    welcome(ws);
    client.offline();
    expect(ws.closedWith).not.toBeNull();
    expect(statuses[statuses.length - 1].status).toBe('offline');
    const id = client.send({ type: 'vote', activity: 'a1', statement: 's1', value: 5 });
    expect(ws.sentOfType('vote')).toHaveLength(0);
    client.wake();
    const ws2 = FakeSocket.last();
    expect(ws2).not.toBe(ws);
    welcome(ws2);
    expect(ws2.sentOfType('vote').map((m) => m.id)).toEqual([id]);
    expect(statuses[statuses.length - 1]).toMatchObject({ status: 'open', reconnected: true });
  });
});

describe('ping', () => {
  it('sends {"type":"ping"} every 25 s and reconnects after a long silence', () => {
    const { client, timers } = setup();
    client.start();
    const ws = FakeSocket.last();
    welcome(ws);
    timers.advance(25_000);
    expect(ws.sentOfType('ping')).toEqual([{ type: 'ping' }]);
    timers.advance(25_000);
    expect(ws.sentOfType('ping')).toHaveLength(2);
    timers.advance(25_000); // 75 s without a frame
    expect(FakeSocket.instances.length).toBe(2);
  });
});

describe('outbox', () => {
  it('persists unacknowledged messages and resends them with the same ids after reconnect', () => {
    const { client, timers, storage } = setup();
    client.start();
    const ws1 = FakeSocket.last();
    welcome(ws1);
    const id = client.send({ type: 'vote', activity: 'a1', statement: 's1', value: 4 });
    expect(ws1.sentOfType('vote')).toEqual([{ type: 'vote', activity: 'a1', statement: 's1', value: 4, id }]);
    expect(JSON.parse(storage.getItem(KEY) as string)[0].id).toBe(id);

    ws1.serverClose(1006);
    timers.advance(20_000);
    const ws2 = FakeSocket.last();
    ws2.open();
    expect(ws2.sentOfType('vote')).toHaveLength(0); // not before welcome
    ws2.receive({ type: 'welcome', participant: 'tok', epoch: 'e1', version: 6 });
    expect(ws2.sentOfType('vote')).toEqual([{ type: 'vote', activity: 'a1', statement: 's1', value: 4, id }]);
  });

  it('queues while offline and sends on the next welcome', () => {
    const { client } = setup();
    client.start();
    const id = client.send({ type: 'comment', activity: 'c1', text: 'Hej' });
    const ws = FakeSocket.last();
    welcome(ws);
    expect(ws.sentOfType('comment')).toEqual([{ type: 'comment', activity: 'c1', text: 'Hej', id }]);
  });

  it('survives a reload: a new client resends the stored messages with the same ids', () => {
    const storage = new MemoryKV();
    const a = setup({ storage });
    a.client.start();
    welcome(FakeSocket.last());
    const id1 = a.client.send({ type: 'vote', activity: 'a1', statement: 's1', value: 2 });
    const id2 = a.client.send({ type: 'upvote', comment: 'k1' });
    a.client.stop(); // the page goes away

    FakeSocket.reset();
    const b = setup({ storage, newId: () => 'fresh-id-never-used-xx' });
    expect(b.client.pending().map((i) => i.id)).toEqual([id1, id2]);
    b.client.start();
    const ws = FakeSocket.last();
    welcome(ws);
    expect(ws.sent.slice(1).map((m) => m.id)).toEqual([id1, id2]);
    expect(ws.sent.slice(1)[0]).toMatchObject({ type: 'vote', value: 2 });
  });

  it('removes a message on ack, and only that one', () => {
    const { client, storage, acks } = setup();
    client.start();
    const ws = FakeSocket.last();
    welcome(ws);
    const id1 = client.send({ type: 'vote', activity: 'a1', statement: 's1', value: 1 });
    const id2 = client.send({ type: 'vote', activity: 'a1', statement: 's2', value: 5 });
    ws.receive({ type: 'ack', id: id1 });
    expect(acks).toEqual([id1]);
    expect(client.pending().map((i) => i.id)).toEqual([id2]);
    ws.receive({ type: 'ack', id: id1 }); // duplicate ack is harmless
    expect(acks).toEqual([id1]);
    ws.receive({ type: 'ack', id: id2 });
    expect(client.pending()).toEqual([]);
    expect(storage.getItem(KEY)).toBeNull();
  });

  it('removes a message on a terminal error and reports it; keeps it on a retryable one', () => {
    const { client, errors, timers } = setup();
    client.start();
    const ws = FakeSocket.last();
    welcome(ws);
    const id1 = client.send({ type: 'vote', activity: 'a1', statement: 's1', value: 9 });
    const id2 = client.send({ type: 'vote', activity: 'a1', statement: 's2', value: 3 });
    ws.receive({ type: 'error', id: id1, code: 'invalid_value', message: 'no' });
    ws.receive({ type: 'error', id: id2, code: 'unavailable', message: 'later' });
    expect(errors).toEqual([
      { code: 'invalid_value', id: id1, had: true },
      { code: 'unavailable', id: id2, had: true },
    ]);
    expect(client.pending().map((i) => i.id)).toEqual([id2]);
    const before = ws.sentOfType('vote').length;
    timers.advance(20_000);
    const again = ws.sentOfType('vote').slice(before);
    expect(again.map((m) => m.id)).toEqual([id2]); // resent, same id
  });

  it('drops the message a 1009 close refused, and resends the others', () => {
    const { client, timers, errors } = setup();
    client.start();
    const ws = FakeSocket.last();
    welcome(ws);
    const ok = client.send({ type: 'vote', activity: 'a1', statement: 's1', value: 3 });
    const big = client.send({ type: 'comment', activity: 'c1', text: 'x'.repeat(900) });
    ws.serverClose(1009);
    expect(errors).toEqual([{ code: 'too_large', id: big, had: true }]);
    timers.advance(1000);
    const ws2 = FakeSocket.last();
    welcome(ws2);
    expect(ws2.sent.slice(1).map((m) => m.id)).toEqual([ok]);
  });

  it('refuses a message larger than 16 KiB before sending it', () => {
    const { client } = setup();
    expect(() => client.send({ type: 'comment', activity: 'c', text: 'æ'.repeat(9000) })).toThrow(/too large/);
    expect(client.pending()).toEqual([]);
  });

  it('paces a large outbox in bursts', () => {
    const { client, timers } = setup({ flushBurst: 20 });
    for (let i = 0; i < 45; i++) client.send({ type: 'vote', activity: 'a', statement: `s${i}`, value: 1 });
    client.start();
    const ws = FakeSocket.last();
    welcome(ws);
    expect(ws.sentOfType('vote')).toHaveLength(20);
    timers.advance(1100);
    expect(ws.sentOfType('vote')).toHaveLength(40);
    timers.advance(1100);
    expect(ws.sentOfType('vote')).toHaveLength(45);
  });
});

describe('convergence', () => {
  it('sends resync when a beacon reports a newer version', () => {
    const { client, timers } = setup();
    client.start();
    const ws = FakeSocket.last();
    welcome(ws); // version 5
    ws.receive({ type: 'beacon', epoch: 'e1', version: 5 });
    expect(ws.sentOfType('resync')).toHaveLength(0);
    ws.receive({ type: 'state', version: 6, session: {} });
    ws.receive({ type: 'beacon', epoch: 'e1', version: 6 });
    expect(ws.sentOfType('resync')).toHaveLength(0);
    ws.receive({ type: 'beacon', epoch: 'e1', version: 8 }); // missed state 7 and 8
    expect(ws.sentOfType('resync')).toEqual([{ type: 'resync' }]);
    expect(ws.sentOfType('resync')[0]).not.toHaveProperty('id');
    ws.receive({ type: 'state', version: 8, session: {} });
    timers.advance(10_000);
    ws.receive({ type: 'beacon', epoch: 'e1', version: 8 });
    expect(ws.sentOfType('resync')).toHaveLength(1);
    expect(client.version).toBe(8);
  });

  it('sends resync when the epoch changes, and accepts the fresh state even with a lower version', () => {
    const { client, messages, epochs } = setup();
    client.start();
    const ws = FakeSocket.last();
    welcome(ws); // epoch e1, version 5
    ws.receive({ type: 'beacon', epoch: 'e2', version: 1 });
    expect(ws.sentOfType('resync')).toHaveLength(1);
    ws.receive({ type: 'state', version: 1, session: { id: 'fresh' } });
    expect(messages.filter((m) => m.type === 'state')).toHaveLength(1);
    expect(client.epoch).toBe('e2');
    expect(client.version).toBe(1);
    expect(epochs).toEqual([['e1', 'e2']]);
  });

  it('ignores a state older than the one it has', () => {
    const { client, messages } = setup();
    client.start();
    const ws = FakeSocket.last();
    welcome(ws);
    ws.receive({ type: 'state', version: 7, session: {} });
    ws.receive({ type: 'state', version: 6, session: {} });
    expect(messages.filter((m) => m.type === 'state')).toHaveLength(1);
    expect(client.version).toBe(7);
  });

  it('reports an epoch change seen in a new welcome', () => {
    const { client, timers, epochs } = setup();
    client.start();
    welcome(FakeSocket.last());
    FakeSocket.last().serverClose(1012);
    timers.advance(20_000);
    welcome(FakeSocket.last(), { epoch: 'e9', version: 1 });
    expect(epochs).toEqual([['e1', 'e9']]);
  });
});
