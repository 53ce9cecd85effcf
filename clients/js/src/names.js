// The name rules of the protocol (docs/protocol.md, Names), the same as the
// gateway's and the hub's (protocol/names.cc); tests/vectors/rules/names.json
// holds the cases both check.

/** Project names: 1-128 of A-Z a-z 0-9 . _ - , the first a letter or digit. */
export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Resource ids: 1-256 printable ASCII characters without spaces. */
export const RESOURCE_ID = /^[\x21-\x7e]{1,256}$/;

export const PROJECT_NAME_RULE =
  'a project name is 1-128 characters of [A-Za-z0-9._-] and starts with a letter or digit';

export function isValidProjectName(name) {
  return typeof name === 'string' && PROJECT_NAME.test(name);
}

export function isValidResourceId(id) {
  return typeof id === 'string' && RESOURCE_ID.test(id);
}
