// NanokitClient against the real hub and gateway: merging matches the hub's
// GetSnapshot after random event sequences; a dropped or silent connection
// resumes without a snapshot; a gateway restart resyncs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { ConnectionStatus, connect, projectFromSnapshot, stateDigest } from '../src/index.js';
import { Stack, sleep, waitFor } from '../../../tests/support/stack.mjs';
import { TcpProxy } from '../../../tests/support/tcp_proxy.mjs';

const HEARTBEAT_MS = 200; // the Stack runs the gateway with --heartbeat-interval 200ms
const LOG_LINES = 200; // the hub's default --log-lines

// A WebSocket that records the type of every message it receives.
function tappedWebSocket(seen) {
  return class extends WebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        const m = JSON.parse(e.data);
        for (const inner of m.type === 'batch' ? m.messages : [m]) seen.push(inner.type);
      });
    }
  };
}

function randomEvents(n, rng, state) {
  const statuses = ['PENDING', 'DEPLOYING', 'HEALTHY', 'FAILED', 'STOPPED', 'UNKNOWN'];
  const pick = (list) => list[Math.floor(rng() * list.length)];
  const events = [];
  for (let i = 0; i < n; i++) {
    const resourceId = `r${Math.floor(rng() * 30)}`;
    const roll = rng();
    if (roll < 0.45) {
      events.push({ statusUpdate: { resourceId, kind: pick(['service', 'container']), status: pick(statuses), message: `m${i % 7}` } });
    } else if (roll < 0.5) {
      events.push({ statusUpdate: { resourceId, removed: true } });
    } else if (roll < 0.9) {
      const lines = Array.from({ length: 1 + Math.floor(rng() * 4) }, (_, k) => `line ${i}.${k}`);
      events.push({ logStream: { resourceId, stream: rng() < 0.2 ? 'STDERR' : 'STDOUT', lines } });
    } else if (roll < 0.95 || !state.open) {
      state.open = `rc${i}`;
      events.push({ reconcileStart: { reconcileId: state.open, actions: [{ resourceId, action: 'update' }] } });
    } else {
      events.push({ reconcileEnd: { reconcileId: state.open, outcome: pick(['SUCCEEDED', 'FAILED', 'CANCELLED']), message: 'done' } });
      state.open = null;
    }
  }
  return events;
}

// A deterministic generator, so a failure can be replayed.
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Both sides in one shape: what a dashboard shows.
function fromView(view) {
  return {
    seq: view.seq,
    resources: [...view.resources.values()].map((r) => ({
      resourceId: r.resourceId, kind: r.kind, status: r.status, message: r.message, updatedAt: r.updatedAt,
      logs: r.logs.map((l) => `${l.stream}:${l.text}`),
    })).sort((a, b) => a.resourceId.localeCompare(b.resourceId)),
    reconcile: view.reconcile && { ...view.reconcile, actions: view.reconcile.actions.map((a) => ({ ...a })) },
  };
}

function fromSnapshot(s) {
  const r = s.reconcile;
  return {
    seq: Number(s.seq ?? 0),
    resources: (s.resources ?? []).map((x) => ({
      resourceId: x.resourceId, kind: x.kind ?? '', status: x.status ?? 'UNKNOWN', message: x.message ?? '',
      updatedAt: x.updatedAt ?? null, logs: (x.recentLogs ?? []).map((l) => `${l.stream ?? 'STDOUT'}:${l.text ?? ''}`),
    })).sort((a, b) => a.resourceId.localeCompare(b.resourceId)),
    reconcile: r ? {
      reconcileId: r.reconcileId, actions: (r.actions ?? []).map((a) => ({ resourceId: a.resourceId, action: a.action })),
      startedAt: r.startedAt ?? null, endedAt: r.endedAt ?? null, running: Boolean(r.running),
      outcome: r.outcome ?? 'OUTCOME_UNSPECIFIED', message: r.message ?? '',
    } : null,
  };
}

// The client's merged state is the hub's: field by field, by state digest
// against the hub's snapshot, and by the digest a heartbeat carries.
async function assertMatchesHub(stack, client, project) {
  const snapshot = await stack.snapshot(project);
  await waitFor(`the client at seq ${snapshot.seq}`, () => client.project(project).seq === Number(snapshot.seq ?? 0));
  assert.deepEqual(fromView(client.project(project)), fromSnapshot(snapshot));
  assert.equal(stateDigest(client.project(project)), stateDigest(projectFromSnapshot(snapshot)));
  const checks = client.digestChecks;
  await waitFor('a heartbeat whose digest matches', () => client.digestChecks > checks);
  assert.equal(client.connection.resyncs, 0, 'no digest mismatch');
}

let stack;
before(async () => { stack = await Stack.start(); });
after(async () => { await stack?.stop(); });

function open(url, projects, seen = [], extra = {}) {
  return connect({
    url, token: stack.token, projects, WebSocket: tappedWebSocket(seen), heartbeatIntervalMs: HEARTBEAT_MS,
    maxLogLines: LOG_LINES, initialDelayMs: 50, maxDelayMs: 500, ...extra,
  });
}

