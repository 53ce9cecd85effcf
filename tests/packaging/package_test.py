#!/usr/bin/python3
"""The Debian packages CPack makes (packaging/): their file names, contents,
control fields and conffiles; the systemd units checked by systemd-analyze
verify (in a root made of the host's units and the package's files) and
for their hardening; lintian with no error; and the packaged binaries run
from the extracted tree with the packaged /etc/nanokit/*.toml settings.

Usage: package_test.py --build BUILD_DIR --version VERSION
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from interop_test import Checks, start  # noqa: E402

HARDENING = {"User": "nanokit", "Group": "nanokit", "StateDirectory": "nanokit", "NoNewPrivileges": "yes",
             "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes"}


def run(cmd, check=True):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def contents(deb):
    """The package's paths, without the leading "."."""
    paths = set()
    for line in run(["dpkg-deb", "-c", deb]).stdout.splitlines():
        path = line.split(None, 5)[5].split(" -> ")[0]
        paths.add(path[1:].rstrip("/"))
    return paths


def unit_settings(path):
    settings = {}
    for line in open(path):
        line = line.strip()
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings[key] = value
    return settings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--version", required=True)
    args = parser.parse_args()
    checks = Checks()
    work = tempfile.mkdtemp(prefix="nanokit-package-")
    procs = []
    try:
        run(["cpack", "--config", os.path.join(args.build, "CPackConfig.cmake"), "-B", work])
        runtime = os.path.join(work, f"nanokit-bridge_{args.version}_amd64.deb")
        dev = os.path.join(work, f"nanokit-bridge-dev_{args.version}_amd64.deb")
        checks.check("nanokit-bridge_VERSION_amd64.deb and its -dev are made",
                     os.path.exists(runtime) and os.path.exists(dev), os.listdir(work))

        files = contents(runtime)
        for path in ["/usr/bin/nanokit-hub", "/usr/bin/nanokit-gateway", "/usr/bin/nanokit",
                     "/usr/share/nanokit/dashboard/index.html", "/usr/share/nanokit/dashboard/client/index.js",
                     "/lib/systemd/system/nanokit-hub.service", "/lib/systemd/system/nanokit-gateway.service",
                     "/etc/nanokit/hub.toml", "/etc/nanokit/gateway.toml",
                     "/usr/share/doc/nanokit-bridge/copyright", "/usr/share/doc/nanokit-bridge/changelog.gz"]:
            checks.check(f"nanokit-bridge holds {path}", path in files)
        checks.check("nanokit-bridge holds no library or header",
                     not any(p.endswith((".a", ".h")) for p in files))
        dev_files = contents(dev)
        for suffix in ["/include/nanokit-bridge/core_client/hub_publisher.h",
                       "/include/nanokit-bridge/nanokit/bridge/v1/events.pb.h", "/libnanokit_core_client.a",
                       "/cmake/NanokitBridge/NanokitBridgeConfig.cmake", "/pkgconfig/nanokit-bridge.pc",
                       "/share/nanokit/proto/nanokit/bridge/v1/ingest.proto",
                       "/share/doc/nanokit-bridge-dev/copyright"]:
            checks.check(f"nanokit-bridge-dev holds ...{suffix}", any(p.endswith(suffix) for p in dev_files))

        fields = dict(line.split(": ", 1) for line in
                      run(["dpkg-deb", "-f", runtime, "Package", "Version", "Architecture", "Depends"])
                      .stdout.splitlines() if ": " in line)
        checks.check("control: package, version, architecture",
                     (fields.get("Package"), fields.get("Version"), fields.get("Architecture"))
                     == ("nanokit-bridge", args.version, "amd64"), fields)
        depends = fields.get("Depends", "")
        checks.check("control: depends on adduser and the shared libraries found by dpkg-shlibdeps",
                     "adduser" in depends and "libgrpc++" in depends and "libc6" in depends, depends)
        conffiles = run(["dpkg-deb", "-I", runtime, "conffiles"]).stdout.split()
        checks.check("the settings are conffiles (kept on upgrade)",
                     sorted(conffiles) == ["/etc/nanokit/gateway.toml", "/etc/nanokit/hub.toml"], conffiles)

        # The units, verified in a root of the host's units plus the package.
        root = os.path.join(work, "root")
        run(["dpkg-deb", "-x", runtime, root])
        host_units = "/lib/systemd/system"
        for name in os.listdir(host_units):
            target = os.path.join(root, "lib/systemd/system", name)
            if not os.path.lexists(target):
                src = os.path.join(host_units, name)
                if os.path.islink(src):
                    os.symlink(os.readlink(src), target)
                elif os.path.isfile(src):
                    shutil.copy(src, target)
        os.makedirs(os.path.join(root, "bin"), exist_ok=True)
        shutil.copy("/bin/kill", os.path.join(root, "bin", "kill"))
        units = ["lib/systemd/system/nanokit-hub.service", "lib/systemd/system/nanokit-gateway.service"]
        verify = run(["systemd-analyze", "verify", f"--root={root}", *units], check=False)
        checks.check("systemd-analyze verify: no error, no warning",
                     verify.returncode == 0 and not verify.stderr.strip() and not verify.stdout.strip(),
                     verify.stdout + verify.stderr)
        for unit in units:
            settings = unit_settings(os.path.join(root, unit))
            missing = {k: v for k, v in HARDENING.items() if settings.get(k) != v}
            checks.check(f"{os.path.basename(unit)}: system user, state directory, hardening", not missing, missing)
            config = "/etc/nanokit/" + ("hub" if "hub" in unit else "gateway") + ".toml"
            checks.check(f"{os.path.basename(unit)}: flags from {config}",
                         settings.get("ExecStart", "").endswith(f"--config {config}"), settings.get("ExecStart"))

        lintian = run(["lintian", "--fail-on", "error", "--tag-display-limit", "0", runtime, dev], check=False)
        print(lintian.stdout, end="")
        checks.check("lintian: no error", lintian.returncode == 0 and " E: " not in f" {lintian.stdout}",
                     lintian.stderr)

        # The packaged binaries with the packaged settings (ports and paths
        # overridden on the command line, which wins over the file).
        token = os.path.join(work, "token")
        run([os.path.join(root, "usr/bin/nanokit"), "init", "--token-file", token])
        hub, hub_port = start(os.path.join(root, "usr/bin/nanokit-hub"),
                              ["--config", os.path.join(root, "etc/nanokit/hub.toml"), "--listen", "127.0.0.1:0",
                               "--token-file", token, "--credentials", os.path.join(work, "credentials"),
                               "--data-dir", os.path.join(work, "hub")], work, "nanokit-hub listening on ")
        procs.append(hub)
        gateway, gateway_port = start(os.path.join(root, "usr/bin/nanokit-gateway"),
                                      ["--config", os.path.join(root, "etc/nanokit/gateway.toml"),
                                       "--listen", "127.0.0.1:0", "--hub", f"127.0.0.1:{hub_port}",
                                       "--token-file", token, "--credentials", os.path.join(work, "credentials")],
                                      work, "nanokit-gateway listening on ")
        procs.append(gateway)
        with urllib.request.urlopen(f"http://127.0.0.1:{gateway_port}/", timeout=10) as response:
            page = response.read().decode()
        checks.check("the packaged gateway serves the packaged dashboard", "<html" in page.lower(), page[:200])
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)
    return checks.finish(work)


if __name__ == "__main__":
    sys.exit(main())
