#!/usr/bin/python3
"""A gateway out of descriptors waits instead of spinning: real processes,
the gateway under a low open-file limit (prlimit) and more connections than
it allows. It must not retry the failing accept at once, forever (a core
spent and a log line written each time): it says so once, backs off, keeps
the connections waiting in the listen backlog, and serves again when
descriptors are released, counting the failures in
nanokit_gateway_accept_failures_total.

Run with Debian's /usr/bin/python3 (python3-prometheus-client).
"""

import argparse
import os
import socket
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from interop_test import Checks  # noqa: E402
from operations_test import http_status, scrape, start_servers, value, wait_for  # noqa: E402

OPEN_FILES = 64


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hub", required=True)
    parser.add_argument("--gateway", required=True)
    args = parser.parse_args()
    checks = Checks()
    work = tempfile.mkdtemp(prefix="nanokit-descriptors-")
    processes, clients = [], []
    try:
        _, processes, gateway_port, metrics = start_servers(
            args, work, wrapper=["prlimit", f"--nofile={OPEN_FILES}:{OPEN_FILES}"])
        gateway = processes[1]
        base = f"http://127.0.0.1:{gateway_port}"
        checks.check("ready", wait_for(lambda: http_status(base + "/readyz")[0] == 200), http_status(base + "/readyz"))

        # Twice as many connections as the gateway may hold; they send
        # nothing, so those it takes stay open (the request timeout is 15 s).
        for _ in range(2 * OPEN_FILES):
            clients.append(socket.create_connection(("127.0.0.1", gateway_port), timeout=5))
        log_path = os.path.join(work, "nanokit-gateway.log")
        checks.check("the gateway says it is out of descriptors",
                     wait_for(lambda: "Too many open files" in open(log_path).read(), timeout=5))
        before = cpu_seconds(gateway.pid)
        time.sleep(2)
        spent = cpu_seconds(gateway.pid) - before
        checks.check("it waits rather than spins (CPU over 2 s)", spent < 0.5, f"{spent:.2f} s")
        failed_lines = [line for line in open(log_path) if "accept failed" in line]
        checks.check("said once, with the limit and what to do", len(failed_lines) == 1
                     and f"the open-file limit is {OPEN_FILES}" in failed_lines[0], failed_lines[:3])

        # Descriptors come back: the connections waiting in the backlog are
        # taken, and new ones are served.
        for client in clients:
            client.close()
        clients.clear()
        checks.check("served again once descriptors are free",
                     wait_for(lambda: http_status(base + "/healthz")[0] == 200, timeout=10),
                     http_status(base + "/healthz"))
        checks.check("it says it accepts again",
                     wait_for(lambda: "accepting connections again" in open(log_path).read(), timeout=5))
        failures = value(scrape(metrics), "nanokit_gateway_accept_failures_total")
        checks.check("the failures are counted, a few per second at most", 1 <= failures < 100, failures)
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            checks.check("and the gateway is healthy", response.status == 200)
    finally:
        for client in clients:
            client.close()
        for process in reversed(processes):
            process.kill()
            process.wait()
    return checks.finish(work)


if __name__ == "__main__":
    sys.exit(main())
