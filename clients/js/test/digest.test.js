// The state digest against the vectors the C++ and Python sides check too
// (tests/vectors/rules/digests.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { applyChanges, projectFromSnapshot, stateDigest } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { cases } = JSON.parse(readFileSync(path.resolve(here, '../../../tests/vectors/rules/digests.json'), 'utf8'));

test('the state digest of each snapshot is the reference one', () => {
  assert.ok(cases.length >= 5);
  for (const c of cases) assert.equal(stateDigest(projectFromSnapshot(c.snapshot)), c.digest, c.name);
});

test('the digest follows the merged state, not its logs', () => {
  const view = projectFromSnapshot(cases[1].snapshot);
  const withLogs = applyChanges(view, [{ type: 'log_stream', seq: '4', logStream: { resourceId: 'web', lines: ['x'] } }]);
  assert.equal(stateDigest(withLogs), stateDigest(view));
  const changed = applyChanges(view, [{ type: 'status_update', seq: '4', statusUpdate: { resourceId: 'web', status: 'FAILED' } }]);
  assert.notEqual(stateDigest(changed), stateDigest(view));
});
