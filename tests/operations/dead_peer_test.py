#!/usr/bin/python3
"""A dashboard whose network dies is closed by the gateway within the idle
timeout, and one that is merely idle is not: real processes, the dead one
on a host of its own (a network namespace joined to ours by a veth pair,
whose address then goes: no FIN, no RST, nothing acknowledged any more),
the idle one on loopback. The gateway keeps no timer or ping per
connection: its heartbeats go unacknowledged and TCP gives up
(TCP_USER_TIMEOUT). Needs root and iproute2.

Run with Debian's /usr/bin/python3 (python3-prometheus-client).
"""

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from interop_test import Checks  # noqa: E402
from operations_test import scrape, start_servers, value, wait_for  # noqa: E402

# A dashboard, as little as one can be: the upgrade with its token, one
# masked subscribe frame, then it reads (and acknowledges) whatever comes.
CLIENT = r"""
import os, socket, sys
host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port), timeout=10)
s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           f"Sec-WebSocket-Protocol: nanokit.v1, nanokit.bearer.{token}\r\n\r\n").encode())
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(4096)
assert head.startswith(b"HTTP/1.1 101"), head
payload = b'{"type":"subscribe","project":"demo"}'
mask = os.urandom(4)
s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
print("subscribed", flush=True)
s.settimeout(None)
while s.recv(65536):
    pass
"""


def ip(*args, netns=None):
    command = ["ip", *(["netns", "exec", netns, "ip"] if netns else []), *args]
    subprocess.run(command, check=True, capture_output=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hub", required=True)
    parser.add_argument("--gateway", required=True)
    args = parser.parse_args()
    checks = Checks()
    work = tempfile.mkdtemp(prefix="nanokit-dead-peer-")
    tag = secrets.token_hex(3)
    netns, host_link, peer_link = f"nanokit-{tag}", f"nk{tag}h", f"nk{tag}p"
    # 198.18.0.0/15 is set aside for tests of network devices (RFC 2544):
    # no real network of the machine's is there.
    net = f"198.{18 + int(tag[:2], 16) % 2}.{int(tag[2:4], 16)}"
    processes = []
    try:
        ip("netns", "add", netns)
        ip("link", "add", host_link, "type", "veth", "peer", "name", peer_link)
        ip("link", "set", peer_link, "netns", netns)
        ip("addr", "add", f"{net}.1/30", "dev", host_link)
        ip("link", "set", host_link, "up")
        ip("addr", "add", f"{net}.2/30", "dev", peer_link, netns=netns)
        ip("link", "set", peer_link, "up", netns=netns)
        ip("link", "set", "lo", "up", netns=netns)

        # Listening on every address: the far host reaches it over the veth.
        token, servers, gateway_port, metrics = start_servers(
            args, work, gateway_flags=["--heartbeat-interval", "250ms", "--idle-timeout", "2s"], listen="0.0.0.0:0")
        processes += servers

        far = subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, "-c", CLIENT, f"{net}.1",
                                str(gateway_port), token], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        processes.append(far)
        near = subprocess.Popen([sys.executable, "-c", CLIENT, "127.0.0.1", str(gateway_port), token],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        processes.append(near)
        for client, name in ((far, "far"), (near, "near")):
            line = client.stdout.readline().decode().strip()
            checks.check(f"the {name} dashboard subscribed", line == "subscribed",
                         "" if line == "subscribed" else client.stderr.read().decode())
        checks.check("two connections open",
                     wait_for(lambda: value(scrape(metrics), "nanokit_gateway_connections") == 2), scrape(metrics))

        # The far host vanishes: its address goes, so what it is sent is
        # dropped there without a word (no ACK, no RST), while our side of
        # the link stays up and keeps retransmitting, as over a network.
        cut = time.time()
        ip("addr", "del", f"{net}.2/30", "dev", peer_link, netns=netns)
        closed = wait_for(lambda: value(scrape(metrics), "nanokit_gateway_connections") == 1, timeout=15)
        took = time.time() - cut
        checks.check("the dead dashboard is closed", closed, scrape(metrics))
        checks.check("within the idle timeout and a few heartbeats (2 s + a little)", took < 6, f"{took:.1f} s")
        samples = scrape(metrics)
        checks.check("counted as ended without a close frame (1006)",
                     value(samples, "nanokit_gateway_disconnects_total", code="1006") == 1,
                     {k: v for k, v in samples.items() if k[0] == "nanokit_gateway_disconnects_total"})
        # The idle dashboard on loopback sends nothing, but acknowledges
        # every heartbeat: it stays, well past the idle timeout.
        time.sleep(3)
        checks.check("the idle dashboard stays open past the idle timeout",
                     value(scrape(metrics), "nanokit_gateway_connections") == 1 and near.poll() is None)
    finally:
        for process in reversed(processes):
            process.kill()
            process.wait()
        subprocess.run(["ip", "netns", "delete", netns], capture_output=True)
        subprocess.run(["ip", "link", "delete", host_link], capture_output=True)
    return checks.finish(work)


if __name__ == "__main__":
    sys.exit(main())