test('merged state equals the hub\'s GetSnapshot after random event sequences', async () => {
  const client = open(stack.wsUrl, ['merge']);
  try {
    await waitFor('live', () => client.connection.status === ConnectionStatus.LIVE);
    const rng = mulberry32(20261126);
    const state = {};
    for (let round = 0; round < 4; round++) {
      await stack.publish('merge', randomEvents(400, rng, state));
      await assertMatchesHub(stack, client, 'merge');
    }
    assert.ok(client.project('merge').resources.size > 0);
  } finally {
    client.close();
  }
});

test('a dropped connection resumes from (epoch, seq): no second snapshot, nothing missed', async () => {
  const proxy = await TcpProxy.start(stack.gatewayPort);
  const seen = [];
  const statuses = [];
  const client = open(`ws://127.0.0.1:${proxy.port}/ws`, ['resume'], seen);
  client.onChange(({ connection }) => { if (connection) statuses.push(client.connection.status); });
  try {
    await stack.publish('resume', randomEvents(100, mulberry32(1), {}));
    await assertMatchesHub(stack, client, 'resume');
    proxy.stall(); // refuse reconnects until resume()
    proxy.cut();
    await waitFor('reconnecting with retries', () => client.connection.status === ConnectionStatus.RECONNECTING &&
      client.connection.retries >= 2);
    await stack.publish('resume', randomEvents(150, mulberry32(2), {}));
    proxy.resume();
    await waitFor('live again', () => client.connection.status === ConnectionStatus.LIVE);
    await assertMatchesHub(stack, client, 'resume');
    assert.equal(seen.filter((t) => t === 'snapshot').length, 1, `frames: ${seen.slice(0, 5)}`);
    assert.equal(seen.filter((t) => t === 'resumed').length, 1);
    assert.ok(statuses.includes(ConnectionStatus.RECONNECTING));
    assert.equal(client.connection.retries, 0);
  } finally {
    client.close();
    await proxy.close();
  }
});

test('a silent connection (no heartbeat for three intervals) is dropped and resumed', async () => {
  const proxy = await TcpProxy.start(stack.gatewayPort);
  const seen = [];
  const client = open(`ws://127.0.0.1:${proxy.port}/ws`, ['silence'], seen);
  try {
    await stack.publish('silence', randomEvents(20, mulberry32(3), {}));
    await assertMatchesHub(stack, client, 'silence');
    proxy.stall(); // TCP stays up; nothing flows
    const stalledAt = Date.now();
    await waitFor('the silence noticed', () => client.connection.status === ConnectionStatus.RECONNECTING);
    const noticedAfter = Date.now() - stalledAt;
    assert.ok(noticedAfter >= 2 * HEARTBEAT_MS, `noticed after ${noticedAfter} ms`);
    assert.equal(client.connection.closeCode, 4000);
    await stack.publish('silence', randomEvents(30, mulberry32(4), {}));
    proxy.resume();
    await waitFor('live again', () => client.connection.status === ConnectionStatus.LIVE);
    await assertMatchesHub(stack, client, 'silence');
    assert.equal(seen.filter((t) => t === 'snapshot').length, 1);
  } finally {
    client.close();
    await proxy.close();
  }
});

test('a gateway restart resyncs with a fresh snapshot of the hub\'s state', async () => {
  const seen = [];
  const client = open(stack.wsUrl, ['restart'], seen);
  try {
    await stack.publish('restart', randomEvents(100, mulberry32(5), {}));
    await assertMatchesHub(stack, client, 'restart');
    const port = stack.gatewayPort;
    await stack.gateway.stop('SIGKILL');
    await waitFor('reconnecting', () => client.connection.status === ConnectionStatus.RECONNECTING);
    await stack.publish('restart', randomEvents(100, mulberry32(6), {}));
    await stack.startGateway(port);
    await waitFor('live again', () => client.connection.status === ConnectionStatus.LIVE);
    await assertMatchesHub(stack, client, 'restart');
    assert.ok(seen.filter((t) => t === 'snapshot').length >= 2, 'the new gateway has no history: a snapshot');
  } finally {
    client.close();
  }
});

// A WebSocket that loses the status_update of one resource, once told to,
// and passes on the rest of its frame: a client whose merged state has
// gone wrong while its seq stays right.
function lossyWebSocket(control, Base) {
  return class extends Base {
    set onmessage(handler) {
      super.onmessage = handler && ((event) => {
        const lose = (m) => m.type === 'status_update' && m.statusUpdate?.resourceId === control.lose;
        if (control.lose) {
          const m = JSON.parse(event.data);
          const kept = m.type === 'batch' ? m.messages.filter((x) => !lose(x)) : (lose(m) ? [] : [m]);
          const all = m.type === 'batch' ? m.messages.length : 1;
          if (kept.length < all) {
            control.lose = null;
            control.lostAt = Date.now();
            if (kept.length === 0) return;
            handler({ data: JSON.stringify(kept.length === 1 ? kept[0] : { ...m, messages: kept }) });
            return;
          }
        }
        handler(event);
      });
    }
    get onmessage() { return super.onmessage; }
  };
}

