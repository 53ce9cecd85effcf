// The state digest of docs/protocol.md ("State digest"): what the gateway's
// heartbeats carry per project, computed here over a merged view, so the
// client can prove its state equals the gateway's at the same seq. The same
// as protocol/state_digest.cc; tests/vectors/rules/digests.json holds the
// cases both check.

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const encoder = new TextEncoder();
const cache = new WeakMap(); // views are immutable: one digest each

function fnv(hash, bytes) {
  let h = hash;
  for (const byte of bytes) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK;
  return h;
}

// A netstring: the byte length in decimal, ':', the bytes, ','.
function field(hash, text) {
  const bytes = encoder.encode(text);
  return fnv(fnv(fnv(hash, encoder.encode(`${bytes.length}:`)), bytes), [0x2c]);
}

/** 16 lowercase hex digits over a ProjectView's resources and reconcile. */
export function stateDigest(view) {
  const cached = cache.get(view);
  if (cached) return cached;
  let h = FNV_OFFSET;
  // Resource ids are printable ASCII: code unit order is byte order.
  const ids = [...view.resources.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const id of ids) {
    const r = view.resources.get(id);
    for (const text of ['r', id, r.kind ?? '', r.status ?? 'UNKNOWN', r.message ?? '']) h = field(h, text);
  }
  const c = view.reconcile;
  if (c && c.reconcileId) {
    for (const text of ['c', c.reconcileId, c.running ? '1' : '0', c.outcome ?? 'OUTCOME_UNSPECIFIED']) h = field(h, text);
  }
  const digest = h.toString(16).padStart(16, '0');
  cache.set(view, digest);
  return digest;
}
