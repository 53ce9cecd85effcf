// The Nanokit dashboard: plain DOM, no framework. One NanokitClient feeds
// every project panel. Changes are drawn once per animation frame, and only
// the rows whose resource object changed are touched (the client shares
// unchanged objects between views), so a flood of updates never re-renders
// the page.
//
// The URL fragment carries the settings, and never reaches a server:
//   #token=TOKEN&project=demo&project=other
// Without a project in it, the page lists every project the token may see,
// live (the "projects" messages), and opens one: the only one, or the most
// recently active.

import { ConnectionStatus, PROJECT_NAME, connect } from './client/index.js';

const STATUSES = new Set(['PENDING', 'DEPLOYING', 'HEALTHY', 'FAILED', 'STOPPED', 'UNKNOWN']);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// "12s ago", "5m ago", "3h ago": coarse on purpose so the text settles.
function ago(timestamp, now) {
  if (!timestamp) return '';
  const seconds = Math.max(0, Math.round((now - Date.parse(timestamp)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

function clockTime(timestamp) {
  return timestamp ? new Date(timestamp).toLocaleTimeString() : '';
}

function duration(from, to) {
  if (!from || !to) return '';
  const ms = Math.max(0, Date.parse(to) - Date.parse(from));
  return ms < 10000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

// One row of the resources table. Remembers the resource object it shows,
// and writes only the cells that differ.
class ResourceRow {
  constructor(resource, onSelect) {
    this.badge = el('span', { className: 'badge' });
    this.kind = el('td', { className: 'kind' });
    this.message = el('td', { className: 'message' });
    this.agoCell = el('td', { className: 'ago' });
    this.node = el('tr', { className: 'resource', tabIndex: 0 },
      el('td', {}, this.badge), el('td', { className: 'id', textContent: resource.resourceId }),
      this.kind, this.message, this.agoCell);
    this.node.dataset.resource = resource.resourceId;
    this.node.addEventListener('click', () => onSelect(resource.resourceId));
    this.node.addEventListener('keydown', (e) => { if (e.key === 'Enter') onSelect(resource.resourceId); });
    this.resource = null;
    this.update(resource, Date.now());
  }

  update(resource, now) {
    const previous = this.resource;
    this.resource = resource;
    if (!previous || previous.status !== resource.status) {
      const status = STATUSES.has(resource.status) ? resource.status : 'UNKNOWN';
      this.badge.dataset.status = status;
      this.badge.textContent = status;
      this.node.dataset.status = status;
    }
    if (!previous || previous.kind !== resource.kind) this.kind.textContent = resource.kind;
    if (!previous || previous.message !== resource.message) this.message.textContent = resource.message;
    if (!previous || previous.updatedAt !== resource.updatedAt) {
      this.agoCell.title = resource.updatedAt ? new Date(resource.updatedAt).toLocaleString() : '';
    }
    this.tick(now);
  }

  tick(now) {
    const text = ago(this.resource.updatedAt, now);
    if (this.agoCell.textContent !== text) this.agoCell.textContent = text;
  }
}

// The log tail of one resource. Follows the end unless paused or scrolled up.
class LogPanel {
  constructor() {
    this.name = el('span', { className: 'name' });
    this.hint = el('span', { className: 'hint' });
    this.pauseButton = el('button', { type: 'button', textContent: 'Pause' });
    this.pre = el('pre', { tabIndex: 0 });
    this.node = el('section', { className: 'logs', hidden: true },
      el('div', { className: 'logs-head' }, el('span', { textContent: 'Logs of' }), this.name, this.hint,
        this.pauseButton),
      this.pre);
    this.paused = false;
    this.resourceId = null;
    this.shown = null; // the resource object whose logs are drawn
    this.pauseButton.addEventListener('click', () => {
      this.paused = !this.paused;
      this.pauseButton.textContent = this.paused ? 'Resume' : 'Pause';
      this.draw(this.latest, true);
    });
  }

  show(resourceId, resource) {
    this.resourceId = resourceId;
    this.node.hidden = false;
    this.name.textContent = resourceId;
    this.shown = null;
    this.draw(resource, true);
  }

  hide() {
    this.resourceId = null;
    this.node.hidden = true;
  }

  draw(resource, force = false) {
    this.latest = resource;
    if (!this.paused || force) this.render(resource);
    this.updateHint();
  }

  // The <pre> holds one node per line of the resource's logs. Appending is
  // the common case: keep the lines still there (the oldest fall off the
  // bounded buffer), add only the new ones.
  render(resource) {
    if (!resource || resource === this.shown) return;
    const previous = this.shown;
    this.shown = resource;
    const follow = this.pre.scrollTop + this.pre.clientHeight >= this.pre.scrollHeight - 4;
    const logs = resource.logs;
    let from = 0;
    const kept = previous && previous.logs.length > 0 && this.pre.childNodes.length === previous.logs.length
      ? logs.lastIndexOf(previous.logs.at(-1)) : -1;
    if (kept >= 0) {
      for (let drop = previous.logs.length - (kept + 1); drop > 0; drop--) this.pre.firstChild.remove();
      from = kept + 1;
    } else {
      this.pre.replaceChildren();
    }
    const fragment = document.createDocumentFragment();
    for (let i = from; i < logs.length; i++) {
      const line = logs[i];
      fragment.append(line.stream === 'STDERR'
        ? el('span', { className: 'stderr', textContent: `${line.text}\n` })
        : document.createTextNode(`${line.text}\n`));
    }
    this.pre.append(fragment);
    if (follow || !previous) this.pre.scrollTop = this.pre.scrollHeight;
  }

  updateHint() {
    const parts = [];
    const r = this.shown;
    if (r && r.logs.length === 0) parts.push('no output yet');
    if (r && r.droppedLines > 0) parts.push(`${r.droppedLines} lines dropped on the way`);
    const waiting = this.paused && this.latest && this.latest !== this.shown;
    parts.push(this.paused ? (waiting ? 'paused — new lines waiting' : 'paused') : 'following');
    this.hint.textContent = parts.join(' · ');
  }
}

// One project: head (core liveness), reconcile, resources, logs.
class ProjectPanel {
  constructor(name, onRemove) {
    this.name = name;
    this.view = null;
    this.rows = new Map(); // resourceId -> ResourceRow
    this.order = []; // resource ids, sorted, as in the table
    this.selected = null;
    this.core = el('span', { className: 'core meta' });
    this.seq = el('span', { className: 'meta' });
    this.reconcile = el('div', { className: 'reconcile', hidden: true });
    this.tbody = el('tbody');
    this.empty = el('div', { className: 'empty', textContent: 'Waiting for the project\'s state…' });
    this.logs = new LogPanel();
    const remove = el('button', { type: 'button', className: 'remove', textContent: 'Close', title: 'Stop watching' });
    remove.addEventListener('click', () => onRemove(name));
    this.node = el('section', { className: 'project' },
      el('div', { className: 'project-head' }, el('h2', { textContent: name }), this.core, this.seq, remove),
      this.reconcile,
      el('table', { className: 'resources' },
        el('thead', {}, el('tr', {}, ...['Status', 'Resource', 'Kind', 'Message', 'Changed'].map(
          (h) => el('th', { textContent: h })))),
        this.tbody),
      this.empty,
      this.logs.node);
    this.node.dataset.project = name;
  }

  render(view, now) {
    const previous = this.view;
    this.view = view;
    if (!view) return;
    if (!previous || previous.coreConnected !== view.coreConnected || previous.coreChangedAt !== view.coreChangedAt ||
        previous.synced !== view.synced) {
      this.renderCore(now);
    }
    if (!previous || previous.seq !== view.seq) this.seq.textContent = `seq ${view.seq}`;
    if (!previous || previous.reconcile !== view.reconcile) this.renderReconcile(view.reconcile);
    if (!previous || previous.resources !== view.resources) this.renderResources(view.resources, now);
    if (view.forbidden) this.empty.textContent = 'This page\'s token may not view this project.';
    else if (!view.synced) this.empty.textContent = 'Waiting for the project\'s state…';
    else if (view.resources.size === 0) this.empty.textContent = 'No resources yet.';
    this.empty.hidden = view.synced && view.resources.size > 0;
    if (this.logs.resourceId !== null) {
      const resource = view.resources.get(this.logs.resourceId);
      if (resource) this.logs.draw(resource);
    }
  }

  renderCore(now) {
    const view = this.view;
    this.core.dataset.connected = String(view.coreConnected || !view.synced);
    if (!view.synced) this.core.textContent = '';
    else if (view.coreConnected) this.core.textContent = 'core connected';
    else if (view.coreChangedAt) {
      this.core.textContent = `core disconnected since ${clockTime(view.coreChangedAt)} (${ago(view.coreChangedAt, now)})`;
    } else this.core.textContent = 'no core has connected';
  }

  renderReconcile(r) {
    this.reconcile.hidden = !r;
    if (!r) return;
    const outcome = r.running ? 'RUNNING' : r.outcome.replace('OUTCOME_UNSPECIFIED', 'ENDED');
    const timing = r.running
      ? `started ${clockTime(r.startedAt)}`
      : [r.startedAt ? `took ${duration(r.startedAt, r.endedAt)}` : '', `ended ${clockTime(r.endedAt)}`]
        .filter(Boolean).join(', ');
    const outcomeNode = el('span', { className: 'outcome', textContent: outcome });
    outcomeNode.dataset.outcome = outcome;
    const children = [
      el('span', { className: 'title', textContent: `Reconcile ${r.reconcileId}` }), outcomeNode,
      el('span', { className: 'meta', textContent: ` · ${timing}${r.message ? ` · ${r.message}` : ''}` }),
    ];
    if (r.actions.length > 0) {
      children.push(el('ul', {}, ...r.actions.map((a) => el('li', { textContent: `${a.resourceId}: ${a.action}` }))));
    }
    this.reconcile.replaceChildren(...children);
    this.reconcile.dataset.reconcile = r.reconcileId;
    this.reconcile.dataset.outcome = outcome;
  }

  renderResources(resources, now) {
    let added = false;
    for (const [id, resource] of resources) {
      const row = this.rows.get(id);
      if (!row) {
        this.rows.set(id, new ResourceRow(resource, (rid) => this.select(rid)));
        added = true;
      } else if (row.resource !== resource) {
        row.update(resource, now);
      }
    }
    let removed = false;
    for (const [id, row] of this.rows) {
      if (!resources.has(id)) {
        row.node.remove();
        this.rows.delete(id);
        removed = true;
        if (this.selected === id) this.select(null);
      }
    }
    if (!added && !removed) return;
    // New rows go to their sorted place; existing rows are not moved.
    this.order = [...this.rows.keys()].sort();
    let next = null;
    for (let i = this.order.length - 1; i >= 0; i--) {
      const node = this.rows.get(this.order[i]).node;
      if (node.parentNode !== this.tbody || node.nextSibling !== next) this.tbody.insertBefore(node, next);
      next = node;
    }
  }

  select(resourceId) {
    if (this.selected) this.rows.get(this.selected)?.node.setAttribute('aria-selected', 'false');
    this.selected = resourceId === this.selected ? null : resourceId;
    if (!this.selected) {
      this.logs.hide();
      return;
    }
    this.rows.get(this.selected).node.setAttribute('aria-selected', 'true');
    this.logs.show(this.selected, this.view.resources.get(this.selected));
  }

  tick(now) {
    for (const row of this.rows.values()) row.tick(now);
    if (this.view && this.view.synced && !this.view.coreConnected) this.renderCore(now);
  }
}

// The projects the token may see, when the link names none: name, whether
// its core is connected (or since when not), and when it last changed. One
// is open at a time.
class ProjectListNav {
  constructor(onOpen) {
    this.onOpen = onOpen;
    this.items = new Map(); // name -> { node, core, last, summary }
    this.list = el('ul');
    this.empty = el('p', { className: 'empty', textContent: 'Waiting for the list of projects…' });
    this.node = el('nav', { className: 'project-list', 'aria-label': 'Projects' },
      el('h2', { textContent: 'Projects' }), this.empty, this.list);
    this.openName = null;
  }

  render(summaries, now) {
    const seen = new Set();
    summaries.forEach((summary, index) => {
      seen.add(summary.project);
      let item = this.items.get(summary.project);
      if (!item) {
        const core = el('span', { className: 'core' });
        const last = el('span', { className: 'last' });
        const button = el('button', { type: 'button' }, el('span', { className: 'name', textContent: summary.project }),
          core, last);
        button.addEventListener('click', () => this.onOpen(summary.project));
        item = { node: el('li', {}, button), core, last, summary };
        item.node.dataset.project = summary.project;
        this.items.set(summary.project, item);
      }
      item.summary = summary;
      if (this.list.children[index] !== item.node) this.list.insertBefore(item.node, this.list.children[index] ?? null);
      this.renderItem(item, now);
    });
    for (const [name, item] of this.items) {
      if (seen.has(name)) continue;
      item.node.remove();
      this.items.delete(name);
    }
    this.empty.hidden = summaries.length > 0;
    this.empty.textContent = 'No project yet that this page\'s token may see. One appears here once its core publishes.';
    this.setOpen(this.openName);
  }

  renderItem(item, now) {
    const s = item.summary;
    item.core.dataset.connected = String(s.coreConnected);
    item.core.textContent = s.coreConnected ? 'core connected' : `core disconnected ${ago(s.coreChangedAt, now)}`.trim();
    item.last.textContent = s.lastChangeAt ? `changed ${ago(s.lastChangeAt, now)}` : 'no change yet';
  }

  setOpen(name) {
    this.openName = name;
    for (const [project, item] of this.items) {
      if (project === name) item.node.setAttribute('aria-current', 'true');
      else item.node.removeAttribute('aria-current');
    }
  }

  tick(now) {
    for (const item of this.items.values()) this.renderItem(item, now);
  }
}

// The most recently changed project of a list (the first if none changed).
function mostRecentlyActive(summaries) {
  let best = summaries[0];
  for (const s of summaries) {
    if ((Date.parse(s.lastChangeAt ?? '') || 0) > (Date.parse(best.lastChangeAt ?? '') || 0)) best = s;
  }
  return best?.project ?? null;
}

function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { token: params.get('token') ?? '', projects: params.getAll('project') };
}

function writeFragment(token, projects) {
  const params = new URLSearchParams();
  if (token) params.set('token', token);
  for (const p of projects) params.append('project', p);
  history.replaceState(null, '', `#${params}`);
}

function showNotice(html) {
  const notice = el('div', { className: 'notice' });
  notice.innerHTML = html; // static text of ours only
  document.getElementById('projects').replaceChildren(notice);
}

async function gatewayHealth(token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const response = await fetch('healthz', { headers, cache: 'no-store' });
  return response.json();
}

// Sign-in through the company's identity provider (gateway --oidc-issuer):
// the session lives in an HttpOnly cookie this page cannot read; /auth/me
// says who is signed in.
async function whoAmI() {
  const response = await fetch('auth/me', { cache: 'no-store' });
  return response.json();
}

function signInHref() {
  return `auth/login?return_to=${encodeURIComponent(location.pathname + location.search + location.hash)}`;
}

function showSignIn(title, text) {
  const notice = el('div', { className: 'notice sign-in' },
    el('h2', { textContent: title }),
    el('p', { textContent: text }),
    el('p', {}, el('a', { id: 'sign-in', className: 'button', href: signInHref(), textContent: 'Sign in' })));
  document.getElementById('projects').replaceChildren(notice);
}

function showUser(me) {
  const user = document.getElementById('user');
  user.hidden = false;
  user.querySelector('.name').textContent = me.name;
  user.querySelector('button').addEventListener('click', async () => {
    await fetch('auth/logout', { method: 'POST' });
    location.reload();
  });
}

async function main() {
  const { token, projects: asked } = readFragment();
  const wanted = [...new Set(asked.filter((p) => PROJECT_NAME.test(p)))];
  // No project in the link: find them (the link's project= narrows it).
  const discover = asked.length === 0;
  const projects = wanted;
  const skipped = asked.filter((p) => !PROJECT_NAME.test(p));
  const connectionNode = document.getElementById('connection');
  const banner = document.getElementById('banner');

  let health = null;
  try {
    health = await gatewayHealth(token);
  } catch {
    // The gateway may be restarting; the client below retries.
  }
  const signIn = health?.signIn === 'oidc' && !token;
  if (signIn) {
    const me = await whoAmI().catch(() => ({ signedIn: false }));
    if (!me.signedIn) {
      connectionNode.textContent = 'Not signed in';
      showSignIn('Sign in to see your projects',
        'This dashboard shows the projects your account may see. Sign in with your company account.');
      return;
    }
    showUser(me);
  }
  if (health && health.authRequired && !token && !signIn) {
    connectionNode.textContent = 'Not connected';
    showNotice(`<h2>This dashboard needs the gateway's token</h2>
      <p>The gateway accepts only dashboards that present its token. Open the link that
      <code>./scripts/demo</code> printed, or add <code>#token=</code> followed by the contents of
      <code>.nanokit/token</code> to this page's address.</p>
      <p>The token stays in the address's fragment (after <code>#</code>), which the browser never sends to
      a server or writes to a log.</p>`);
    return;
  }
  if (health && health.authRequired && health.authorized === false) {
    connectionNode.textContent = 'Not connected';
    showNotice(`<h2>The gateway does not accept this token</h2>
      <p>The token in this page's address is not the gateway's. Open the link that
      <code>./scripts/demo</code> printed, or use the contents of the <code>.nanokit/token</code> file
      that the gateway was started with.</p>`);
    return;
  }

  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const client = connect({ url: url.href, token, projects, heartbeatIntervalMs: health?.heartbeatIntervalMs,
    watchProjects: discover });
  const panels = new Map();
  const main = document.getElementById('projects');

  const closePanel = (name) => {
    client.unsubscribe(name);
    panels.get(name)?.node.remove();
    panels.delete(name);
  };
  let nav = null;
  let closedByUser = false;
  const removeProject = (name) => {
    closePanel(name);
    if (nav) {
      closedByUser = true;
      nav.setOpen(null);
    } else {
      writeFragment(token, client.projects());
    }
  };
  const addPanel = (name) => {
    const panel = new ProjectPanel(name, removeProject);
    panels.set(name, panel);
    main.append(panel.node);
    panel.render(client.project(name), Date.now());
  };
  for (const name of projects) addPanel(name);

  // Discovery: the list, and one project open.
  const openProject = (name) => {
    for (const open of [...panels.keys()]) if (open !== name) closePanel(open);
    if (!panels.has(name)) {
      client.subscribe(name);
      addPanel(name);
    }
    nav.setOpen(name);
  };
  let listed = new Set();
  const renderList = (now) => {
    const list = client.projectList();
    if (!list) return;
    nav.render(list, now);
    // A project the token may no longer see goes away (one opened by name
    // and not listed yet stays).
    const nowListed = new Set(list.map((s) => s.project));
    for (const open of [...panels.keys()]) {
      if (listed.has(open) && !nowListed.has(open)) {
        closePanel(open);
        nav.setOpen(null);
      }
    }
    listed = nowListed;
    if (panels.size === 0 && !closedByUser && list.length > 0) openProject(mostRecentlyActive(list));
  };
  if (discover) {
    nav = new ProjectListNav((name) => {
      closedByUser = false;
      openProject(name);
    });
    main.before(nav.node);
  }

  if (skipped.length > 0) {
    main.prepend(el('p', { className: 'notice', textContent:
      `Not project names, skipped: ${skipped.join(', ')} (names are 1 to 128 of A-Z a-z 0-9 . _ -).` }));
  }
  const form = document.getElementById('add-project');
  form.hidden = false;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = form.elements.project.value.trim();
    form.reset();
    if (!name || panels.has(name)) return;
    if (nav) {
      // Discovery shows one project at a time: this one, listed or not.
      closedByUser = false;
      openProject(name);
      return;
    }
    client.subscribe(name);
    addPanel(name);
    writeFragment(token, client.projects());
  });

  const renderConnection = () => {
    const c = client.connection;
    connectionNode.dataset.status = c.status;
    if (c.status === ConnectionStatus.LIVE) {
      connectionNode.textContent = 'Live';
    } else if (c.status === ConnectionStatus.RECONNECTING) {
      connectionNode.textContent = 'Reconnecting…';
    } else if (c.status === ConnectionStatus.CONNECTING) {
      connectionNode.textContent = 'Connecting…';
    } else {
      connectionNode.textContent = 'Closed';
    }
    let message = '';
    let kind = 'error';
    if (signIn && (c.closeCode === 4401 || signedOut)) {
      // The session ended (expired, or signed out elsewhere): no reconnect
      // loop, a way back in.
      client.close();
      connectionNode.textContent = 'Signed out';
      document.getElementById('user').hidden = true;
      banner.hidden = false;
      banner.dataset.kind = 'error';
      banner.replaceChildren('Signed out — ',
        el('a', { id: 'sign-in-again', href: signInHref(), textContent: 'sign in again' }));
      return;
    }
    if (c.closeCode === 4401) {
      message = 'This page\'s token was revoked or has expired: the gateway closed the connection. ' +
        'Ask whoever runs the bridge for a new one.';
    } else if (tokenRejected && c.status !== ConnectionStatus.LIVE) {
      message = 'The gateway no longer accepts this page\'s token (was it replaced?). ' +
        'Open the link that ./scripts/demo printed, with the current token.';
    } else if (c.status === ConnectionStatus.RECONNECTING || (c.status === ConnectionStatus.CONNECTING && c.retries > 0)) {
      const verb = c.status === ConnectionStatus.RECONNECTING ? 'Reconnecting' : 'Connecting';
      message = `${verb}… (attempt ${c.retries}) — the connection to the gateway is lost; showing the last known state.`;
    } else if (c.status === ConnectionStatus.LIVE && c.hubConnected === false) {
      message = 'The gateway has lost the hub; showing the last known state until it is back.';
      kind = 'info';
    }
    banner.hidden = message === '';
    banner.textContent = message;
    banner.dataset.kind = kind;
  };

  // Draw at most once per frame, only what changed.
  const dirty = new Set();
  let connectionDirty = true;
  let listDirty = false;
  let scheduled = false;
  const draw = () => {
    scheduled = false;
    const now = Date.now();
    if (connectionDirty) renderConnection();
    connectionDirty = false;
    if (listDirty && nav) renderList(now);
    listDirty = false;
    for (const name of dirty) panels.get(name)?.render(client.project(name), now);
    dirty.clear();
  };
  // A connection that keeps failing may be refused for its token (the
  // browser does not tell why a WebSocket failed): ask /healthz now and then.
  let tokenRejected = false;
  let signedOut = false;
  let probedAt = 0;
  const probeToken = async () => {
    const c = client.connection;
    if (c.status === ConnectionStatus.LIVE || c.retries < (signIn ? 1 : 3) || c.retries === probedAt) return;
    probedAt = c.retries;
    try {
      if (signIn) {
        signedOut = !(await whoAmI()).signedIn;
        if (signedOut) renderConnection();
        return;
      }
      const rejected = (await gatewayHealth(token)).authorized === false;
      if (rejected !== tokenRejected) {
        tokenRejected = rejected;
        renderConnection();
      }
    } catch {
      // The gateway is down: the banner already says so.
    }
  };
  client.onChange(({ connection }) => {
    if (connection) probeToken();
    if (client.connection.status === ConnectionStatus.LIVE) tokenRejected = false;
  });
  client.onChange(({ projects: changed, connection, projectList }) => {
    for (const name of changed) dirty.add(name);
    connectionDirty ||= connection;
    listDirty ||= projectList;
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(draw);
    }
  });
  renderConnection();
  setInterval(() => {
    const now = Date.now();
    for (const panel of panels.values()) panel.tick(now);
    nav?.tick(now);
  }, 1000);
  window.nanokit = client; // for the console (and the browser tests)
}

main();
