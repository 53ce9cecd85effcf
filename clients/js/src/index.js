// @nanokit/client: the JavaScript client of the Nanokit Bridge's WebSocket
// protocol (docs/protocol.md). No dependencies; browsers and Node.js 20+
// (pass { WebSocket } from the "ws" package in Node).

export {
  CLOSE_TOKEN_REVOKED, NanokitClient, ConnectionStatus, PROTOCOL, connect,
} from './client.js';
export {
  PROJECT_NAME, PROJECT_NAME_RULE, RESOURCE_ID, isValidProjectName, isValidResourceId,
} from './names.js';
export { stateDigest } from './digest.js';
export {
  DEFAULT_MAX_LOG_LINES, applyChanges, applyLiveness, emptyProject, projectFromSnapshot,
} from './state.js';
