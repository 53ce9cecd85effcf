"""The state digest of docs/protocol.md ("State digest"), in Python: the
reference the C++ (protocol/state_digest.cc) and JavaScript
(clients/js/src/digest.js) implementations are checked against through
tests/vectors/rules/digests.json. Takes a ProjectSnapshot as proto3 JSON
(a dict), as a snapshot message carries it."""

FNV_OFFSET = 14695981039346656037
FNV_PRIME = 1099511628211


def _field(out, text):
    data = text.encode("utf-8")
    out += str(len(data)).encode() + b":" + data + b","


def state_digest(snapshot):
    out = bytearray()
    resources = sorted(snapshot.get("resources", []), key=lambda r: r["resourceId"].encode("utf-8"))
    for r in resources:
        for text in ("r", r["resourceId"], r.get("kind", ""), r.get("status", "UNKNOWN"), r.get("message", "")):
            _field(out, text)
    reconcile = snapshot.get("reconcile", {})
    if reconcile.get("reconcileId"):
        for text in ("c", reconcile["reconcileId"], "1" if reconcile.get("running") else "0",
                     reconcile.get("outcome", "OUTCOME_UNSPECIFIED")):
            _field(out, text)
    h = FNV_OFFSET
    for byte in out:
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h
