// NanokitClient: one WebSocket to a nanokit-gateway, any number of
// projects. It subscribes, merges what arrives into immutable ProjectViews,
// notices a dead connection by silence, reconnects with backoff and jitter,
// and resumes each project from its (epoch, seq) so nothing is missed and
// nothing applies twice.

import {
  DEFAULT_MAX_LOG_LINES, applyChanges, applyLiveness, emptyProject, projectFromSnapshot,
} from './state.js';
import { PROJECT_NAME_RULE, isValidProjectName } from './names.js';
import { stateDigest } from './digest.js';

export const ConnectionStatus = Object.freeze({
  CONNECTING: 'connecting', // the first attempt
  LIVE: 'live', // connected, and every project has its state
  RECONNECTING: 'reconnecting', // lost; retrying (see `retries`)
  CLOSED: 'closed', // close() was called
});

export const PROTOCOL = 'nanokit.v1';
const BEARER_PREFIX = 'nanokit.bearer.';
const CHANGE_TYPES = new Set(['status_update', 'log_stream', 'reconcile_start', 'reconcile_end']);
// Codes this client closes with: 4000 is its own (the gateway went silent).
const CLOSE_SILENT = 4000;
// The gateway closed because the token was revoked or expired: retrying
// with it cannot succeed, so the client stops (docs/protocol.md).
export const CLOSE_TOKEN_REVOKED = 4401;

// One entry of the project list, as the client keeps it.
function summaryFrom(m) {
  return Object.freeze({
    project: m.project,
    seq: Number(m.seq ?? 0),
    coreConnected: Boolean(m.coreConnected),
    coreChangedAt: m.coreChangedAt ?? null,
    lastChangeAt: m.lastChangeAt ?? null,
  });
}

