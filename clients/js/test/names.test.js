// The name rules against the vectors the C++ side checks too
// (tests/vectors/rules/names.json, tests/unit/protocol_rules_test.cc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { connect, isValidProjectName, isValidResourceId } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = JSON.parse(readFileSync(path.resolve(here, '../../../tests/vectors/rules/names.json'), 'utf8'));

test('project names follow the shared vectors', () => {
  for (const name of vectors.projectNames.valid) assert.ok(isValidProjectName(name), JSON.stringify(name));
  for (const name of vectors.projectNames.invalid) assert.ok(!isValidProjectName(name), JSON.stringify(name));
});

test('resource ids follow the shared vectors', () => {
  for (const id of vectors.resourceIds.valid) assert.ok(isValidResourceId(id), JSON.stringify(id));
  for (const id of vectors.resourceIds.invalid) assert.ok(!isValidResourceId(id), JSON.stringify(id));
});

test('the client refuses a name the gateway would refuse, and says the rule', () => {
  class NoSocket { constructor() { throw new Error('not reached'); } }
  assert.throws(() => connect({ url: 'ws://127.0.0.1:1/ws', projects: ['-x'], WebSocket: NoSocket }),
    /starts with a letter or digit/);
});
