#!/usr/bin/python3
"""A dashboard that never finishes a closing handshake is dropped after
--close-timeout: real processes, raw sockets. One dashboard sends its close
frame and then keeps the TCP connection open; another sends an oversized
frame, which the gateway answers with a close (1009) that is never answered.
Neither may hold its connection (a descriptor, a session) for ever, while a
dashboard that stays open is kept.

Run with Debian's /usr/bin/python3 (python3-prometheus-client).
"""

import argparse
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from interop_test import Checks  # noqa: E402
from operations_test import scrape, start_servers, value, wait_for  # noqa: E402


def connect(port, token):
    """A WebSocket upgraded by hand: the raw socket."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: nanokit.v1, nanokit.bearer.{token}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def masked_frame(opcode, payload, length=None):
    """A client frame; length: what the header claims (the payload sent may be shorter)."""
    length = len(payload) if length is None else length
    header = bytes([0x80 | opcode])
    if length < 126:
        header += bytes([0x80 | length])
    elif length < 65536:
        header += bytes([0x80 | 126]) + length.to_bytes(2, "big")
    else:
        header += bytes([0x80 | 127]) + length.to_bytes(8, "big")
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hub", required=True)
    parser.add_argument("--gateway", required=True)
    args = parser.parse_args()
    checks = Checks()
    work = tempfile.mkdtemp(prefix="nanokit-closing-")
    processes, sockets = [], []
    try:
        token, processes, port, metrics = start_servers(
            args, work, gateway_flags=["--heartbeat-interval", "250ms", "--close-timeout", "1s"])

        staying = connect(port, token)
        closer = connect(port, token)
        oversized = connect(port, token)
        sockets += [staying, closer, oversized]
        checks.check("three connections open",
                     wait_for(lambda: value(scrape(metrics), "nanokit_gateway_connections") == 3), scrape(metrics))

        # Its close frame (1000), then nothing: the TCP connection stays open.
        closer.sendall(masked_frame(0x8, (1000).to_bytes(2, "big")))
        # A frame that says 100,000 bytes (over the 64 KiB allowed): the
        # gateway closes (1009); the dashboard neither answers nor goes.
        oversized.sendall(masked_frame(0x1, b"x" * 1000, length=100000))
        began = time.time()
        dropped = wait_for(lambda: value(scrape(metrics), "nanokit_gateway_connections") == 1, timeout=10)
        took = time.time() - began
        checks.check("both unfinished closes are dropped", dropped, scrape(metrics))
        checks.check("within the close timeout and a few ticks (1 s + a little)", took < 4, f"{took:.1f} s")
        log = open(os.path.join(work, "nanokit-gateway.log")).read()
        checks.check("each said once", log.count("did not finish closing within 1s; dropping it") == 2, log[-2000:])
        # Their TCP connections are gone at the gateway's end too: what they
        # send now is refused (a reset), where an open half would read it.
        for name, s in (("closer", closer), ("oversized", oversized)):
            refused = False
            try:
                for _ in range(5):
                    s.sendall(b"still there?")
                    time.sleep(0.1)
            except OSError:
                refused = True
            checks.check(f"the {name} dashboard's connection is closed at the gateway", refused)
        time.sleep(1.5)
        checks.check("the open dashboard stays, past the close timeout",
                     value(scrape(metrics), "nanokit_gateway_connections") == 1)
    finally:
        for s in sockets:
            s.close()
        for process in reversed(processes):
            process.kill()
            process.wait()
    return checks.finish(work)


if __name__ == "__main__":
    sys.exit(main())
