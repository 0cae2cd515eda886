"""The broker's ACL, against a real Mosquitto with the project's config."""

from __future__ import annotations

import subprocess

from tests.support.broker import Mosquitto


class _Watch:
    """A ``mosquitto_sub`` whose subscription the broker has acknowledged (``-d`` prints the
    SUBACK; ``stdbuf -oL`` so it prints it at once into the pipe), so what is published next is
    what it may or may not receive: no fixed pause."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        for line in self.process.stdout:  # ends at SUBACK, or when the client gives up (EOF)
            if "received SUBACK" in line:
                break

    def communicate(self, timeout: float) -> tuple[str, str]:
        """What it received (its debug lines left out) and its errors, once it has exited."""
        out, err = self.process.communicate(timeout=timeout)
        lines = [x for x in out.splitlines() if not x.startswith(("Client ", "Subscribed (mid"))]
        return "\n".join(lines), err


def _sub(broker: Mosquitto, user: str, topic: str, count: int = 1, wait: int = 2) -> _Watch:
    """``wait``: how long it listens (from its start) when fewer than ``count`` messages come."""
    return _Watch(
        ["stdbuf", "-oL", "mosquitto_sub", "-p", str(broker.port), "-u", user, "-P", broker.passwords[user],
         "-t", topic, "-C", str(count), "-W", str(wait), "-q", "1", "-v", "-d"]
    )


def _pub(broker: Mosquitto, user: str, topic: str, msg: str) -> None:
    subprocess.run(
        ["mosquitto_pub", "-p", str(broker.port), "-u", user, "-P", broker.passwords[user],
         "-t", topic, "-m", msg, "-q", "1"], check=True, timeout=5,
    )


def test_gateway_cannot_publish_under_another_floor(mosquitto: Mosquitto) -> None:
    watcher = _sub(mosquitto, "posada-cloud", "posada/v1/hotel/+/events", count=1, wait=30)
    _pub(mosquitto, "gw.hotel.f1", "posada/v1/hotel/f2/events", "forged")
    _pub(mosquitto, "gw.hotel.f1", "posada/v1/hotel/f1/events", "own")
    out, _ = watcher.communicate(timeout=60)
    assert out.strip() == "posada/v1/hotel/f1/events own"


def test_cloud_may_publish_only_commands(mosquitto: Mosquitto) -> None:
    watcher = _sub(mosquitto, "gw.annex.g", "posada/v1/annex/g/cmd", count=1, wait=30)
    events = _sub(mosquitto, "posada-cloud", "posada/v1/annex/g/events", count=1, wait=2)
    _pub(mosquitto, "posada-cloud", "posada/v1/annex/g/events", "forged-by-cloud")
    _pub(mosquitto, "posada-cloud", "posada/v1/annex/g/cmd", "command")
    out, _ = watcher.communicate(timeout=60)
    assert out.strip() == "posada/v1/annex/g/cmd command"
    ev_out, _ = events.communicate(timeout=60)
    assert ev_out.strip() == ""


def test_gateway_cannot_read_another_floors_commands(mosquitto: Mosquitto) -> None:
    spy = _sub(mosquitto, "gw.hotel.f1", "posada/v1/hotel/f3/cmd", count=1, wait=2)
    _pub(mosquitto, "posada-cloud", "posada/v1/hotel/f3/cmd", "secret")
    out, _ = spy.communicate(timeout=60)
    assert out.strip() == ""


def test_wrong_password_is_refused(mosquitto: Mosquitto) -> None:
    result = subprocess.run(
        ["mosquitto_pub", "-p", str(mosquitto.port), "-u", "gw.hotel.f1", "-P", "wrong",
         "-t", "posada/v1/hotel/f1/events", "-m", "x", "-q", "1"],
        capture_output=True, text=True, timeout=5,
    )
    assert result.returncode != 0


def test_node_publishes_only_its_own_events_and_the_cloud_reads_them(mosquitto: Mosquitto) -> None:
    # The session's broker is shared: other tests' retained statuses must not reach the watchers.
    watcher = _sub(mosquitto, "posada-cloud", "posada/v1/hotel/nodes/+/events", count=1, wait=30)
    floor = _sub(mosquitto, "posada-cloud", "posada/v1/hotel/f1/events", wait=2)
    _pub(mosquitto, "nd.hotel.desk-pc", "posada/v1/hotel/nodes/other/events", "forged")
    _pub(mosquitto, "nd.hotel.desk-pc", "posada/v1/hotel/f1/events", "forged-floor")
    _pub(mosquitto, "nd.hotel.desk-pc", "posada/v1/hotel/nodes/desk-pc/events", "own")
    out, _ = watcher.communicate(timeout=60)
    assert out.strip() == "posada/v1/hotel/nodes/desk-pc/events own"
    assert "forged-floor" not in floor.communicate(timeout=60)[0]


def test_node_reads_its_commands_from_the_cloud(mosquitto: Mosquitto) -> None:
    node = _sub(mosquitto, "nd.hotel.desk-pc", "posada/v1/hotel/nodes/desk-pc/cmd", wait=30)
    spy = _sub(mosquitto, "nd.hotel.desk-pc", "posada/v1/hotel/f1/cmd", wait=2)
    _pub(mosquitto, "posada-cloud", "posada/v1/hotel/f1/cmd", "floor-secret")
    _pub(mosquitto, "posada-cloud", "posada/v1/hotel/nodes/desk-pc/cmd", "feed")
    out, _ = node.communicate(timeout=60)
    assert out.strip() == "posada/v1/hotel/nodes/desk-pc/cmd feed"
    assert spy.communicate(timeout=60)[0].strip() == ""
