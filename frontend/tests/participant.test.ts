import { beforeEach, describe, expect, it } from 'vitest';
import { ParticipantStore, voteKey } from '../src/lib/stores/participant.svelte';
import { MemoryKV } from '../src/lib/live/storage';
import { FakeSocket } from './fakes';

const snapshot = (over: Record<string, unknown> = {}) => ({
  id: 's', title: 'T', state: 'live', language: 'da', groups: [], current_section: 'sec1',
  section: { id: 'sec1', title: 'Værdigrundlag', body: '', statements: [{ id: 'st1', text: 'Respekt' }] },
  activities: [
    { id: 'a1', kind: 'scale', section: 'sec1', statements: ['st1'], min: 1, max: 5, state: 'open', results: 'hidden' },
    { id: 'c1', kind: 'comments', section: 'sec1', state: 'open', results: 'shown', tally: { comments: [], n: 0 } },
  ],
  ...over,
});

function connect(store: ParticipantStore, mine: Record<string, unknown> = { votes: [], comments: [] }) {
  store.start();
  const ws = FakeSocket.last();
  ws.open();
  ws.receive({ type: 'welcome', participant: 'tok-1', epoch: 'e', version: 1, session: snapshot(), mine });
  return ws;
}

beforeEach(() => FakeSocket.reset());

