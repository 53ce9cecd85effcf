#!/usr/bin/python3
"""An integrator's view of an installed tree: `cmake --install` the server
and dev components into a temporary prefix, build a separate small project
(consumer/, its own CMakeLists.txt) with find_package(NanokitBridge), build
the same file again with pkg-config's flags alone, and run both against the
installed hub: their events must be in its state.

Usage: install_test.py --build BUILD_DIR --cmake CMAKE
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from interop_test import Checks, start  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--cmake", default="cmake")
    args = parser.parse_args()
    checks = Checks()
    work = tempfile.mkdtemp(prefix="nanokit-install-")
    prefix = os.path.join(work, "prefix")
    hub = None
    try:
        for component in ("server", "dev"):
            run([args.cmake, "--install", args.build, "--prefix", prefix, "--component", component])
        installed = {os.path.relpath(os.path.join(d, f), prefix) for d, _, fs in os.walk(prefix) for f in fs}
        libdir = next(os.path.dirname(p) for p in installed if p.endswith("libnanokit_core_client.a"))
        for path in ["bin/nanokit-hub", "bin/nanokit-gateway", "bin/nanokit",
                     "share/nanokit/dashboard/index.html", "share/nanokit/proto/nanokit/bridge/v1/events.proto",
                     "include/nanokit-bridge/core_client/hub_publisher.h",
                     "include/nanokit-bridge/nanokit/bridge/v1/events.pb.h",
                     "include/nanokit-bridge/nanokit/bridge/v1/ingest.grpc.pb.h",
                     f"{libdir}/cmake/NanokitBridge/NanokitBridgeConfig.cmake",
                     f"{libdir}/cmake/NanokitBridge/NanokitBridgeConfigVersion.cmake",
                     f"{libdir}/pkgconfig/nanokit-bridge.pc"]:
            checks.check(f"installed {path}", path in installed)
        checks.check("no absolute-path files without --component system",
                     not any(p.startswith(("etc/", "lib/systemd")) for p in installed))

        # The consumer lives outside the main tree, as an integrator's would.
        source = os.path.join(work, "consumer")
        shutil.copytree(os.path.join(HERE, "consumer"), source)
        build = os.path.join(work, "consumer-build")
        run([args.cmake, "-S", source, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
             f"-DCMAKE_PREFIX_PATH={prefix}"])
        run([args.cmake, "--build", build])
        checks.check("the consumer builds with find_package(NanokitBridge)",
                     os.access(os.path.join(build, "consumer"), os.X_OK))

        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, libdir, "pkgconfig"))
        flags = run(["pkg-config", "--cflags", "--libs", "nanokit-bridge"], env=env).split()
        by_pkg_config = os.path.join(work, "consumer-pkg-config")
        run(["c++", "-std=c++20", "-O1", os.path.join(source, "consumer.cc"), "-o", by_pkg_config, *flags])
        checks.check("the consumer builds with pkg-config's flags alone", os.access(by_pkg_config, os.X_OK))

        bin_dir = os.path.join(prefix, "bin")
        token = os.path.join(work, "token")
        run([os.path.join(bin_dir, "nanokit"), "init", "--token-file", token])
        hub, port = start(os.path.join(bin_dir, "nanokit-hub"),
                          ["--listen", "127.0.0.1:0", "--token-file", token, "--data-dir", os.path.join(work, "hub")],
                          work, "nanokit-hub listening on ")
        address = f"127.0.0.1:{port}"
        for program, project in ((os.path.join(build, "consumer"), "cmake"), (by_pkg_config, "pkg-config")):
            out = run([program, address, token, project], timeout=60)
            checks.check(f"{project} consumer's event is acknowledged", out.strip() == "acknowledged", out)
            snapshot = json.loads(run([os.path.join(bin_dir, "nanokit"), "snapshot", "--hub", address,
                                       "--token-file", token, "--project", project]))
            resources = {r["resourceId"]: r for r in snapshot.get("resources", [])}
            checks.check(f"{project} consumer's event is in the hub's state",
                         resources.get("installed", {}).get("status") == "HEALTHY", snapshot)
    finally:
        if hub is not None:
            hub.terminate()
            hub.wait(timeout=30)
    return checks.finish(work)


if __name__ == "__main__":
    sys.exit(main())
