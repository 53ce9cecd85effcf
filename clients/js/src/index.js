// @nanokit/client: the JavaScript client of the Nanokit Bridge's WebSocket
// protocol (docs/protocol.md). No dependencies; browsers and Node.js 20+
// (pass { WebSocket } from the "ws" package in Node).

export { NanokitClient, ConnectionStatus, PROJECT_NAME, PROTOCOL, connect } from './client.js';
export {
  DEFAULT_MAX_LOG_LINES, applyChanges, applyLiveness, emptyProject, projectFromSnapshot,
} from './state.js';
