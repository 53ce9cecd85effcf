// The client's view of one project, merged incrementally from the gateway's
// messages. The rules are the hub's (common/project_state.cc): a client that
// applies every message it receives holds what GetSnapshot would return.
//
// Views are immutable. Applying messages returns a new ProjectView that
// shares every unchanged resource object with the previous one, so a UI can
// re-render only the resources whose object changed (React.memo, or a plain
// identity check as the dashboard does).

/** @typedef {import('./messages').ServerMessage} ServerMessage */

export const DEFAULT_MAX_LOG_LINES = 500;

const EMPTY_RESOURCES = new Map();

/** A project with nothing known yet (before its snapshot arrives). */
export function emptyProject(project) {
  return Object.freeze({
    project,
    epoch: '',
    seq: 0,
    resources: EMPTY_RESOURCES,
    reconcile: null,
    coreConnected: false,
    coreChangedAt: null,
    synced: false,
  });
}

function toSeq(value) {
  // uint64 is a string in proto3 JSON; a project's seq stays far below 2^53.
  return value === undefined ? 0 : Number(value);
}

function resourceFromSnapshot(r, maxLogLines) {
  const logs = (r.recentLogs ?? []).map((line) => ({ stream: line.stream ?? 'STDOUT', text: line.text ?? '' }));
  return Object.freeze({
    resourceId: r.resourceId,
    kind: r.kind ?? '',
    status: r.status ?? 'UNKNOWN',
    message: r.message ?? '',
    updatedAt: r.updatedAt ?? null,
    seq: toSeq(r.seq),
    logs: Object.freeze(logs.length > maxLogLines ? logs.slice(logs.length - maxLogLines) : logs),
    droppedLines: 0,
  });
}

function reconcileFromSnapshot(r) {
  if (!r || !r.reconcileId) return null;
  return Object.freeze({
    reconcileId: r.reconcileId,
    actions: Object.freeze((r.actions ?? []).map((a) => Object.freeze({ resourceId: a.resourceId, action: a.action }))),
    startedAt: r.startedAt ?? null,
    endedAt: r.endedAt ?? null,
    running: Boolean(r.running),
    outcome: r.outcome ?? 'OUTCOME_UNSPECIFIED',
    message: r.message ?? '',
  });
}

/** The view a `snapshot` message (its `snapshot` field) describes. */
export function projectFromSnapshot(snapshot, maxLogLines = DEFAULT_MAX_LOG_LINES) {
  const resources = new Map();
  for (const r of snapshot.resources ?? []) resources.set(r.resourceId, resourceFromSnapshot(r, maxLogLines));
  return Object.freeze({
    project: snapshot.project,
    epoch: snapshot.epoch ?? '',
    seq: toSeq(snapshot.seq),
    resources,
    reconcile: reconcileFromSnapshot(snapshot.reconcile),
    coreConnected: Boolean(snapshot.coreConnected),
    coreChangedAt: snapshot.coreChangedAt ?? null,
    synced: true,
  });
}

/**
 * Applies a list of change messages (status_update, log_stream,
 * reconcile_start, reconcile_end) to `view` at once, and returns the new view
 * (or `view` itself when nothing changed). A message whose seq the view
 * already holds is skipped, so a repeat can never apply twice.
 */
export function applyChanges(view, messages, maxLogLines = DEFAULT_MAX_LOG_LINES) {
  let resources = null; // copied on the first change
  const pendingLogs = new Map(); // resourceId -> {lines, dropped}; appended once per resource
  let reconcile = view.reconcile;
  let seq = view.seq;
  let changed = false;

  const mutableResources = () => (resources ??= new Map(view.resources));
  const flushLogs = (id) => {
    const pending = pendingLogs.get(id);
    if (!pending) return;
    pendingLogs.delete(id);
    const res = mutableResources();
    const current = res.get(id);
    let logs = current.logs.concat(pending.lines);
    if (logs.length > maxLogLines) logs = logs.slice(logs.length - maxLogLines);
    res.set(id, Object.freeze({ ...current, logs: Object.freeze(logs), droppedLines: current.droppedLines + pending.dropped }));
  };

  for (const m of messages) {
    const mseq = toSeq(m.seq);
    if (mseq !== 0 && mseq <= seq) continue;
    if (mseq > seq) seq = mseq;
    changed = true;
    switch (m.type) {
      case 'status_update': {
        const u = m.statusUpdate ?? {};
        const id = u.resourceId;
        flushLogs(id);
        const res = mutableResources();
        if (u.removed) {
          res.delete(id);
          break;
        }
        const current = res.get(id);
        res.set(id, Object.freeze({
          resourceId: id,
          kind: u.kind || current?.kind || '',
          status: u.status ?? 'UNKNOWN',
          message: u.message ?? '',
          updatedAt: m.emittedAt ?? null,
          seq: mseq,
          logs: current?.logs ?? Object.freeze([]),
          droppedLines: current?.droppedLines ?? 0,
        }));
        break;
      }
      case 'log_stream': {
        const l = m.logStream ?? {};
        const id = l.resourceId;
        const res = mutableResources();
        if (!res.has(id)) {
          // Output from a resource that has no status yet: it exists, UNKNOWN.
          res.set(id, Object.freeze({
            resourceId: id, kind: '', status: 'UNKNOWN', message: '', updatedAt: m.emittedAt ?? null,
            seq: mseq, logs: Object.freeze([]), droppedLines: 0,
          }));
        }
        let pending = pendingLogs.get(id);
        if (!pending) pendingLogs.set(id, (pending = { lines: [], dropped: 0 }));
        const stream = l.stream ?? 'STDOUT';
        for (const text of l.lines ?? []) pending.lines.push(Object.freeze({ stream, text }));
        pending.dropped += Number(l.droppedLines ?? 0); // uint64: a string in JSON
        break;
      }
      case 'reconcile_start': {
        const s = m.reconcileStart ?? {};
        reconcile = reconcileFromSnapshot({
          reconcileId: s.reconcileId, actions: s.actions, startedAt: m.emittedAt, running: true,
        });
        break;
      }
      case 'reconcile_end': {
        const e = m.reconcileEnd ?? {};
        const known = reconcile && reconcile.reconcileId === e.reconcileId ? reconcile : null;
        reconcile = Object.freeze({
          reconcileId: e.reconcileId,
          actions: known ? known.actions : Object.freeze([]),
          startedAt: known ? known.startedAt : null,
          endedAt: m.emittedAt ?? null,
          running: false,
          outcome: e.outcome ?? 'OUTCOME_UNSPECIFIED',
          message: e.message ?? '',
        });
        break;
      }
      default:
        break; // a type this client does not know changes nothing it shows
    }
  }
  for (const id of [...pendingLogs.keys()]) flushLogs(id);
  if (!changed) return view;
  return Object.freeze({ ...view, seq, resources: resources ?? view.resources, reconcile });
}

/** A heartbeat's news about one project (core liveness, the hub's seq). */
export function applyLiveness(view, liveness) {
  const coreConnected = Boolean(liveness.coreConnected);
  const coreChangedAt = liveness.coreChangedAt ?? null;
  if (view.coreConnected === coreConnected && view.coreChangedAt === coreChangedAt) return view;
  return Object.freeze({ ...view, coreConnected, coreChangedAt });
}
