// The merge rules, without a network: what a view becomes after messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges, applyLiveness, connect, emptyProject, projectFromSnapshot } from '../src/index.js';

const snapshot = projectFromSnapshot({
  project: 'p', epoch: 'e1', seq: '10',
  resources: [
    { resourceId: 'web', kind: 'service', status: 'HEALTHY', message: 'ok', seq: '9', recentLogs: [{ text: 'a' }] },
    { resourceId: 'db', kind: 'container', status: 'PENDING', seq: '10' },
  ],
  reconcile: { reconcileId: 'r1', running: true, actions: [{ resourceId: 'web', action: 'update' }] },
  coreConnected: true,
});

const status = (seq, resourceId, s, extra = {}) => ({
  type: 'status_update', project: 'p', seq: String(seq), emittedAt: '2026-11-26T00:00:00Z',
  statusUpdate: { resourceId, status: s, ...extra },
});
const log = (seq, resourceId, lines, extra = {}) => ({
  type: 'log_stream', project: 'p', seq: String(seq), logStream: { resourceId, lines, ...extra },
});

test('a snapshot replaces the view; defaults omitted from JSON are filled in', () => {
  assert.equal(snapshot.seq, 10);
  assert.equal(snapshot.synced, true);
  assert.equal(snapshot.resources.get('db').status, 'PENDING');
  assert.equal(snapshot.resources.get('db').message, '');
  assert.deepEqual(snapshot.resources.get('web').logs, [{ stream: 'STDOUT', text: 'a' }]);
  assert.equal(snapshot.reconcile.outcome, 'OUTCOME_UNSPECIFIED');
  assert.equal(emptyProject('x').synced, false);
});

test('only the changed resource gets a new object', () => {
  const next = applyChanges(snapshot, [status(11, 'db', 'HEALTHY', { message: 'up' })]);
  assert.notEqual(next, snapshot);
  assert.equal(next.seq, 11);
  assert.equal(next.resources.get('web'), snapshot.resources.get('web'));
  assert.notEqual(next.resources.get('db'), snapshot.resources.get('db'));
  assert.equal(next.resources.get('db').status, 'HEALTHY');
  assert.equal(next.resources.get('db').kind, 'container', 'an update without kind keeps it');
  assert.equal(snapshot.resources.get('db').status, 'PENDING', 'views are immutable');
});

test('a message already applied (seq not above the view) changes nothing', () => {
  assert.equal(applyChanges(snapshot, [status(10, 'db', 'FAILED')]), snapshot);
  assert.equal(applyChanges(snapshot, [status(3, 'web', 'FAILED')]), snapshot);
});

test('a batch applies at once: logs appended once per resource, bounded, dropped lines counted', () => {
  const next = applyChanges(snapshot, [
    log(11, 'web', ['b', 'c']), log(12, 'web', ['d'], { stream: 'STDERR', droppedLines: '5' }),
    status(13, 'web', 'DEPLOYING'), log(14, 'web', ['e']),
  ], 3);
  const web = next.resources.get('web');
  assert.deepEqual(web.logs.map((l) => l.text), ['c', 'd', 'e']);
  assert.equal(web.logs[1].stream, 'STDERR');
  assert.equal(web.droppedLines, 5);
  assert.equal(web.status, 'DEPLOYING');
  assert.equal(next.seq, 14);
});

test('logs of a resource without status create it as UNKNOWN; removed deletes it', () => {
  let next = applyChanges(snapshot, [log(11, 'job', ['x'])]);
  assert.equal(next.resources.get('job').status, 'UNKNOWN');
  next = applyChanges(next, [status(12, 'job', undefined, { removed: true })]);
  assert.equal(next.resources.has('job'), false);
});

test('reconcile start and end; an end without its start keeps what is known', () => {
  let next = applyChanges(snapshot, [{
    type: 'reconcile_start', project: 'p', seq: '11', emittedAt: '2026-11-26T00:00:01Z',
    reconcileStart: { reconcileId: 'r2', actions: [{ resourceId: 'db', action: 'create' }] },
  }]);
  assert.equal(next.reconcile.running, true);
  assert.equal(next.reconcile.startedAt, '2026-11-26T00:00:01Z');
  next = applyChanges(next, [{
    type: 'reconcile_end', project: 'p', seq: '12', emittedAt: '2026-11-26T00:00:03Z',
    reconcileEnd: { reconcileId: 'r2', outcome: 'FAILED', message: 'db failed' },
  }]);
  assert.deepEqual({ ...next.reconcile, actions: [...next.reconcile.actions] }, {
    reconcileId: 'r2', actions: [{ resourceId: 'db', action: 'create' }], startedAt: '2026-11-26T00:00:01Z',
    endedAt: '2026-11-26T00:00:03Z', running: false, outcome: 'FAILED', message: 'db failed',
  });
  next = applyChanges(next, [{ type: 'reconcile_end', project: 'p', seq: '13', reconcileEnd: { reconcileId: 'r9' } }]);
  assert.equal(next.reconcile.reconcileId, 'r9');
  assert.equal(next.reconcile.startedAt, null);
});

test('unknown message types are ignored', () => {
  const next = applyChanges(snapshot, [{ type: 'from_the_future', project: 'p', seq: '11' }]);
  assert.equal(next.resources, snapshot.resources);
});

test('liveness from heartbeats', () => {
  const next = applyLiveness(snapshot, { project: 'p', coreConnected: false, coreChangedAt: '2026-11-26T00:00:09Z' });
  assert.equal(next.coreConnected, false);
  assert.equal(applyLiveness(next, { project: 'p', coreChangedAt: '2026-11-26T00:00:09Z' }), next);
});

test('a name the gateway would refuse is refused at once', () => {
  const WebSocket = class { constructor() { throw new Error('must not connect'); } };
  assert.throws(() => connect({ url: 'ws://127.0.0.1:1/ws', projects: ['no such/project'], WebSocket }), /not a project name/);
  assert.throws(() => connect({ url: 'ws://127.0.0.1:1/ws', projects: ['x'.repeat(129)], WebSocket }), /not a project name/);
});
