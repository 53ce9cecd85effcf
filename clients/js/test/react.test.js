// useNanokitProject and useNanokitProjectList in a real React tree (react-dom on happy-dom's DOM)
// against the real gateway: it renders the hub's state, re-renders when it
// changes, and a flood of messages costs a few renders, not one per message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Window } from 'happy-dom';
import WebSocket from 'ws';
import { Stack, waitFor } from '../../../tests/support/stack.mjs';

const window = new Window();
globalThis.window = window;
globalThis.document = window.document;
globalThis.navigator ??= window.navigator;
globalThis.HTMLElement ??= window.HTMLElement;
globalThis.IS_REACT_ACT_ENVIRONMENT = false; // updates come from the network, not act()

const React = await import('react');
const { createRoot } = await import('react-dom/client');
const { connect } = await import('../src/index.js');
const { useNanokitProject, useNanokitProjectList } = await import('../src/react.js');
const h = React.createElement;

let stack;
before(async () => { stack = await Stack.start(); });
after(async () => { await stack?.stop(); window.close(); });

test('useNanokitProject renders the project and follows it; a flood of messages costs a few renders', async () => {
  await stack.publish('hook', [{ statusUpdate: { resourceId: 'web', kind: 'service', status: 'DEPLOYING' } }]);
  const client = connect({ url: stack.wsUrl, token: stack.token, WebSocket, heartbeatIntervalMs: 200 });
  let renders = 0;
  function Status({ project }) {
    renders++;
    const { project: view, connection } = useNanokitProject(client, project);
    const rows = [...(view?.resources.values() ?? [])].map((r) => h('li', { key: r.resourceId }, `${r.resourceId}=${r.status}`));
    return h('div', null, h('p', null, connection.status), h('ul', null, rows));
  }
  const container = document.createElement('div');
  document.body.appendChild(container);
  const root = createRoot(container);
  try {
    root.render(h(Status, { project: 'hook' }));
    await waitFor('the snapshot rendered', () => container.textContent.includes('web=DEPLOYING'));
    await waitFor('live', () => container.textContent.startsWith('live'));
    assert.deepEqual(client.projects(), ['hook'], 'the hook subscribed');

    const before = renders;
    const events = [];
    for (let i = 0; i < 500; i++) {
      events.push({ statusUpdate: { resourceId: `r${i % 50}`, kind: 'service', status: i % 2 ? 'HEALTHY' : 'FAILED', message: `${i}` } });
    }
    events.push({ statusUpdate: { resourceId: 'web', kind: 'service', status: 'HEALTHY' } });
    await stack.publish('hook', events);
    await waitFor('the last update rendered', () => container.textContent.includes('web=HEALTHY'));
    assert.match(container.textContent, /r49=HEALTHY/);
    const flood = renders - before;
    assert.ok(flood < 100, `${flood} renders for 501 messages`);

    root.unmount();
    await waitFor('unsubscribed on unmount', () => client.projects().length === 0);
  } finally {
    client.close();
  }
});

test('useNanokitProjectList renders the projects the token may see and follows new ones', async () => {
  await stack.publish('hook-list-a', [{ statusUpdate: { resourceId: 'web', status: 'HEALTHY' } }]);
  const client = connect({ url: stack.wsUrl, token: stack.token, WebSocket, heartbeatIntervalMs: 200 });
  function Projects() {
    const { projects } = useNanokitProjectList(client);
    if (projects === null) return h('p', null, 'loading');
    return h('ul', null, projects.map((p) => h('li', { key: p.project }, `${p.project}@${p.seq}`)));
  }
  const container = document.createElement('div');
  document.body.appendChild(container);
  const root = createRoot(container);
  try {
    root.render(h(Projects));
    await waitFor('the list rendered', () => container.textContent.includes('hook-list-a@1'));
    await stack.publish('hook-list-b', [{ statusUpdate: { resourceId: 'web', status: 'HEALTHY' } }]);
    await waitFor('a new project rendered', () => container.textContent.includes('hook-list-b@1'), 5000);
    root.unmount();
  } finally {
    client.close();
  }
});
