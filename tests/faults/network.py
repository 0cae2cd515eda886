"""Network namespaces for the fault harness: a floor and a cloud, each behind a veth pair.

The broker, the relays and PostgreSQL stay in the harness's own namespace. A partition takes the
host end of a pair down: the kernel drops every packet both ways and nobody is told.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

PREFIX = "posada-f"


@dataclass(frozen=True)
class Segment:
    """One namespace and its link to the host: ``host_ip`` on the host end, ``ns_ip`` inside."""

    name: str
    host_if: str
    ns_if: str
    host_ip: str
    ns_ip: str

    @property
    def namespace(self) -> str:
        return f"{PREFIX}-{self.name}"

    def exec_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.namespace]


FLOOR = Segment("floor", "pf-floor0", "pf-floor1", "10.77.1.1", "10.77.1.2")
CLOUD = Segment("cloud", "pf-cloud0", "pf-cloud1", "10.77.2.1", "10.77.2.2")


def _ip(*args: str, namespace: str | None = None) -> None:
    command = ["ip", *(["-n", namespace] if namespace else []), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")


def create(segment: Segment) -> None:
    remove(segment)
    _ip("netns", "add", segment.namespace)
    _ip("link", "add", segment.host_if, "type", "veth", "peer", "name", segment.ns_if)
    _ip("link", "set", segment.ns_if, "netns", segment.namespace)
    _ip("addr", "add", f"{segment.host_ip}/24", "dev", segment.host_if)
    _ip("link", "set", segment.host_if, "up")
    _ip("addr", "add", f"{segment.ns_ip}/24", "dev", segment.ns_if, namespace=segment.namespace)
    _ip("link", "set", segment.ns_if, "up", namespace=segment.namespace)
    _ip("link", "set", "lo", "up", namespace=segment.namespace)


def remove(segment: Segment) -> None:
    subprocess.run(["ip", "link", "del", segment.host_if], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "del", segment.namespace], capture_output=True, check=False)


def partition(segment: Segment, *, cut: bool) -> None:
    """Cut the segment off (host end down: packets vanish both ways) or join it again."""
    _ip("link", "set", segment.host_if, "down" if cut else "up")


def netem_available() -> bool:
    """Whether this kernel has netem (a VM's kernel may lack it: the relays emulate it then)."""
    probe = Segment("probe", "pf-probe0", "pf-probe1", "10.77.9.1", "10.77.9.2")
    try:
        create(probe)
        done = subprocess.run(
            ["tc", "qdisc", "add", "dev", probe.host_if, "root", "netem", "delay", "1ms"],
            capture_output=True,
            check=False,
        )
        return done.returncode == 0
    finally:
        remove(probe)
