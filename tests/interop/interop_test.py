#!/usr/bin/python3
"""Interop from another language, using only what proto/ defines.

Generates Python stubs from proto/ with protoc and grpc_python_plugin,
publishes through IngestService like a core written in Python would, and
reads the gateway's WebSocket JSON, parsing every frame with protobuf's
json_format into nanokit.bridge.v1.ServerMessage.

Run with Debian's /usr/bin/python3 (python3-grpcio, python3-protobuf,
python3-websockets).
"""

import argparse
import asyncio
import glob
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time


def generate_stubs(proto_dir, out_dir):
    protos = sorted(glob.glob(os.path.join(proto_dir, "nanokit/bridge/v1/*.proto")))
    subprocess.run(
        ["protoc", "-I", proto_dir, "--python_out", out_dir, "--grpc_python_out", out_dir,
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", *protos],
        check=True)
    sys.path.insert(0, out_dir)


def start(binary, args, cwd, prefix):
    log = open(os.path.join(cwd, os.path.basename(binary) + ".log"), "ab")
    proc = subprocess.Popen([binary, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=log)
    line = proc.stdout.readline().decode().strip()
    if not line.startswith(prefix):
        raise RuntimeError(f"{binary} printed {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")

    def finish(self, work, on_failure=""):
        """Prints the tally; removes the work folder when all passed, keeps
        it (and prints on_failure) otherwise. Returns the exit code."""
        print(f"{self.passed} passed, {self.failed} failed")
        if self.failed == 0:
            shutil.rmtree(work, ignore_errors=True)
            return 0
        print(f"kept {work}")
        if on_failure:
            print(on_failure)
        return 1


async def read_message(ws, server_message_cls, json_format, timeout=10):
    """The next ServerMessage; a "batch" frame is returned message by message
    (what is left of one waits on its own connection)."""
    if not hasattr(ws, "nanokit_unbatched"):
        ws.nanokit_unbatched = []
    if ws.nanokit_unbatched:
        return ws.nanokit_unbatched.pop(0)
    text = await asyncio.wait_for(ws.recv(), timeout)
    message = server_message_cls()
    json_format.Parse(text, message)  # strict: unknown fields fail
    if message.type != "batch":
        return message
    ws.nanokit_unbatched.extend(message.messages)
    return await read_message(ws, server_message_cls, json_format, timeout)


async def run(args, checks):
    import grpc
    import websockets
    from google.protobuf import json_format
    from nanokit.bridge.v1 import events_pb2, ingest_pb2, ingest_pb2_grpc, watch_pb2, watch_pb2_grpc, websocket_pb2

    work = tempfile.mkdtemp(prefix="nanokit-interop-")
    token = secrets.token_urlsafe(32)
    os.makedirs(os.path.join(work, ".nanokit"))
    token_file = os.path.join(work, ".nanokit", "token")
    with open(token_file, "w") as f:
        f.write(token + "\n")
    os.chmod(token_file, 0o600)

    hub_tls, gateway_tls = [], []
    if args.tls:
        ca, cert, key = make_test_pki(work)
        hub_tls = ["--tls-cert", cert, "--tls-key", key]
        gateway_tls = ["--hub-ca", ca]
    hub, hub_port = start(args.hub, ["--listen", "127.0.0.1:0", "--token-file", token_file, *hub_tls], work,
                          "nanokit-hub listening on ")
    gateway, gateway_port = start(
        args.gateway,
        ["--listen", "127.0.0.1:0", "--hub", f"127.0.0.1:{hub_port}", "--token-file", token_file, *gateway_tls],
        work, "nanokit-gateway listening on ")
    try:
        if args.tls:
            # A TLS client of the hub in Python: trust the CA, verify the hub.
            with open(ca, "rb") as f:
                channel = grpc.secure_channel(f"127.0.0.1:{hub_port}",
                                              grpc.ssl_channel_credentials(root_certificates=f.read()))
            insecure = grpc.insecure_channel(f"127.0.0.1:{hub_port}")
            try:
                watch_pb2_grpc.WatchServiceStub(insecure).GetSnapshot(
                    watch_pb2.GetSnapshotRequest(project="py"), metadata=[("authorization", f"Bearer {token}")],
                    timeout=5)
                checks.check("a plain-text client is refused by a TLS hub", False, "it was answered")
            except grpc.RpcError as e:
                checks.check("a plain-text client is refused by a TLS hub", e.code() == grpc.StatusCode.UNAVAILABLE,
                             e.code())
        else:
            channel = grpc.insecure_channel(f"127.0.0.1:{hub_port}")
        auth = [("authorization", f"Bearer {token}")]

        uri = f"ws://127.0.0.1:{gateway_port}/ws"
        async with websockets.connect(uri, subprotocols=["nanokit.v1", f"nanokit.bearer.{token}"]) as ws:
            checks.check("subprotocol negotiated", ws.subprotocol == "nanokit.v1", ws.subprotocol)
            subscribe = websocket_pb2.ClientMessage(type="subscribe", project="py")
            await ws.send(json_format.MessageToJson(subscribe))
            snapshot = await read_message(ws, websocket_pb2.ServerMessage, json_format)
            checks.check("first reply is a snapshot", snapshot.type == "snapshot", snapshot.type)

            # Publish like a Python core would.
            emitted = events_pb2.Event(project="py", source_seq=1)
            emitted.emitted_at.GetCurrentTime()
            emitted.status_update.resource_id = "api"
            emitted.status_update.kind = "service"
            emitted.status_update.status = events_pb2.HEALTHY
            emitted.status_update.message = "from python"
            logs = events_pb2.Event(project="py", source_seq=2)
            logs.log_stream.resource_id = "api"
            logs.log_stream.stream = events_pb2.LogStream.STDERR
            logs.log_stream.lines.extend(["hello", "wörld"])
            request = ingest_pb2.PublishRequest(source="python-core", projects=["py"], events=[emitted, logs])
            ingest = ingest_pb2_grpc.IngestServiceStub(channel)
            responses = ingest.Publish(iter([request]), metadata=auth)
            acked = next(responses).acked_source_seq
            checks.check("hub acknowledges the batch", acked == 2, acked)

            seen = {}
            deadline = time.time() + 10
            while len(seen) < 2 and time.time() < deadline:
                message = await read_message(ws, websocket_pb2.ServerMessage, json_format)
                if message.type in ("status_update", "log_stream"):
                    seen[message.type] = message
            status = seen.get("status_update")
            checks.check("status_update arrives as ServerMessage",
                         status is not None and status.status_update.status == events_pb2.HEALTHY
                         and status.status_update.message == "from python" and status.project == "py"
                         and status.seq == 1, status)
            log = seen.get("log_stream")
            checks.check("log_stream arrives with its lines",
                         log is not None and list(log.log_stream.lines) == ["hello", "wörld"]
                         and log.log_stream.stream == events_pb2.LogStream.STDERR, log)
            if status is not None:
                raw = json.loads(json_format.MessageToJson(status))
                checks.check("status is unprefixed on the wire", raw["statusUpdate"]["status"] == "HEALTHY", raw)

        watch = watch_pb2_grpc.WatchServiceStub(channel)
        snap = watch.GetSnapshot(watch_pb2.GetSnapshotRequest(project="py"), metadata=auth)
        checks.check("GetSnapshot holds the published state",
                     snap.seq == 2 and snap.resources[0].resource_id == "api"
                     and [l.text for l in snap.resources[0].recent_logs] == ["hello", "wörld"], snap)
        try:
            watch.GetSnapshot(watch_pb2.GetSnapshotRequest(project="py"))
            checks.check("no token is refused", False)
        except grpc.RpcError as error:
            checks.check("no token is refused", error.code() == grpc.StatusCode.UNAUTHENTICATED, error.code())
        try:
            async with websockets.connect(uri, subprotocols=["nanokit.v1"]):
                checks.check("WebSocket without token is refused", False)
        except websockets.exceptions.InvalidStatusCode as error:
            checks.check("WebSocket without token is refused", error.status_code == 401, error.status_code)
        channel.close()
    finally:
        for proc in (gateway, hub):
            proc.terminate()
            try:
                checks.check(f"{os.path.basename(proc.args[0])} exits 0 on SIGTERM", proc.wait(timeout=10) == 0)
            except subprocess.TimeoutExpired:
                proc.kill()
                checks.check(f"{os.path.basename(proc.args[0])} exits 0 on SIGTERM", False, "timeout")
        shutil.rmtree(work, ignore_errors=True)


def make_test_pki(work):
    """A CA and a hub certificate for 127.0.0.1 (EC P-256, one day), with
    Debian's openssl. Returns (ca, cert, key) paths."""
    ca, ca_key = os.path.join(work, "ca.pem"), os.path.join(work, "ca-key.pem")
    cert, key, csr = (os.path.join(work, n) for n in ("hub.pem", "hub-key.pem", "hub.csr"))
    ext = os.path.join(work, "hub.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for command in (
            ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "1", "-subj", "/CN=interop CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
            ["req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "1",
             "-sha256", "-extfile", ext, "-out", cert]):
        subprocess.run(["/usr/bin/openssl", *command], check=True, capture_output=True)
    return ca, cert, key


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proto-dir", required=True)
    parser.add_argument("--hub", required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--tls", action="store_true",
                        help="run the hub with TLS (the test's own CA) and reach it as a TLS client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nanokit-stubs-") as stubs:
        generate_stubs(args.proto_dir, stubs)
        checks = Checks()
        asyncio.run(run(args, checks))
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 and checks.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
