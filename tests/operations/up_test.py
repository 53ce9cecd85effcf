#!/usr/bin/python3
"""`nanokit up --demo`, as a user runs it: it creates the token, starts a
hub and a gateway (data in the folder given), prints the dashboard's link;
the link serves the dashboard, and a WebSocket client with the link's token
sees the demo core's live events; Ctrl-C (SIGINT) stops everything.

Usage: up_test.py --nanokit CLI --proto-dir PROTO_DIR
"""

import argparse
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from interop_test import Checks, generate_stubs, read_message  # noqa: E402


def read_until(proc, pattern, timeout=60):
    """stdout lines until one matches; (match, lines read)."""
    lines, deadline = [], time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline().decode()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        match = re.search(pattern, line)
        if match:
            return match, lines
    return None, lines


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


async def live_events(port, token, project, checks):
    import websockets
    from google.protobuf import json_format
    from nanokit.bridge.v1 import websocket_pb2
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws",
                                  subprotocols=["nanokit.v1", f"nanokit.bearer.{token}"]) as ws:
        await ws.send(json_format.MessageToJson(websocket_pb2.ClientMessage(type="subscribe", project=project)))
        first = await read_message(ws, websocket_pb2.ServerMessage, json_format)
        checks.check("the link's token subscribes: a snapshot first", first.type == "snapshot", first.type)
        kinds, deadline = set(), time.time() + 20
        while len(kinds) < 2 and time.time() < deadline:
            message = await read_message(ws, websocket_pb2.ServerMessage, json_format)
            if message.type in ("status_update", "log_stream", "reconcile_start", "reconcile_end"):
                kinds.add(message.type)
        checks.check("the demo core's events arrive live", len(kinds) >= 2, kinds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nanokit", required=True)
    parser.add_argument("--proto-dir", required=True)
    args = parser.parse_args()
    checks = Checks()
    work = tempfile.mkdtemp(prefix="nanokit-up-")
    os.makedirs(os.path.join(work, "stubs"))
    generate_stubs(args.proto_dir, os.path.join(work, "stubs"))
    data = os.path.join(work, "state")
    up = subprocess.Popen([args.nanokit, "up", "--demo", "--dir", data, "--hub-listen", "127.0.0.1:0",
                           "--gateway-listen", "127.0.0.1:0"], cwd=work, stdout=subprocess.PIPE,
                          stderr=open(os.path.join(work, "up.log"), "wb"))
    try:
        match, lines = read_until(up, r"Open the dashboard: http://127\.0\.0\.1:(\d+)/#token=([\w-]+)&project=(\w+)")
        checks.check("up prints the dashboard's link", match is not None, lines)
        if match is None:
            return checks.finish(work, "up's stderr:\n" + open(os.path.join(work, "up.log")).read())
        port, token, project = int(match.group(1)), match.group(2), match.group(3)
        hub = next((re.search(r"hub on 127\.0\.0\.1:(\d+)", line) for line in lines if "hub on" in line), None)
        checks.check("up says where the hub is", hub is not None, lines)
        hub_port = int(hub.group(1)) if hub else None
        token_file = os.path.join(data, "token")
        checks.check("up created the token (mode 0600)",
                     os.path.exists(token_file) and os.stat(token_file).st_mode & 0o777 == 0o600
                     and open(token_file).read().strip() == token)
        checks.check("the hub's data is in the folder given", os.path.isdir(os.path.join(data, "hub")))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode()
        checks.check("the link serves the dashboard", response.status == 200 and "<html" in page.lower())
        asyncio.run(live_events(port, token, project, checks))

        up.send_signal(signal.SIGINT)
        try:
            code = up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        checks.check("Ctrl-C stops up, exit code 0", code == 0, code)
        checks.check("the gateway stopped with it", not listening(port))
        checks.check("the hub stopped with it", hub_port is not None and not listening(hub_port))
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    return checks.finish(work, "up's stderr:\n" + open(os.path.join(work, "up.log")).read())


if __name__ == "__main__":
    sys.exit(main())
