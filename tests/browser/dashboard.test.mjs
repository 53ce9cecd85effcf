// The dashboard in a real browser (Debian's chromium, driven by
// playwright-core) against the real hub, gateway and a core. Screenshots go
// to $NANOKIT_ARTIFACTS (default <build>/artifacts/browser).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, shot } from '../support/browser.mjs';
import { Stack } from '../support/stack.mjs';

let stack;
let browser;

before(async () => {
  stack = await Stack.start();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function openPage(fragment) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${stack.httpUrl}#${fragment}`);
  return { page, errors };
}


test('the dashboard shows the core\'s resources and follows changes live, through a gateway restart', async () => {
  await stack.publish('shop', [
    { reconcileStart: { reconcileId: 'r1', actions: [{ resourceId: 'web', action: 'update' }, { resourceId: 'db', action: 'create' }] } },
    { statusUpdate: { resourceId: 'web', kind: 'service', status: 'DEPLOYING', message: 'rolling out' } },
    { statusUpdate: { resourceId: 'db', kind: 'container', status: 'PENDING', message: 'waiting' } },
    { logStream: { resourceId: 'web', lines: ['starting web', 'listening on :8080'] } },
  ]);
  const { page, errors } = await openPage(`token=${stack.token}&project=shop`);
  try {
    const web = page.locator('section[data-project="shop"] tr[data-resource="web"]');
    await web.waitFor();
    assert.equal(await web.getAttribute('data-status'), 'DEPLOYING');
    assert.match(await web.innerText(), /rolling out/);
    assert.equal(await page.locator('#connection').getAttribute('data-status'), 'live');
    assert.match(await page.locator('section[data-project="shop"] .reconcile').innerText(), /Reconcile r1[\s\S]*RUNNING[\s\S]*db: create/);

    // The log panel of a resource follows its output.
    await web.click();
    await page.locator('.logs pre', { hasText: 'listening on :8080' }).waitFor();

    // A status change appears within a second, without a reload.
    const loads = [];
    page.on('load', () => loads.push(Date.now()));
    const before = Date.now();
    await stack.publish('shop', [
      { statusUpdate: { resourceId: 'web', kind: 'service', status: 'HEALTHY', message: 'serving' } },
      { logStream: { resourceId: 'web', lines: ['ready'] } },
      { reconcileEnd: { reconcileId: 'r1', outcome: 'SUCCEEDED' } },
    ]);
    const published = Date.now();
    await page.waitForSelector('section[data-project="shop"] tr[data-resource="web"][data-status="HEALTHY"]', { timeout: 1000 });
    const shown = Date.now();
    assert.ok(shown - published < 1000, `shown ${shown - published} ms after the hub acknowledged (publish took ${published - before} ms)`);
    await page.locator('.logs pre', { hasText: 'ready' }).waitFor({ timeout: 1000 });
    await page.locator('section[data-project="shop"] .reconcile[data-outcome="SUCCEEDED"]').waitFor({ timeout: 1000 });
    assert.deepEqual(loads, [], 'no reload');
    await shot(page, '1-live');

    // Paused, the log panel holds still and says lines are waiting; resumed, it shows them.
    const logs = page.locator('.logs pre');
    await page.getByRole('button', { name: 'Pause' }).click();
    await stack.publish('shop', [{ logStream: { resourceId: 'web', lines: ['while paused'] } }]);
    await page.locator('.logs .hint', { hasText: 'new lines waiting' }).waitFor({ timeout: 2000 });
    assert.doesNotMatch(await logs.innerText(), /while paused/);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.logs pre', { hasText: 'while paused' }).waitFor({ timeout: 1000 });
    assert.equal((await logs.innerText()).trim().split('\n').length, 4, 'each line once');

    // Past the client's bound (500 lines) the oldest lines leave the panel as new ones arrive.
    for (let chunk = 0; chunk < 3; chunk++) {
      const lines = Array.from({ length: 250 }, (_, i) => `bulk ${chunk * 250 + i}`);
      await stack.publish('shop', [{ logStream: { resourceId: 'web', lines } }]);
      await page.locator('.logs pre', { hasText: `bulk ${chunk * 250 + 249}` }).waitFor({ timeout: 2000 });
    }
    const [shownLines, keptLines] = await page.evaluate(() => [
      document.querySelector('.logs pre').textContent.trimEnd().split('\n'),
      window.nanokit.project('shop').resources.get('web').logs.map((l) => l.text),
    ]);
    assert.equal(keptLines.length, 500);
    assert.deepEqual(shownLines, keptLines);

    // The gateway dies: the page says so, and keeps the last state.
    const port = stack.gatewayPort;
    await stack.gateway.stop('SIGKILL');
    const banner = page.locator('#banner');
    await page.waitForFunction(() => /Reconnecting… \(attempt \d+\)/.test(document.getElementById('banner').textContent));
    assert.equal(await page.locator('#connection').getAttribute('data-status'), 'reconnecting');
    assert.equal(await web.getAttribute('data-status'), 'HEALTHY', 'the last known state stays on screen');
    await shot(page, '2-reconnecting');

    // The core moves on meanwhile; the gateway comes back; the page is live with the hub's state.
    await stack.publish('shop', [{ statusUpdate: { resourceId: 'db', kind: 'container', status: 'FAILED', message: 'disk full' } }]);
    await stack.startGateway(port);
    await page.waitForSelector('#connection[data-status="live"]', { timeout: 15000 });
    await page.waitForSelector('section[data-project="shop"] tr[data-resource="db"][data-status="FAILED"]', { timeout: 2000 });
    assert.equal(await banner.isHidden(), true);
    assert.deepEqual(loads, [], 'no reload');
    await shot(page, '3-live-again');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('a page without the token says what to do instead of showing nothing', async () => {
  const { page, errors } = await openPage('project=shop');
  try {
    const notice = page.locator('.notice');
    await notice.waitFor();
    assert.match(await notice.innerText(), /needs the gateway's token/);
    assert.match(await notice.innerText(), /#token=/);
    await shot(page, '4-no-token');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('a wrong token is named as such', async () => {
  const { page } = await openPage('token=not-the-token&project=shop');
  try {
    await page.locator('.notice', { hasText: 'does not accept this token' }).waitFor();
  } finally {
    await page.close();
  }
});

test('the demo core: several projects, badges, and "core disconnected since"', async () => {
  await stack.publish('other', [{ statusUpdate: { resourceId: 'queue', kind: 'service', status: 'STOPPED' } }]);
  const demo = stack.startDemo('demo', ['--interval', '50ms']);
  const { page, errors } = await openPage(`token=${stack.token}&project=demo&project=other`);
  try {
    for (const id of ['web', 'api', 'worker', 'db', 'cache']) {
      await page.locator(`section[data-project="demo"] tr[data-resource="${id}"]`).waitFor();
    }
    await page.locator('section[data-project="other"] tr[data-resource="queue"][data-status="STOPPED"]').waitFor();
    assert.match(await page.locator('section[data-project="demo"] .core').innerText(), /core connected/);
    // Every badge carries its status as text (not colour alone).
    const badges = await page.evaluate(() => [...document.querySelectorAll('.badge')]
      .map((b) => [b.textContent, b.dataset.status, getComputedStyle(b).color]));
    assert.ok(badges.length >= 6);
    for (const [text, status] of badges) assert.equal(text, status);
    // Distinct colours per status, beside the text and the icon.
    const colours = new Map(badges.map(([, status, colour]) => [status, colour]));
    assert.equal(new Set(colours.values()).size, colours.size);
    await shot(page, '5-demo');
    await demo.stop();
    await page.locator('section[data-project="demo"] .core[data-connected="false"]', { hasText: 'core disconnected since' })
      .waitFor({ timeout: 20000 });
    await shot(page, '6-core-gone');
    assert.deepEqual(errors, []);
  } finally {
    await demo.stop();
    await page.close();
  }
});

test('a link without a project finds the viewer\'s projects live, and never one it may not see', async () => {
  const viewer = await stack.createToken(['--name', 'browser-viewer', '--role', 'viewer',
    '--project', 'found-a', '--project', 'found-b']);
  const status = (id, st) => [{ statusUpdate: { resourceId: id, kind: 'service', status: st } }];
  await stack.publish('found-a', status('web', 'HEALTHY'));
  await stack.publish('found-secret', status('vault', 'HEALTHY'));
  const { page, errors } = await openPage(`token=${viewer}`);
  try {
    // One project visible: it is shown open.
    await page.locator('section[data-project="found-a"] tr[data-resource="web"]').waitFor();
    await page.locator('nav.project-list li[data-project="found-a"][aria-current="true"]').waitFor();
    assert.match(await page.locator('nav.project-list li[data-project="found-a"]').innerText(), /changed/);

    // A project published after the page opened shows up, without a reload;
    // one the viewer may not see never does.
    const loads = [];
    page.on('load', () => loads.push(Date.now()));
    await stack.publish('found-b', status('api', 'DEPLOYING'));
    await stack.publish('found-secret', status('vault', 'FAILED'));
    await page.locator('nav.project-list li[data-project="found-b"]').waitFor({ timeout: 5000 });
    await page.waitForTimeout(1500); // a list round later
    assert.deepEqual(await page.locator('nav.project-list li').evaluateAll((items) => items.map((i) => i.dataset.project)),
      ['found-a', 'found-b']);
    assert.ok(!(await page.content()).includes('found-secret'), 'the forbidden project is named nowhere');
    await page.locator('nav.project-list li[data-project="found-b"] button').click();
    await page.locator('section[data-project="found-b"] tr[data-resource="api"][data-status="DEPLOYING"]').waitFor();
    assert.equal(await page.locator('section.project').count(), 1, 'one project open at a time');
    assert.deepEqual(loads, [], 'no reload');
    await shot(page, '8-discovery');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }

  // With several, the most recently active is the one open.
  const again = await openPage(`token=${viewer}`);
  try {
    await again.page.locator('section[data-project="found-b"]').waitFor();
    assert.equal(await again.page.locator('nav.project-list li').count(), 2);
  } finally {
    await again.page.close();
  }
});

test('1000 resources and a flood of updates: rows are patched, not re-rendered', async () => {
  const resources = Array.from({ length: 1000 }, (_, i) => `svc-${String(i).padStart(4, '0')}`);
  await stack.publish('big', resources.map((resourceId) => ({ statusUpdate: { resourceId, kind: 'service', status: 'PENDING' } })));
  const { page, errors } = await openPage(`token=${stack.token}&project=big`);
  try {
    await page.waitForFunction(() => document.querySelectorAll('section[data-project="big"] tr.resource').length === 1000);
    // Mark every row node; a re-render would replace them.
    await page.evaluate(() => {
      window.mutatedRows = 0;
      for (const row of document.querySelectorAll('section[data-project="big"] tr.resource')) row.marked = true;
    });
    const updates = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100; i++) {
        const resourceId = resources[(round * 100 + i * 7) % 1000];
        updates.push({ statusUpdate: { resourceId, kind: 'service', status: round % 2 ? 'HEALTHY' : 'DEPLOYING', message: `round ${round}` } });
      }
    }
    await stack.publish('big', updates);
    const last = updates.at(-1).statusUpdate;
    await page.waitForSelector(`tr[data-resource="${last.resourceId}"][data-status="${last.status}"]`);
    const kept = await page.evaluate(() => [...document.querySelectorAll('section[data-project="big"] tr.resource')]
      .filter((row) => row.marked).length);
    assert.equal(kept, 1000, 'every row node survived: only cells were patched');
    await shot(page, '7-thousand');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
