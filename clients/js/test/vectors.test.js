// The protocol's examples (tests/vectors, shown in docs/protocol.md) from
// JavaScript: every field of every example is declared in messages.d.ts
// (generated from proto/) with a matching JSON type, and the client's merge
// applies them as the document says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { applyChanges, applyLiveness, projectFromSnapshot } from '../src/index.js';

const here = import.meta.dirname;
const vectorsDir = path.resolve(here, '../../../tests/vectors');
const text = (name) => readFileSync(path.join(vectorsDir, name), 'utf8').replace(/\n+$/, '');
const vector = (name) => JSON.parse(text(name));

// messages.d.ts -> { Interface: { field: 'type' } } and { EnumType: Set(values) }.
function readDeclarations() {
  const source = readFileSync(path.resolve(here, '../src/messages.d.ts'), 'utf8');
  const interfaces = {};
  for (const [, name, body] of source.matchAll(/export interface (\w+) \{\n([^}]*)\}/g)) {
    interfaces[name] = Object.fromEntries([...body.matchAll(/^ {2}(\w+)\?: ([\w[\]]+);$/gm)].map((m) => [m[1], m[2]]));
  }
  const enums = {};
  for (const [, name, values] of source.matchAll(/export type (\w+) = ((?:"\w+"(?: \| )?)+);/g)) {
    enums[name] = new Set([...values.matchAll(/"(\w+)"/g)].map((m) => m[1]));
  }
  return { interfaces, enums };
}
const { interfaces, enums } = readDeclarations();

function check(value, type, where) {
  if (type.endsWith('[]')) {
    assert.ok(Array.isArray(value), `${where}: expected a list`);
    value.forEach((item, i) => check(item, type.slice(0, -2), `${where}[${i}]`));
  } else if (type === 'string' || type === 'Timestamp') {
    assert.equal(typeof value, 'string', `${where}: expected a string`);
    if (type === 'Timestamp') assert.ok(!Number.isNaN(Date.parse(value)), `${where}: not RFC 3339`);
  } else if (type === 'Duration') {
    assert.match(value, /^\d+(\.\d+)?s$/, `${where}: not a Duration`);
  } else if (type === 'boolean' || type === 'number') {
    assert.equal(typeof value, type, where);
  } else if (enums[type]) {
    assert.ok(enums[type].has(value), `${where}: "${value}" is not a ${type}`);
  } else {
    const fields = interfaces[type];
    assert.ok(fields, `${where}: no type ${type} in messages.d.ts`);
    for (const [key, v] of Object.entries(value)) {
      assert.ok(key in fields, `${where}.${key} is not a field of ${type}`);
      check(v, fields[key], `${where}.${key}`);
    }
  }
}

const files = readdirSync(vectorsDir).filter((f) => f.endsWith('.json')).sort();

test('every example is compact JSON whose every field messages.d.ts declares', () => {
  assert.ok(files.length >= 12);
  for (const name of files) {
    const raw = text(name);
    assert.equal(JSON.stringify(JSON.parse(raw)), raw, `${name} round-trips`);
    check(JSON.parse(raw), name.startsWith('client-') ? 'ClientMessage' : 'ServerMessage', name);
  }
});

test('the check above does catch a field the protocol lacks', () => {
  assert.throws(() => check({ type: 'x', colour: 'red' }, 'ServerMessage', 'm'), /colour is not a field/);
  assert.throws(() => check({ statusUpdate: { status: 'GREEN' } }, 'ServerMessage', 'm'), /not a Status/);
});

test('the examples, applied in the order of the document, give the state it describes', () => {
  const snapshot = vector('server-snapshot.json');
  let view = projectFromSnapshot(snapshot.snapshot);
  assert.equal(view.seq, 41);
  assert.equal(view.epoch, '5ae2dcc177fe17bd');
  assert.deepEqual(view.resources.get('web').logs.map((l) => l.stream), ['STDOUT', 'STDERR']);
  assert.equal(view.reconcile.running, true);

  view = applyChanges(view, vector('server-resumed.json').messages);
  assert.equal(view.seq, 43);
  assert.equal(view.resources.get('web').status, 'HEALTHY');
  assert.equal(view.resources.get('web').logs.at(-1).text, 'Starting web (r7)');

  for (const name of ['server-status_update.json', 'server-status_update-removed.json', 'server-log_stream.json',
    'server-reconcile_start.json', 'server-reconcile_end.json']) {
    view = applyChanges(view, [vector(name)]);
  }
  assert.equal(view.seq, 48);
  const api = view.resources.get('api');
  assert.equal(api.status, 'FAILED');
  assert.equal(api.droppedLines, 120);
  assert.deepEqual(api.logs.map((l) => `${l.stream}:${l.text}`),
    ['STDERR:panic: out of memory', 'STDERR:goroutine 1 [running]:']);
  assert.equal(view.resources.has('cache'), false);
  assert.deepEqual({ running: view.reconcile.running, outcome: view.reconcile.outcome, actions: view.reconcile.actions.length },
    { running: false, outcome: 'FAILED', actions: 2 });

  const heartbeat = vector('server-heartbeat.json').heartbeat;
  assert.equal(applyLiveness(view, heartbeat.projects[0]).coreConnected, true);

  const batch = vector('server-batch.json').messages;
  view = applyChanges(view, batch.filter((m) => m.type !== 'heartbeat'));
  assert.equal(view.seq, 51);
  assert.equal(view.resources.get('api').status, 'DEPLOYING');
  // Applying what was already applied changes nothing.
  assert.equal(applyChanges(view, vector('server-resumed.json').messages), view);
});
