"""Hosts on one private switch, made of Linux network namespaces (root and iproute2 only).

    with Lan(["db", "w1", "w2", "api"]) as lan:
        lan.address("db")                  # 10.231.N.1, N picked at random
        lan.popen("w1", ["automechanica", "worker", ...], env=env)
        lan.unplug("w1"); lan.plug("w1")   # that host's cable, pulled at the switch

Every namespace gets a unique name (`am-<random>-<role>`). The switch is a bridge in
a namespace of its own; each host is joined to it by a veth pair whose switch end is
the host's port. Nothing is added to the root namespace: the hosts reach only one
another, and the test reaches the database through its Unix socket. `close()` ends
the processes left in the namespaces (all started by the test) and deletes them,
which deletes the switch and every veth with it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any

#: GET a URL from inside a namespace, with the interpreter running the test.
HTTP_GET = (
    "import sys, urllib.request\n"
    "with urllib.request.urlopen(sys.argv[1], timeout=5) as r: sys.stdout.write(r.read().decode())"
)


def unavailable() -> str | None:
    """Why this machine cannot build a Lan, or None when it can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"`ip netns` is unavailable: {probe.stderr.strip()}"
    return None


def ip(*args: str) -> None:
    """Run `ip args…`; a failure raises with ip's own message."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


class Lan:
    """Namespaces `roles` on one switch, in 10.231.N.0/24 (N random), .1 upwards."""

    def __init__(self, roles: list[str]) -> None:
        tag = f"am-{secrets.token_hex(3)}"
        self.prefix = f"10.231.{secrets.randbelow(256)}"
        self.switch = f"{tag}-switch"
        self.netns = {role: f"{tag}-{role}" for role in roles}
        self._addresses = {role: f"{self.prefix}.{i}" for i, role in enumerate(roles, 1)}
        self._ports = {role: f"port{i}" for i, role in enumerate(roles, 1)}
        self._made: list[str] = []

    def __enter__(self) -> Lan:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        for ns in (self.switch, *self.netns.values()):
            ip("netns", "add", ns)
            self._made.append(ns)
        sw = self.switch
        ip("-n", sw, "link", "add", "switch", "type", "bridge")
        ip("-n", sw, "link", "set", "switch", "up")
        for role, ns in self.netns.items():
            port = self._ports[role]
            ip("-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
            ip("-n", sw, "link", "set", port, "master", "switch", "up")
            ip("-n", ns, "addr", "add", f"{self._addresses[role]}/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "link", "set", "lo", "up")

    def close(self) -> None:
        """End what still runs in the namespaces, then delete them (veths and switch go too)."""
        for ns in self._made:
            for pid in self.pids(ns):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for ns in reversed(self._made):
            with contextlib.suppress(RuntimeError):
                ip("netns", "del", ns)
        self._made.clear()

    @staticmethod
    def pids(ns: str) -> list[int]:
        done = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
        return [int(p) for p in done.stdout.split()] if done.returncode == 0 else []

    def address(self, role: str) -> str:
        return self._addresses[role]

    def command(self, role: str, argv: list[str]) -> list[str]:
        """`argv` run on host `role` (`ip netns exec` execs it: the pid is the command's)."""
        return ["ip", "netns", "exec", self.netns[role], *argv]

    def popen(self, role: str, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.command(role, argv), **kwargs)

    def run(self, role: str, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(role, argv), text=True, **kwargs)

    def get(self, role: str, url: str, python: str | Path) -> str:
        """The body of GET `url`, asked from host `role`; raises on a refusal or an error."""
        done = self.run(
            role, [str(python), "-c", HTTP_GET, url], capture_output=True, timeout=30, check=False
        )
        if done.returncode != 0:
            raise ConnectionError(f"GET {url} from {role}: {done.stderr.strip()[-500:]}")
        return done.stdout

    def unplug(self, role: str) -> None:
        """Pull the host's cable at the switch: its packets are dropped, nothing is refused."""
        ip("-n", self.switch, "link", "set", self._ports[role], "down")

    def plug(self, role: str) -> None:
        ip("-n", self.switch, "link", "set", self._ports[role], "up")
