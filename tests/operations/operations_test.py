#!/usr/bin/python3
"""Operating the servers, on real processes: /metrics of the hub and the
gateway parsed with Prometheus' own parser (python3-prometheus-client), each
named counter moving when its event happens; the hub's grpc.health.v1 and
server reflection without a token (called the way grpcurl does: raw
messages, descriptors from reflection); the gateway's /healthz and /readyz
across a hub restart; JSON logs line by line, with no token in them.

Run with Debian's /usr/bin/python3 (python3-grpcio, python3-protobuf,
python3-websockets, python3-prometheus-client).
"""

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from interop_test import Checks, generate_stubs, read_message  # noqa: E402

SERVING, NOT_SERVING = b"\x08\x01", b"\x08\x02"  # grpc.health.v1.HealthCheckResponse


def start(binary, args, cwd, name):
    """The process, its port and its metrics port (the two stdout lines)."""
    log = open(os.path.join(cwd, name + ".log"), "ab")
    proc = subprocess.Popen([binary, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=log)
    listening = proc.stdout.readline().decode().strip()
    metrics = proc.stdout.readline().decode().strip()
    if not listening.startswith(f"{name} listening on ") or not metrics.startswith(f"{name} metrics on 127.0.0.1:"):
        raise RuntimeError(f"{binary} printed {listening!r} {metrics!r}")
    return proc, int(listening.rsplit(":", 1)[1]), int(metrics.rsplit(":", 1)[1])


def write_token(work):
    """A fresh admin token in work/token, private as the servers want it: (token, its file)."""
    token = secrets.token_urlsafe(32)
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as f:
        f.write(token + "\n")
    os.chmod(token_file, 0o600)
    return token, token_file


def start_servers(args, work, gateway_flags=(), listen="127.0.0.1:0", wrapper=()):
    """A fresh token, an in-memory hub and a gateway watching it, both serving
    metrics and logging into work. wrapper: a command the gateway runs under
    (prlimit ..., say). Returns (token, [hub, gateway], the gateway's port,
    its metrics port)."""
    token, token_file = write_token(work)
    hub, hub_port, _ = start(args.hub, ["--listen", "127.0.0.1:0", "--in-memory", "--token-file", token_file,
                                        "--metrics-listen", "127.0.0.1:0"], work, "nanokit-hub")
    command = [*wrapper, args.gateway, "--listen", listen, "--hub", f"127.0.0.1:{hub_port}", "--token-file",
               token_file, "--metrics-listen", "127.0.0.1:0", *gateway_flags]
    try:
        gateway, port, metrics = start(command[0], command[1:], work, "nanokit-gateway")
    except Exception:
        hub.kill()
        hub.wait()
        raise
    return token, [hub, gateway], port, metrics


def scrape(port):
    """{(sample name, ((label, value), ...)): value}, parsed by prometheus_client."""
    from prometheus_client.parser import text_string_to_metric_families
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def wait_for(predicate, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def fields(data):
    """A protobuf message's top-level fields as (number, wire type, value)
    (varints and length-delimited only: all the reflection messages use)."""
    out, i = [], 0
    while i < len(data):
        key, i = varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(data, i)
        elif wire == 2:
            n, i = varint(data, i)
            v, i = data[i:i + n], i + n
        else:
            raise ValueError(f"wire type {wire}")
        out.append((number, wire, v))
    return out


def varint(data, i):
    shift = result = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, i


def string_field(number, text):
    raw = text.encode()
    return bytes([number << 3 | 2, len(raw)]) + raw


def reflect(channel, request):
    """One ServerReflectionInfo exchange: the response's fields."""
    call = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    return fields(next(call(iter([request]), timeout=5)))


async def run(args, checks):
    import grpc
    import websockets
    from google.protobuf import descriptor_pb2, json_format
    from nanokit.bridge.v1 import events_pb2, ingest_pb2, ingest_pb2_grpc, websocket_pb2

    work = tempfile.mkdtemp(prefix="nanokit-operations-")
    token, token_file = write_token(work)
    hub_args = ["--token-file", token_file, "--data-dir", os.path.join(work, "hub"), "--metrics-listen",
                "127.0.0.1:0", "--log-format", "json"]
    hub, hub_port, hub_metrics = start(args.hub, ["--listen", "127.0.0.1:0", *hub_args], work, "nanokit-hub")
    # The gateway reads its flags from a file (--config, as the package's
    # /etc/nanokit/gateway.toml), the listen address from the command line.
    gateway_config = os.path.join(work, "gateway.toml")
    with open(gateway_config, "w") as f:
        f.write(f'hub = "127.0.0.1:{hub_port}"\ntoken-file = "{token_file}"\nmetrics-listen = "127.0.0.1:0"\n'
                'log-format = "json"\nmax-queued-bytes = 65536\n')
    gateway, gateway_port, gateway_metrics = start(
        args.gateway, ["--config", gateway_config, "--listen", "127.0.0.1:0"], work, "nanokit-gateway")
    base = f"http://127.0.0.1:{gateway_port}"
    auth = [("authorization", f"Bearer {token}")]
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{hub_port}")
        # Health and reflection, without a token.
        check_health = channel.unary_unary("/grpc.health.v1.Health/Check")
        checks.check("health: SERVING, asked without a token", check_health(b"", timeout=5) == SERVING)
        listed = reflect(channel, string_field(7, ""))  # list_services
        services = [fields(s)[0][2].decode() for n, _, body in listed if n == 6 for _, _, s in fields(body)]
        checks.check("reflection lists the services",
                     {"nanokit.bridge.v1.IngestService", "nanokit.bridge.v1.WatchService", "grpc.health.v1.Health",
                      "grpc.reflection.v1alpha.ServerReflection"} <= set(services), services)
        described = reflect(channel, string_field(4, "nanokit.bridge.v1.IngestService"))  # file_containing_symbol
        files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
                 for n, _, body in described if n == 4 for _, _, raw in fields(body)]
        methods = [m.name for f in files for s in f.service if s.name == "IngestService" for m in s.method]
        checks.check("reflection gives IngestService's descriptor", methods == ["Publish"], methods)

        # Publishes: accepted, a no-op (the same status again), retries.
        ingest = ingest_pb2_grpc.IngestServiceStub(channel)

        def status(seq, resource, text="up"):
            event = events_pb2.Event(project="ops", source_seq=seq)
            event.emitted_at.GetCurrentTime()
            event.status_update.resource_id = resource
            event.status_update.status = events_pb2.HEALTHY
            event.status_update.message = text
            return event

        def publish(events, metadata=auth):
            request = ingest_pb2.PublishRequest(source="ops-core", projects=["ops"], events=events)
            return next(ingest.Publish(iter([request]), metadata=metadata, timeout=10)).acked_source_seq

        checks.check("ready: 200 with the hub up", wait_for(lambda: http_status(base + "/readyz")[0] == 200),
                     http_status(base + "/readyz"))
        uri = f"ws://127.0.0.1:{gateway_port}/ws"
        async with websockets.connect(uri, subprotocols=["nanokit.v1", f"nanokit.bearer.{token}"]) as ws:
            await ws.send(json.dumps({"type": "subscribe", "project": "ops"}))
            first = await read_message(ws, websocket_pb2.ServerMessage, json_format)
            checks.check("the first reply is a snapshot", first.type == "snapshot", first.type)
            acked = publish([status(1, "api"), status(2, "api"), status(3, "db")])
            checks.check("three published", acked == 3, acked)
            checks.check("retries acknowledged", publish([status(1, "api"), status(2, "api"), status(3, "db")]) == 3)
            seen = []
            while len(seen) < 2:
                message = await read_message(ws, websocket_pb2.ServerMessage, json_format)
                if message.type == "status_update":
                    seen.append(message.seq)
            hub_samples = scrape(hub_metrics)
            checks.check("hub: events accepted", value(hub_samples, "nanokit_hub_events_accepted_total") == 2,
                         value(hub_samples, "nanokit_hub_events_accepted_total"))
            checks.check("hub: the same status again is a no-op",
                         value(hub_samples, "nanokit_hub_events_noop_total") == 1)
            checks.check("hub: retries are duplicates", value(hub_samples, "nanokit_hub_events_duplicate_total") == 3)
            checks.check("hub: commits timed", value(hub_samples, "nanokit_hub_commit_seconds_count") >= 2
                         and value(hub_samples, "nanokit_hub_commit_seconds_bucket", le="+Inf") ==
                         value(hub_samples, "nanokit_hub_commit_seconds_count"))
            checks.check("hub: one project", value(hub_samples, "nanokit_hub_projects") == 1)
            checks.check("hub: the gateway's watch of the project",
                         value(hub_samples, "nanokit_hub_watchers") == 1, value(hub_samples, "nanokit_hub_watchers"))
            checks.check("hub: no publish stream left open",
                         wait_for(lambda: value(scrape(hub_metrics), "nanokit_hub_publish_streams") == 0))
            for metadata, reason in (([], "missing"), ([("authorization", "Bearer not-a-token")], "invalid")):
                try:
                    publish([status(9, "x")], metadata)
                    checks.check(f"publish refused ({reason})", False)
                except grpc.RpcError as error:
                    checks.check(f"publish refused ({reason})", error.code() == grpc.StatusCode.UNAUTHENTICATED)
            hub_samples = scrape(hub_metrics)
            for reason in ("missing", "invalid"):
                checks.check(f"hub: auth failure counted ({reason})",
                             value(hub_samples, "nanokit_hub_auth_failures_total", reason=reason) == 1)

            # A write is counted when the gateway learns it completed, which
            # may come after the dashboard has read it.
            wait_for(lambda: value(scrape(gateway_metrics), "nanokit_gateway_delivery_lag_seconds_count") >= 1
                     and value(scrape(gateway_metrics), "nanokit_gateway_messages_sent_total") >= 3)
            samples = scrape(gateway_metrics)
            checks.check("gateway: connected to the hub", value(samples, "nanokit_gateway_hub_connected") == 1)
            checks.check("gateway: one connection, one subscription",
                         value(samples, "nanokit_gateway_connections") == 1
                         and value(samples, "nanokit_gateway_subscriptions") == 1)
            checks.check("gateway: messages and bytes sent", value(samples, "nanokit_gateway_messages_sent_total") >= 3
                         and value(samples, "nanokit_gateway_bytes_sent_total") > 100)
            checks.check("gateway: delivery lag observed",
                         value(samples, "nanokit_gateway_delivery_lag_seconds_count") >= 1
                         and value(samples, "nanokit_gateway_delivery_lag_seconds_sum") < 10)
            checks.check("gateway: the first reply counted as a snapshot resync",
                         value(samples, "nanokit_gateway_resyncs_total", kind="snapshot") == 1)
        epoch, after = first.epoch, seen[-1]
        checks.check("gateway: a normal close counted (1000)", wait_for(
            lambda: value(scrape(gateway_metrics), "nanokit_gateway_disconnects_total", code="1000") == 1
            and value(scrape(gateway_metrics), "nanokit_gateway_connections") == 0
            and value(scrape(gateway_metrics), "nanokit_gateway_subscriptions") == 0))

        async with websockets.connect(uri, subprotocols=["nanokit.v1", f"nanokit.bearer.{token}"]) as ws:
            await ws.send(json.dumps({"type": "subscribe", "project": "ops", "epoch": epoch, "afterSeq": str(after)}))
            reply = await read_message(ws, websocket_pb2.ServerMessage, json_format)
            checks.check("a resume is resumed", reply.type == "resumed", reply.type)
        checks.check("gateway: the resume counted", wait_for(
            lambda: value(scrape(gateway_metrics), "nanokit_gateway_resyncs_total", kind="resumed") == 1))
        try:
            async with websockets.connect(uri, subprotocols=["nanokit.v1", "nanokit.bearer.wrong"]):
                pass
        except websockets.exceptions.InvalidStatusCode as error:
            checks.check("a wrong token is refused", error.status_code == 401, error.status_code)
        checks.check("gateway: auth failure counted", wait_for(
            lambda: value(scrape(gateway_metrics), "nanokit_gateway_auth_failures_total", reason="invalid") == 1))

        # A dashboard that reads nothing while 20,000 updates go by is closed
        # (1013) once 64 KiB wait for it beyond what the sockets hold.
        slow = await websockets.connect(uri, subprotocols=["nanokit.v1", f"nanokit.bearer.{token}"],
                                        max_queue=1, read_limit=2 ** 16)
        await slow.send(json.dumps({"type": "subscribe", "project": "ops"}))
        slow.transport.pause_reading()
        for start_seq in range(10, 20010, 1000):
            publish([status(s, f"r{s}", "x" * 200) for s in range(start_seq, start_seq + 1000)])
        checks.check("gateway: a slow consumer closed and counted", wait_for(
            lambda: value(scrape(gateway_metrics), "nanokit_gateway_slow_consumer_closes_total") == 1
            and value(scrape(gateway_metrics), "nanokit_gateway_disconnects_total", code="1013") == 1, 20))
        slow.transport.abort()

        # What deploy/'s dashboard and alerts query is what the servers serve.
        served = {name for name, _ in scrape(hub_metrics)} | {name for name, _ in scrape(gateway_metrics)}
        deploy = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy")
        for file in ("grafana-dashboard.json", "prometheus-alerts.yml"):
            with open(os.path.join(deploy, file)) as f:
                queried = set(re.findall(r"nanokit_[a-z_]+", f.read()))
            checks.check(f"deploy/{file} queries only served metrics", queried and queried <= served,
                         sorted(queried - served))

        # Health goes NOT_SERVING on shutdown; readiness follows the hub.
        watch = channel.unary_stream("/grpc.health.v1.Health/Watch")(b"", timeout=20)
        checks.check("health watch: SERVING", next(watch) == SERVING)
        hub.send_signal(signal.SIGTERM)
        try:
            after_stop = next(watch)
        except grpc.RpcError as error:
            after_stop = error.code()
        checks.check("health watch: NOT_SERVING on shutdown", after_stop == NOT_SERVING, after_stop)
        checks.check("hub exits 0", hub.wait(timeout=10) == 0)
        checks.check("ready: 503 with the hub stopped",
                     wait_for(lambda: http_status(base + "/readyz")[0] == 503), http_status(base + "/readyz"))
        checks.check("ready: says why", "hub" in http_status(base + "/readyz")[1])
        checks.check("healthz: alive all the same", http_status(base + "/healthz")[0] == 200)
        checks.check("gateway: hub_connected 0",
                     wait_for(lambda: value(scrape(gateway_metrics), "nanokit_gateway_hub_connected") == 0))
        hub, _, hub_metrics = start(args.hub, ["--listen", f"127.0.0.1:{hub_port}", *hub_args], work, "nanokit-hub")
        checks.check("ready: 200 when the hub returns",
                     wait_for(lambda: http_status(base + "/readyz")[0] == 200, 20), http_status(base + "/readyz"))
        checks.check("health after the restart: SERVING", check_health(b"", timeout=5) == SERVING)
        channel.close()
    finally:
        for proc in (gateway, hub):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()

    # JSON logs: every line an object with the fields, and no token.
    for name in ("nanokit-hub", "nanokit-gateway"):
        with open(os.path.join(work, name + ".log")) as f:
            text = f.read()
        lines = text.splitlines()
        parsed = []
        for line in lines:
            try:
                parsed.append(json.loads(line))
            except ValueError:
                checks.check(f"{name}: a log line that is not JSON", False, line)
        checks.check(f"{name}: JSON log lines", len(parsed) == len(lines) > 3, len(lines))
        checks.check(f"{name}: time, level, component, message on each", all(
            {"time", "level", "component", "message"} <= set(p) for p in parsed))
        checks.check(f"{name}: ids as fields", any("conn" in p or "stream" in p for p in parsed))
        checks.check(f"{name}: no token in the log", token not in text and "not-a-token" not in text)
    shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proto-dir", required=True)
    parser.add_argument("--hub", required=True)
    parser.add_argument("--gateway", required=True)
    args = parser.parse_args()
    stubs = tempfile.mkdtemp(prefix="nanokit-stubs-")
    generate_stubs(args.proto_dir, stubs)
    checks = Checks()
    try:
        asyncio.run(run(args, checks))
    finally:
        shutil.rmtree(stubs, ignore_errors=True)
    print(f"{checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