// "5s", "0.200s" (proto3 JSON of google.protobuf.Duration) -> milliseconds; 0 if absent.
function parseDuration(text) {
  if (typeof text !== 'string' || !text.endsWith('s')) return 0;
  const seconds = Number(text.slice(0, -1));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

function checkProjectName(project) {
  // The gateway would refuse it (invalid_project) and never reply.
  if (!isValidProjectName(project)) {
    throw new TypeError(`nanokit: "${project}" is not a project name: ${PROJECT_NAME_RULE}`);
  }
}

export class NanokitClient {
  /**
   * @param {object} options see index.d.ts (ConnectOptions)
   */
  constructor(options) {
    if (!options || !options.url) throw new TypeError('nanokit: connect() needs { url }');
    this._url = options.url;
    this._token = options.token ?? '';
    this._WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this._WebSocket !== 'function') {
      throw new TypeError('nanokit: no WebSocket implementation; pass { WebSocket } (e.g. from the "ws" package)');
    }
    this._maxLogLines = options.maxLogLines ?? DEFAULT_MAX_LOG_LINES;
    this._heartbeatMs = options.heartbeatIntervalMs ?? 5000;
    this._initialDelayMs = options.initialDelayMs ?? 250;
    this._maxDelayMs = options.maxDelayMs ?? 10000;
    this._onError = options.onError ?? null;
    this._random = options.random ?? Math.random;

    /** @type {Map<string, import('./state.js').ProjectView>} */
    this._views = new Map();
    this._awaitingReply = new Set();
    this._listeners = new Set();
    this._ws = null;
    this._reconnectTimer = null;
    this._everLive = false;
    this._silenceTimer = null;
    this._connection = Object.freeze({
      status: ConnectionStatus.CONNECTING, retries: 0, hubConnected: null, lastError: null, closeCode: 0, resyncs: 0,
    });
    this._digestChecks = 0;
    // The projects this connection may see, by name; null until the gateway
    // first lists them (only with watchProjects).
    this._watchProjects = Boolean(options.watchProjects);
    this._projectList = null;
    this._projectListArray = null;
    this._heartbeatSeqs = new Map(); // project -> the seq its last heartbeat named
    for (const project of options.projects ?? []) {
      checkProjectName(project);
      this._views.set(project, emptyProject(project));
    }
  }

  /**
   * The connection's state: { status, retries, hubConnected, lastError, closeCode, resyncs }.
   * hubConnected is null until the first heartbeat says. resyncs counts the
   * projects started over because their merged state's digest differed from
   * the gateway's at the same seq.
   */
  get connection() { return this._connection; }

  /** How many heartbeats' state digests matched the merged state (no notification when it grows). */
  get digestChecks() { return this._digestChecks; }

  /** The view of a subscribed project, or undefined. */
  project(name) { return this._views.get(name); }

  /** The subscribed projects' names. */
  projects() { return [...this._views.keys()]; }

  /**
   * The projects this connection's token may see, sorted by name (frozen
   * summaries: { project, seq, coreConnected, coreChangedAt, lastChangeAt }),
   * live; null until the gateway first lists them. Only after
   * watchProjects() (or the watchProjects option).
   */
  projectList() {
    if (this._projectList && !this._projectListArray) {
      this._projectListArray = Object.freeze([...this._projectList.values()]
        .sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0)));
    }
    return this._projectListArray;
  }

  /** Follows the list of projects (sent again after every reconnect). */
  watchProjects() {
    if (this._watchProjects) return;
    this._watchProjects = true;
    this._send({ type: 'watch_projects' });
  }

  unwatchProjects() {
    if (!this._watchProjects) return;
    this._watchProjects = false;
    this._projectList = null;
    this._projectListArray = null;
    this._send({ type: 'unwatch_projects' });
    this._notify(new Set(), false, true);
  }

  /**
   * Calls `listener({ projects, connection })` after each frame that changed
   * something: `projects` is the set of project names whose view changed,
   * `connection` whether the connection state changed. Returns a function
   * that removes the listener.
   */
  onChange(listener) {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  subscribe(project) {
    checkProjectName(project);
    if (this._views.has(project)) return;
    this._views.set(project, emptyProject(project));
    this._sendSubscribe(project);
    this._notify(new Set([project]), false);
  }

  unsubscribe(project) {
    if (!this._views.delete(project)) return;
    this._awaitingReply.delete(project);
    this._send({ type: 'unsubscribe', project });
    this._notify(new Set([project]), this._updateLive());
  }

  /**
   * Moves the open connection to a fresh token (a provider-issued JWT, say)
   * before the one it runs on expires; reconnects use it too. The gateway
   * answers "authenticated", or an "unauthenticated" error and keeps the
   * old one.
   */
  authenticate(token) {
    this._token = token;
    this._send({ type: 'auth', token });
  }

  start() {
    if (this._connection.status === ConnectionStatus.CLOSED) return;
    this._open();
  }

  close() {
    clearTimeout(this._reconnectTimer);
    clearTimeout(this._silenceTimer);
    this._detach(1000);
    this._setConnection({ status: ConnectionStatus.CLOSED });
    this._notify(new Set(), true);
  }

  // --- the socket -----------------------------------------------------------

  _open() {
    const protocols = [PROTOCOL];
    if (this._token) protocols.push(BEARER_PREFIX + this._token);
    let ws;
    try {
      ws = new this._WebSocket(this._url, protocols);
    } catch (err) {
      this._lost(0, String(err?.message ?? err));
      return;
    }
    this._ws = ws;
    ws.onopen = () => {
      if (ws !== this._ws) return;
      this._armSilenceTimer();
      if (this._watchProjects) this._send({ type: 'watch_projects' });
      for (const project of this._views.keys()) this._sendSubscribe(project);
      this._notify(new Set(), this._updateLive());
    };
    ws.onmessage = (event) => {
      if (ws !== this._ws) return;
      this._armSilenceTimer();
      this._onFrame(typeof event.data === 'string' ? event.data : String(event.data));
    };
    ws.onclose = (event) => {
      if (ws !== this._ws) return;
      this._lost(event.code, event.reason || '');
    };
    ws.onerror = () => {}; // always followed by close
  }

  _detach(code) {
    const ws = this._ws;
    this._ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(code);
    } catch {
      // already closed
    }
  }

  _lost(code, reason) {
    clearTimeout(this._silenceTimer);
    this._detach(CLOSE_SILENT);
    if (this._connection.status === ConnectionStatus.CLOSED) return;
    const retries = this._connection.retries + 1;
    this._awaitingReply.clear();
    this._heartbeatSeqs.clear();
    if (code === CLOSE_TOKEN_REVOKED) {
      this._setConnection({
        status: ConnectionStatus.CLOSED, closeCode: code,
        lastError: Object.freeze({ code: 'token_revoked', message: reason || 'token revoked or expired' }),
      });
      this._notify(new Set(), true);
      return;
    }
    this._setConnection({
      // Before the first success it is still "connecting"; after, "reconnecting".
      status: this._everLive ? ConnectionStatus.RECONNECTING : ConnectionStatus.CONNECTING,
      retries,
      closeCode: code,
      lastError: reason ? Object.freeze({ code: 'closed', message: reason }) : this._connection.lastError,
    });
    const base = Math.min(this._maxDelayMs, this._initialDelayMs * 2 ** Math.min(retries - 1, 20));
    const delay = base / 2 + this._random() * (base / 2);
    this._reconnectTimer = setTimeout(() => this._open(), delay);
    this._notify(new Set(), true);
  }

  // No frame (not even a heartbeat) for three intervals: the peer or the
  // path is dead even if TCP has not noticed. Drop it and reconnect.
  _armSilenceTimer() {
    clearTimeout(this._silenceTimer);
    this._silenceTimer = setTimeout(() => this._lost(CLOSE_SILENT, 'no heartbeat'), 3 * this._heartbeatMs);
  }

  _send(message) {
    if (this._ws && this._ws.readyState === 1) this._ws.send(JSON.stringify(message));
  }

  _sendSubscribe(project) {
    if (!this._ws || this._ws.readyState !== 1) return;
    const view = this._views.get(project);
    const message = { type: 'subscribe', project };
    if (view && view.synced && view.epoch) {
      message.epoch = view.epoch;
      message.afterSeq = String(view.seq);
    }
    this._awaitingReply.add(project);
    this._send(message);
  }

  // --- messages -------------------------------------------------------------

  _onFrame(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      this._report({ code: 'invalid_json', message: 'the gateway sent a frame that is not JSON' });
      return;
    }
    const changed = new Set();
    let connectionChanged = false;
    this._listChanged = false;
    const messages = message.type === 'batch' ? (message.messages ?? []) : [message];
    // Consecutive changes of one project are applied together: one new view
    // per project per frame, however many messages the frame holds.
    let run = [];
    let runProject = null;
    const flush = () => {
      if (run.length === 0) return;
      const view = this._views.get(runProject);
      if (view && view.synced) {
        const next = applyChanges(view, run, this._maxLogLines);
        if (next !== view) {
          this._views.set(runProject, next);
          changed.add(runProject);
        }
      }
      run = [];
    };
    for (const m of messages) {
      if (CHANGE_TYPES.has(m.type)) {
        if (m.project !== runProject) flush();
        runProject = m.project;
        run.push(m);
        continue;
      }
      flush();
      connectionChanged = this._onControl(m, changed) || connectionChanged;
    }
    flush();
    if (changed.size > 0 || connectionChanged || this._listChanged) {
      this._notify(changed, connectionChanged, this._listChanged);
    }
  }

  _onControl(m, changed) {
    switch (m.type) {
      case 'snapshot': {
        if (!this._views.has(m.project)) return false;
        this._views.set(m.project, projectFromSnapshot(m.snapshot ?? { project: m.project }, this._maxLogLines));
        changed.add(m.project);
        this._awaitingReply.delete(m.project);
        return this._updateLive();
      }
      case 'resumed': {
        const view = this._views.get(m.project);
        if (!view) return false;
        const next = applyChanges(view, m.messages ?? [], this._maxLogLines);
        this._views.set(m.project, next);
        changed.add(m.project);
        this._awaitingReply.delete(m.project);
        return this._updateLive();
      }
      case 'heartbeat': {
        const hb = m.heartbeat ?? {};
        let connectionChanged = false;
        const interval = parseDuration(hb.interval);
        if (interval > 0 && interval !== this._heartbeatMs) {
          // The gateway says how often it speaks: size the silence timer to it.
          this._heartbeatMs = interval;
          this._armSilenceTimer();
        }
        const hubConnected = Boolean(hb.hubConnected);
        if (hubConnected !== this._connection.hubConnected) {
          this._setConnection({ hubConnected });
          connectionChanged = true;
        }
        for (const liveness of hb.projects ?? []) {
          const view = this._views.get(liveness.project);
          if (!view) continue;
          const next = applyLiveness(view, liveness);
          if (next !== view) {
            this._views.set(liveness.project, next);
            changed.add(liveness.project);
          }
          connectionChanged = this._checkDigest(next, liveness) || connectionChanged;
        }
        return connectionChanged;
      }
      case 'projects': {
        if (!this._watchProjects) return false;
        const list = m.projectList ?? {};
        if (list.full || !this._projectList) this._projectList = new Map();
        for (const summary of list.projects ?? []) this._projectList.set(summary.project, summaryFrom(summary));
        for (const name of list.removed ?? []) this._projectList.delete(name);
        this._projectListArray = null;
        this._listChanged = true;
        return false;
      }
      case 'error': {
        const error = m.error ?? { code: 'unknown' };
        this._report({ ...error, project: m.project });
        if (error.code === 'forbidden' && this._views.has(m.project)) {
          // This token may not view it: the view says so instead of waiting.
          this._views.set(m.project, Object.freeze({ ...emptyProject(m.project), forbidden: true }));
          changed.add(m.project);
        }
        if (m.project && this._awaitingReply.delete(m.project)) return this._updateLive();
        return false;
      }
      default:
        return false; // a newer gateway's message: ignored
    }
  }

  // At the heartbeat's seq the merged state must be the gateway's. If its
  // digest differs (a message lost or misapplied somewhere), the project
  // starts over with a fresh subscribe (a snapshot, not a resume); until it
  // arrives the view keeps what it shows, so nothing flickers.
  // A view behind the seq that two heartbeats in a row name has lost the
  // messages between (they come in order, before the heartbeat): the same.
  _checkDigest(view, liveness) {
    const expected = liveness.stateDigest;
    const seq = Number(liveness.seq ?? 0);
    const previous = this._heartbeatSeqs.get(view.project);
    this._heartbeatSeqs.set(view.project, seq);
    if (!expected || !view.synced || this._awaitingReply.has(view.project)) return false;
    if (seq === view.seq) {
      if (stateDigest(view) === expected) {
        this._digestChecks += 1;
        return false;
      }
    } else if (!(seq > view.seq && seq === previous)) {
      return false;
    }
    this._heartbeatSeqs.delete(view.project);
    this._awaitingReply.add(view.project);
    this._send({ type: 'subscribe', project: view.project });
    this._setConnection({ resyncs: this._connection.resyncs + 1 });
    return true;
  }

  _updateLive() {
    const open = this._ws && this._ws.readyState === 1;
    if (!open || this._awaitingReply.size > 0 || this._connection.status === ConnectionStatus.LIVE) return false;
    this._everLive = true;
    this._setConnection({ status: ConnectionStatus.LIVE, retries: 0, closeCode: 0 });
    return true;
  }

  _report(error) {
    this._setConnection({ lastError: Object.freeze(error) });
    if (this._onError) this._onError(error);
  }

  _setConnection(patch) {
    this._connection = Object.freeze({ ...this._connection, ...patch });
  }

  _notify(projects, connection, projectList = false) {
    for (const listener of [...this._listeners]) {
      try {
        listener({ projects, connection, projectList });
      } catch (err) {
        // A listener's bug must not stop the others or the client.
        setTimeout(() => { throw err; });
      }
    }
  }
}

/**
 * Connects to a gateway and subscribes to `projects`. Returns the client;
 * it keeps reconnecting until close().
 */
export function connect(options) {
  const client = new NanokitClient(options);
  client.start();
  return client;
}