test('a client whose merged state went wrong is repaired by the next heartbeat\'s state digest', async () => {
  const control = { lose: null };
  const seen = [];
  const client = open(stack.wsUrl, ['digest'], seen, { WebSocket: lossyWebSocket(control, tappedWebSocket(seen)) });
  try {
    await stack.publish('digest', randomEvents(50, mulberry32(7), {}));
    await assertMatchesHub(stack, client, 'digest');
    control.lose = 'lost-1';
    // One request, one hub batch, one frame: the client applies "after" and
    // reaches the hub's seq without "lost-1".
    await stack.publish('digest', [
      { statusUpdate: { resourceId: 'lost-1', status: 'FAILED', message: 'only once' } },
      { statusUpdate: { resourceId: 'after', status: 'HEALTHY' } },
    ]);
    await waitFor('a message lost', () => control.lostAt !== undefined);
    await waitFor('the digest mismatch noticed', () => client.connection.resyncs === 1);
    const noticedAfter = Date.now() - control.lostAt;
    const snapshot = await stack.snapshot('digest');
    await waitFor('the repaired state', () => client.project('digest').resources.has('lost-1'));
    assert.deepEqual(fromView(client.project('digest')), fromSnapshot(snapshot));
    // The next heartbeat notices; the snapshot follows at once.
    assert.ok(noticedAfter <= 2 * HEARTBEAT_MS + 300, `noticed after ${noticedAfter} ms`);
    assert.equal(seen.filter((t) => t === 'snapshot').length, 2, 'one fresh snapshot, no reconnect');
    assert.equal(client.connection.status, ConnectionStatus.LIVE);
  } finally {
    client.close();
  }
});

test('a bad token never connects, and says why it keeps retrying', async () => {
  const client = connect({ url: stack.wsUrl, token: 'wrong', projects: ['x'], WebSocket, initialDelayMs: 20,
    maxDelayMs: 50 });
  try {
    await waitFor('retries', () => client.connection.retries >= 3);
    assert.equal(client.connection.status, ConnectionStatus.CONNECTING);
    assert.equal(client.project('x').synced, false);
  } finally {
    client.close();
  }
  assert.equal(client.connection.status, ConnectionStatus.CLOSED);
});

test('projectList follows the projects the token may see, live, and never names another', async () => {
  const viewer = await stack.createToken(['--name', 'js-list-viewer', '--role', 'viewer', '--project', 'list-mine']);
  await stack.publish('list-mine', [{ statusUpdate: { resourceId: 'web', status: 'HEALTHY' } }]);
  await stack.publish('list-hidden', [{ statusUpdate: { resourceId: 'web', status: 'HEALTHY' } }]);
  const seen = [];
  const narrow = connect({ url: stack.wsUrl, token: viewer, WebSocket: tappedWebSocket(seen), watchProjects: true,
    heartbeatIntervalMs: HEARTBEAT_MS });
  const wide = open(stack.wsUrl, [], [], { watchProjects: true });
  const names = (client) => (client.projectList() ?? []).map((p) => p.project);
  try {
    await waitFor('the viewer\'s list', () => narrow.projectList() !== null);
    assert.deepEqual(names(narrow), ['list-mine']);
    assert.equal(narrow.projectList()[0].seq, 1);
    assert.ok(narrow.projectList()[0].lastChangeAt, 'last change is told');
    await waitFor('the admin\'s list', () => names(wide).includes('list-hidden'));

    await stack.publish('list-later', [{ statusUpdate: { resourceId: 'web', status: 'HEALTHY' } }]);
    await waitFor('a project published later shows up', () => names(wide).includes('list-later'));
    await sleep(1500); // the next change round reached the viewer too
    assert.deepEqual(names(narrow), ['list-mine']);

    narrow.subscribe('list-hidden');
    await waitFor('forbidden', () => narrow.project('list-hidden').forbidden === true);
    assert.equal(narrow.connection.lastError.code, 'forbidden');
    assert.equal(narrow.connection.status, ConnectionStatus.LIVE, 'the connection stays');
  } finally {
    narrow.close();
    wide.close();
  }
});

test('a revoked token closes the connection with 4401 and the client stops', async () => {
  const viewer = await stack.createToken(['--name', 'js-revoked', '--role', 'viewer', '--all-projects']);
  const client = connect({ url: stack.wsUrl, token: viewer, projects: ['revoked'], WebSocket,
    heartbeatIntervalMs: HEARTBEAT_MS, initialDelayMs: 20 });
  try {
    await waitFor('live', () => client.connection.status === ConnectionStatus.LIVE);
    await stack.revokeToken('js-revoked');
    await waitFor('closed by the gateway', () => client.connection.status === ConnectionStatus.CLOSED, 5000);
    assert.equal(client.connection.closeCode, 4401);
    assert.equal(client.connection.lastError.code, 'token_revoked');
    await sleep(300);
    assert.equal(client.connection.retries, 0, 'no retry with a revoked token');
  } finally {
    client.close();
  }
});
