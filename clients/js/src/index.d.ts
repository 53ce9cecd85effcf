// Types of @nanokit/client's API. The wire messages are in messages.d.ts,
// generated from proto/.
import type {
  Error as ProtocolError, LogStream_Stream, PlannedAction, ReconcileEnd_Outcome, ServerMessage, Status, Timestamp,
} from './messages';

export * from './messages';

export type ConnectionStatusValue = 'connecting' | 'live' | 'reconnecting' | 'closed';
export declare const ConnectionStatus: {
  readonly CONNECTING: 'connecting';
  readonly LIVE: 'live';
  readonly RECONNECTING: 'reconnecting';
  readonly CLOSED: 'closed';
};
export declare const PROTOCOL: 'nanokit.v1';
/** The close code of a connection whose token was revoked or expired. */
export declare const CLOSE_TOKEN_REVOKED: 4401;
/** Project names the gateway accepts (1-128 of A-Z a-z 0-9 . _ -, the first a letter or digit); connect() and subscribe() throw a TypeError for others. */
export declare const PROJECT_NAME: RegExp;
/** The project name rule in words. */
export declare const PROJECT_NAME_RULE: string;
/** Resource ids: 1-256 printable ASCII characters without spaces. */
export declare const RESOURCE_ID: RegExp;
export declare function isValidProjectName(name: unknown): boolean;
export declare function isValidResourceId(id: unknown): boolean;
export declare const DEFAULT_MAX_LOG_LINES: number;
/** The state digest of a view (docs/protocol.md, "State digest"): 16 lowercase hex digits. */
export declare function stateDigest(view: ProjectView): string;

export interface LogEntry {
  readonly stream: LogStream_Stream;
  readonly text: string;
}

export interface ResourceView {
  readonly resourceId: string;
  readonly kind: string;
  readonly status: Status;
  readonly message: string;
  /** When the status last changed (the core's clock). */
  readonly updatedAt: Timestamp | null;
  readonly seq: number;
  /** The newest lines, at most maxLogLines. */
  readonly logs: readonly LogEntry[];
  /** Lines the gateway or the core dropped for a slow path, counted since this client subscribed. */
  readonly droppedLines: number;
}

export interface ReconcileView {
  readonly reconcileId: string;
  readonly actions: readonly PlannedAction[];
  readonly startedAt: Timestamp | null;
  readonly endedAt: Timestamp | null;
  readonly running: boolean;
  readonly outcome: ReconcileEnd_Outcome;
  readonly message: string;
}

export interface ProjectView {
  readonly project: string;
  readonly epoch: string;
  readonly seq: number;
  /** Unchanged resources keep their object from one view to the next. */
  readonly resources: ReadonlyMap<string, ResourceView>;
  readonly reconcile: ReconcileView | null;
  readonly coreConnected: boolean;
  readonly coreChangedAt: Timestamp | null;
  /** False until the first snapshot arrives. */
  readonly synced: boolean;
  /** Set when the gateway answered the subscribe with the error "forbidden". */
  readonly forbidden?: true;
}

/** One project the connection may see (the "projects" message). */
export interface ProjectSummaryView {
  readonly project: string;
  readonly seq: number;
  readonly coreConnected: boolean;
  readonly coreChangedAt: Timestamp | null;
  /** When its state last changed (the hub's clock); null before any event. */
  readonly lastChangeAt: Timestamp | null;
}

export interface ConnectionState {
  readonly status: ConnectionStatusValue;
  /** Attempts since the connection was last live. */
  readonly retries: number;
  /** Whether the gateway reaches the hub (from heartbeats); null until the first heartbeat. */
  readonly hubConnected: boolean | null;
  readonly lastError: (ProtocolError & { project?: string }) | null;
  /**
   * The last close code (1013: too slow, 1001: gateway stopping, 4000: silence,
   * 4401: token revoked or expired — the client then stops, status "closed").
   */
  readonly closeCode: number;
  /** Projects started over because their state digest differed from the gateway's at the same seq. */
  readonly resyncs: number;
}

export interface ConnectOptions {
  /** ws://HOST:PORT/ws */
  url: string;
  /** The gateway's token, offered as the subprotocol nanokit.bearer.<token>. */
  token?: string;
  projects?: string[];
  /** Follow the list of projects the token may see (see projectList()). */
  watchProjects?: boolean;
  /** A WebSocket constructor; default globalThis.WebSocket (in Node 20, pass the "ws" package's). */
  WebSocket?: unknown;
  /** Log lines kept per resource (default 500). */
  maxLogLines?: number;
  /**
   * The gateway's --heartbeat-interval until its first heartbeat says (default 5000);
   * silence for three intervals reconnects.
   */
  heartbeatIntervalMs?: number;
  /** Reconnect backoff: first delay and cap (defaults 250 and 10000), with jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  onError?: (error: ProtocolError & { project?: string }) => void;
  random?: () => number;
}

export interface ChangeNotice {
  readonly projects: ReadonlySet<string>;
  readonly connection: boolean;
  /** Whether projectList() changed. */
  readonly projectList: boolean;
}

export declare class NanokitClient {
  constructor(options: ConnectOptions);
  readonly connection: ConnectionState;
  /** Heartbeats whose state digest matched the merged state. */
  readonly digestChecks: number;
  project(name: string): ProjectView | undefined;
  projects(): string[];
  /** The projects the token may see, sorted by name; null until listed (after watchProjects()). */
  projectList(): readonly ProjectSummaryView[] | null;
  watchProjects(): void;
  unwatchProjects(): void;
  onChange(listener: (notice: ChangeNotice) => void): () => void;
  subscribe(project: string): void;
  unsubscribe(project: string): void;
  /** Moves the open connection to a fresh token before its own expires (also used on reconnects). */
  authenticate(token: string): void;
  start(): void;
  close(): void;
}

export declare function connect(options: ConnectOptions): NanokitClient;

export declare function emptyProject(project: string): ProjectView;
export declare function projectFromSnapshot(snapshot: import('./messages').ProjectSnapshot, maxLogLines?: number): ProjectView;
export declare function applyChanges(view: ProjectView, messages: readonly ServerMessage[], maxLogLines?: number): ProjectView;
export declare function applyLiveness(view: ProjectView, liveness: import('./messages').ProjectLiveness): ProjectView;
