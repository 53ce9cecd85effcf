#!/usr/bin/python3
"""Prints a project's live messages from a nanokit-gateway, one per line.

Usage: scripts/watch.py [--url ws://127.0.0.1:7701/ws] [--project demo]
                        [--token-file .nanokit/token]
Uses Debian's python3-websockets.
"""

import argparse
import asyncio
import json
import sys

import websockets


async def watch(url, project, token):
    protocols = ["nanokit.v1", f"nanokit.bearer.{token}"]
    async with websockets.connect(url, subprotocols=protocols) as ws:
        await ws.send(json.dumps({"type": "subscribe", "project": project}))
        async for text in ws:
            message = json.loads(text)
            kind = message.get("type")
            if kind == "snapshot":
                snapshot = message.get("snapshot", {})
                print(f"snapshot seq={message.get('seq', '0')}:")
                for r in snapshot.get("resources", []):
                    print(f"  {r['resourceId']:<12} {r.get('status', 'UNKNOWN'):<10} {r.get('message', '')}")
            elif kind == "status_update":
                u = message["statusUpdate"]
                print(f"#{message['seq']:>5} {u['resourceId']:<12} {u.get('status', 'UNKNOWN'):<10} {u.get('message', '')}")
            elif kind == "log_stream":
                logs = message["logStream"]
                for line in logs.get("lines", []):
                    print(f"#{message['seq']:>5} {logs['resourceId']:<12} | {line}")
            elif kind in ("reconcile_start", "reconcile_end"):
                print(f"#{message['seq']:>5} {kind} {json.dumps(message.get('reconcileStart') or message.get('reconcileEnd'))}")
            elif kind == "heartbeat":
                continue
            else:
                print(text)
            sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:7701/ws")
    parser.add_argument("--project", default="demo")
    parser.add_argument("--token-file", default=".nanokit/token")
    args = parser.parse_args()
    with open(args.token_file) as f:
        token = f.read().strip()
    try:
        asyncio.run(watch(args.url, args.project, token))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
