#!/usr/bin/python3
"""The protocol's examples, from Python: every file in tests/vectors parses
strictly with protobuf's json_format into the classes generated from proto/,
and prints back to the same JSON; docs/protocol.md shows each file verbatim.

Usage: vectors_test.py --proto-dir proto --vectors tests/vectors --doc docs/protocol.md
(Debian's python3-protobuf, with /usr/bin/python3.)
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

ARGS = None


def generate(proto_dir, out_dir):
    protos = sorted(glob.glob(os.path.join(proto_dir, "nanokit/bridge/v1/*.proto")))
    subprocess.run(["protoc", "-I", proto_dir, "--python_out", out_dir, *protos], check=True)
    sys.path.insert(0, out_dir)


def load(path):
    with open(path) as f:
        return f.read().rstrip("\n")


class VectorsTest(unittest.TestCase):
    def vectors(self):
        paths = sorted(glob.glob(os.path.join(ARGS.vectors, "*.json")))
        self.assertGreaterEqual(len(paths), 12)
        return paths

    def test_each_vector_parses_strictly_and_prints_back(self):
        from google.protobuf import json_format
        from nanokit.bridge.v1 import websocket_pb2

        types = set()
        for path in self.vectors():
            name = os.path.basename(path)
            cls = websocket_pb2.ClientMessage if name.startswith("client-") else websocket_pb2.ServerMessage
            text = load(path)
            with self.subTest(vector=name):
                message = json_format.Parse(text, cls(), ignore_unknown_fields=False)
                types.add(message.type)
                types.update(m.type for m in getattr(message, "messages", []))
                self.assertEqual(json_format.MessageToDict(message), json.loads(text))
                # Compact JSON, as on the wire.
                self.assertEqual(json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False), text)
        self.assertTrue({"subscribe", "unsubscribe", "snapshot", "resumed", "status_update", "log_stream",
                         "reconcile_start", "reconcile_end", "heartbeat", "batch", "error", "projects", "watch_projects",
                         "unwatch_projects"} <= types)

    def test_state_digests_are_the_reference_ones(self):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from state_digest import state_digest
        from google.protobuf import json_format
        from nanokit.bridge.v1 import watch_pb2

        with open(os.path.join(ARGS.vectors, "rules", "digests.json")) as f:
            cases = json.load(f)["cases"]
        self.assertGreaterEqual(len(cases), 5)
        for case in cases:
            with self.subTest(case=case["name"]):
                # Each snapshot is a valid ProjectSnapshot, and its digest is the reference's.
                json_format.ParseDict(case["snapshot"], watch_pb2.ProjectSnapshot())
                self.assertEqual(state_digest(case["snapshot"]), case["digest"])

    def test_the_document_shows_every_vector_verbatim(self):
        doc = load(ARGS.doc)
        blocks = re.findall(r"<!-- vector: (\S+) -->\n```json\n(.*?)\n```", doc, re.S)
        shown = {}
        for name, body in blocks:
            self.assertNotIn(name, shown, f"{name} shown twice")
            shown[name] = body
        files = {os.path.basename(p): load(p) for p in self.vectors()}
        self.assertEqual(sorted(shown), sorted(files), "docs/protocol.md and tests/vectors list different examples")
        for name, body in shown.items():
            self.assertEqual(body, files[name], f"docs/protocol.md's {name} differs from tests/vectors/{name}")
        # A JSON example without a vector marker could drift: there is none.
        self.assertEqual(doc.count("```json"), len(blocks))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--proto-dir", required=True)
    parser.add_argument("--vectors", required=True)
    parser.add_argument("--doc", required=True)
    ARGS, rest = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as out:
        generate(ARGS.proto_dir, out)
        unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