describe('participant store', () => {
  it('shows "sending" until the ack, then "saved"; keeps the resume token', () => {
    const kv = new MemoryKV();
    const store = new ParticipantStore('123456', { WebSocket: FakeSocket, storage: kv, url: 'ws://x' });
    const ws = connect(store);
    expect(kv.getItem('pejl:p:123456')).toBe('tok-1');
    store.vote('a1', 'st1', 4);
    const key = voteKey('a1', 'st1');
    expect(store.votes[key]).toBe(4);
    expect(store.receipts[key].status).toBe('sending');
    const sent = ws.sentOfType('vote')[0];
    ws.receive({ type: 'ack', id: sent.id });
    expect(store.receipts[key].status).toBe('saved');
    store.stop();
  });

  it('"ved ikke" is an answer (null); taking an answer back sends retract and leaves no answer', () => {
    const store = new ParticipantStore('123456', { WebSocket: FakeSocket, storage: new MemoryKV(), url: 'ws://x' });
    const ws = connect(store, { votes: [{ activity: 'a1', statement: 'st1', value: 2 }], comments: [] });
    const key = voteKey('a1', 'st1');
    store.vote('a1', 'st1', null);
    expect(store.answered('a1', 'st1')).toBe(true);
    expect(store.votes[key]).toBeNull();
    const dk = ws.sentOfType('vote')[0];
    expect(dk.value).toBeNull();
    ws.receive({ type: 'ack', id: dk.id });
    store.retract('a1', 'st1');
    const back = ws.sentOfType('vote')[1];
    expect(back).toMatchObject({ activity: 'a1', statement: 'st1', retract: true });
    expect(back.value).toBeUndefined();
    expect(store.answered('a1', 'st1')).toBe(false);
    ws.receive({ type: 'ack', id: back.id });
    expect(store.receipts[key].status).toBe('saved');
    // A later refusal of another answer reverts to "no answer", not to the old value.
    store.vote('a1', 'st1', 5);
    const late = ws.sentOfType('vote')[2];
    ws.receive({ type: 'error', id: late.id, code: 'activity_closed', message: 'closed' });
    expect(store.answered('a1', 'st1')).toBe(false);
    store.stop();
  });

  it('reverts to the saved answer when the server refuses a new one', () => {
    const store = new ParticipantStore('123456', { WebSocket: FakeSocket, storage: new MemoryKV(), url: 'ws://x' });
    const ws = connect(store, { votes: [{ activity: 'a1', statement: 'st1', value: 2 }], comments: [] });
    const key = voteKey('a1', 'st1');
    expect(store.votes[key]).toBe(2);
    expect(store.receipts[key].status).toBe('saved');
    store.vote('a1', 'st1', 5);
    const sent = ws.sentOfType('vote')[0];
    ws.receive({ type: 'error', id: sent.id, code: 'activity_closed', message: 'closed' });
    expect(store.votes[key]).toBe(2);
    expect(store.receipts[key].status).toBe('failed');
    store.stop();
  });

  it('after a reload, shows the unsent answer as "sending" and resends it with the same id', () => {
    const kv = new MemoryKV();
    const a = new ParticipantStore('123456', { WebSocket: FakeSocket, storage: kv, url: 'ws://x' });
    connect(a);
    FakeSocket.last().serverClose(1006);
    a.vote('a1', 'st1', 3); // offline
    const id = a.receipts[voteKey('a1', 'st1')].id;
    a.stop();

    FakeSocket.reset();
    const b = new ParticipantStore('123456', { WebSocket: FakeSocket, storage: kv, url: 'ws://x' });
    expect(b.votes[voteKey('a1', 'st1')]).toBe(3);
    expect(b.receipts[voteKey('a1', 'st1')]).toMatchObject({ status: 'sending', id });
    b.start();
    const ws = FakeSocket.last();
    ws.open();
    expect(ws.sent[0]).toMatchObject({ type: 'hello', participant: 'tok-1' });
    ws.receive({ type: 'welcome', participant: 'tok-1', epoch: 'e', version: 2, session: snapshot(), mine: { votes: [], comments: [] } });
    expect(ws.sentOfType('vote')).toEqual([{ type: 'vote', activity: 'a1', statement: 'st1', value: 3, id }]);
    ws.receive({ type: 'ack', id });
    expect(b.receipts[voteKey('a1', 'st1')].status).toBe('saved');
    b.stop();
  });

  it('replaces an unsent older answer to the same question instead of queueing both', () => {
    const store = new ParticipantStore('123456', { WebSocket: FakeSocket, storage: new MemoryKV(), url: 'ws://x' });
    store.vote('a1', 'st1', 1);
    store.vote('a1', 'st1', 5);
    store.start();
    const ws = FakeSocket.last();
    ws.open();
    ws.receive({ type: 'welcome', participant: 't', epoch: 'e', version: 1, session: snapshot(), mine: { votes: [], comments: [] } });
    expect(ws.sentOfType('vote').map((m) => m.value)).toEqual([5]);
    store.stop();
  });

  it('upserts comments and removes a hidden one', () => {
    const store = new ParticipantStore('123456', { WebSocket: FakeSocket, storage: new MemoryKV(), url: 'ws://x' });
    const ws = connect(store);
    ws.receive({ type: 'comment', comment: { id: 'k1', activity: 'c1', text: 'Hej', upvotes: 0, hidden: false, starred: false } });
    ws.receive({ type: 'comment', comment: { id: 'k1', activity: 'c1', text: 'Hej', upvotes: 2, hidden: false, starred: true } });
    expect(store.comments.k1).toMatchObject({ upvotes: 2, starred: true });
    ws.receive({ type: 'comment', comment: { id: 'k1', hidden: true } });
    expect(store.comments.k1).toBeUndefined();
    store.stop();
  });

  it('stops on 4501 and shows the thank-you', () => {
    const store = new ParticipantStore('123456', { WebSocket: FakeSocket, storage: new MemoryKV(), url: 'ws://x' });
    const ws = connect(store);
    ws.serverClose(4501);
    expect(store.ended).toBe(true);
    expect(store.conn.status).toBe('stopped');
  });

  it('tells "not opened yet" from "closed"', () => {
    const store = new ParticipantStore('123456', { WebSocket: FakeSocket, storage: new MemoryKV(), url: 'ws://x' });
    store.start();
    const ws = FakeSocket.last();
    ws.open();
    const closed = snapshot();
    (closed.activities as { state: string }[])[0].state = 'closed';
    (closed.activities as { state: string }[])[1].state = 'closed';
    ws.receive({ type: 'welcome', participant: 't', epoch: 'e', version: 1, session: closed, mine: { votes: [], comments: [] } });
    expect(store.closedNote('a1')).toBe('Afstemningen er ikke åbnet endnu');
    // Comments are not called votes.
    expect(store.closedNote('c1')).toBe('Der er ikke åbnet for kommentarer endnu');
    ws.receive({ type: 'state', version: 2, session: snapshot() });
    ws.receive({ type: 'state', version: 3, session: closed });
    expect(store.closedNote('a1')).toBe('Afstemningen er lukket');
    expect(store.closedNote('c1')).toBe('Der er lukket for kommentarer');
    store.stop();
  });
});
