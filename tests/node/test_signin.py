"""Sign-in at the node's desk follows the cloud's rules with the cloud's numbers: the password is
checked against the account's hash the replica sealed for this node, failures make the next
attempt wait (per account and per address), a session ends at its lifetime, after its idle
limit, and as soon as the account leaves the replica."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from cloud.auth.passwords import Passwords
from cloud.auth.settings import AuthSettings
from cloud.node.seal import LinkCipher, derived_key, public_b64, staff_context
from mqtt.node_messages import NodeReplica, ReplicaAccess, ReplicaStaff
from node.app import NodeSettings, PropertyNode
from node.signin import DeskSignIn, SignInRefused

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
CLOUD = derived_key("the-cloud-secret-of-these-tests")
HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
RULES = ReplicaAccess(
    session_lifetime_minutes=120,
    session_idle_minutes=10,
    lockout_threshold=3,
    first_wait_seconds=2,
    account_longest_wait_seconds=60,
    address_threshold=5,
)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[PropertyNode]:
    found = PropertyNode(
        NodeSettings(mqtt_url="mqtt://127.0.0.1:9", site="hotel", node="desk-pc", data_dir=tmp_path)
    )
    yield found
    found.outbox.close()


def _staff(node: PropertyNode, username: str, password: str, *, sealed_for: str = "desk-pc") -> ReplicaStaff:
    sealer = LinkCipher(CLOUD, public_b64(node.seal_key))
    return ReplicaStaff(
        username=username,
        role="front_desk",
        site="hotel",
        password_sealed=sealer.seal(
            HASHER.hash(password), context=staff_context("hotel", sealed_for, username)
        ),
    )


def _replica(node: PropertyNode, *staff: ReplicaStaff, version: int = 1) -> None:
    node.status.replica_received(
        NodeReplica(
            as_of=NOW,
            first_night=date(2027, 3, 1),
            days=7,
            version=version,
            seal_key=public_b64(CLOUD),
            access=RULES.model_copy(update={"staff": list(staff)}),
        )
    )


def _signin(node: PropertyNode) -> DeskSignIn:
    return DeskSignIn(
        node, passwords=Passwords(AuthSettings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1))
    )


def test_only_the_accounts_own_password_opens_a_session(node: PropertyNode) -> None:
    _replica(
        node,
        _staff(node, "ana", "ana-password-1"),
        _staff(node, "luis", "luis-password-1", sealed_for="other"),
    )
    desk = _signin(node)
    token = desk.sign_in("Ana ", "ana-password-1", now=NOW)
    assert isinstance(token, str)
    who = desk.resolve(token, now=NOW)
    assert who is not None and (who.username, who.role) == ("ana", "front_desk")
    assert desk.sign_in("ana", "luis-password-1", now=NOW) == SignInRefused("bad_credentials")
    assert desk.sign_in("pedro", "ana-password-1", now=NOW) == SignInRefused("bad_credentials")
    # a hash sealed for another node does not open here
    assert desk.sign_in("luis", "luis-password-1", now=NOW) == SignInRefused("bad_credentials")
    assert desk.resolve("pnd_forged", now=NOW) is None


def test_no_staff_from_the_cloud_yet_means_nobody_signs_in(node: PropertyNode) -> None:
    assert _signin(node).sign_in("ana", "ana-password-1", now=NOW) == SignInRefused("no_staff")


def test_failures_make_the_next_attempts_wait_as_in_the_cloud(node: PropertyNode) -> None:
    _replica(node, _staff(node, "ana", "ana-password-1"))
    desk = _signin(node)
    for i in range(3):
        assert desk.sign_in("ana", "wrong", now=NOW + timedelta(seconds=i)) == SignInRefused(
            "bad_credentials"
        )
    # the third failure (the threshold) imposes the first wait, 2 s: even the right password waits
    assert desk.sign_in("ana", "ana-password-1", now=NOW + timedelta(seconds=3)) == SignInRefused(
        "throttled", 1
    )
    assert isinstance(desk.sign_in("ana", "ana-password-1", now=NOW + timedelta(seconds=5)), str)
    # per address too, whichever accounts it tries
    for i in range(5):
        desk.sign_in(f"guess{i}", "wrong", now=NOW + timedelta(seconds=10 + i), address="10.0.0.9")
    refused = desk.sign_in("ana", "ana-password-1", now=NOW + timedelta(seconds=15), address="10.0.0.9")
    assert isinstance(refused, SignInRefused) and refused.reason == "throttled"
    assert isinstance(
        desk.sign_in("ana", "ana-password-1", now=NOW + timedelta(seconds=15), address="10.0.0.8"), str
    )


def test_a_session_ends_idle_at_its_lifetime_or_when_the_account_leaves(node: PropertyNode) -> None:
    _replica(node, _staff(node, "ana", "ana-password-1"), _staff(node, "luis", "luis-password-1"))
    desk = _signin(node)
    token = desk.sign_in("ana", "ana-password-1", now=NOW)
    assert isinstance(token, str)
    at = NOW
    for _ in range(20):  # used every 9 minutes: the idle limit (10) never passes, the lifetime does
        at += timedelta(minutes=9)
        if at - NOW >= timedelta(minutes=120):
            assert desk.resolve(token, now=at) is None
            break
        assert desk.resolve(token, now=at) is not None
    else:
        raise AssertionError("the session outlived its lifetime")
    idle = desk.sign_in("ana", "ana-password-1", now=NOW)
    assert isinstance(idle, str) and desk.resolve(idle, now=NOW + timedelta(minutes=10)) is None
    luis = desk.sign_in("luis", "luis-password-1", now=NOW)
    assert isinstance(luis, str) and desk.resolve(luis, now=NOW) is not None
    _replica(node, _staff(node, "ana", "ana-password-1"), version=2)  # luis deactivated in the cloud
    assert desk.resolve(luis, now=NOW + timedelta(minutes=1)) is None
    desk.sign_out(luis)
    kept = desk.sign_in("ana", "ana-password-1", now=NOW)
    assert isinstance(kept, str)
    desk.sign_out(kept)
    assert desk.resolve(kept, now=NOW) is None


def _reopened(node: PropertyNode) -> PropertyNode:
    """The same node started again on its data directory (the process was stopped or killed)."""
    node.outbox.close()
    node.sessions.close()
    return PropertyNode(node.settings)


def test_a_session_survives_a_restart_of_the_node(node: PropertyNode) -> None:
    _replica(node, _staff(node, "ana", "ana-password-1"), _staff(node, "luis", "luis-password-1"))
    desk = _signin(node)
    token = desk.sign_in("ana", "ana-password-1", now=NOW)
    idle = desk.sign_in("luis", "luis-password-1", now=NOW)
    out = desk.sign_in("ana", "ana-password-1", now=NOW)
    assert isinstance(token, str) and isinstance(idle, str) and isinstance(out, str)
    assert desk.resolve(token, now=NOW + timedelta(minutes=8)) is not None
    desk.sign_out(out)
    again = _reopened(node)
    try:
        after = _signin(again)
        # the last use before the restart counts: 8 + 9 minutes is not idle, 17 for luis is
        who = after.resolve(token, now=NOW + timedelta(minutes=17))
        assert who is not None and who.username == "ana"
        assert after.resolve(idle, now=NOW + timedelta(minutes=17)) is None
        assert after.resolve(out, now=NOW + timedelta(minutes=17)) is None
        assert after.resolve(token, now=NOW + timedelta(minutes=120)) is None  # its lifetime
        assert again.sessions.count() == 0
        # no token is kept in clear
        raw = (again.settings.data_dir / "node.db").read_bytes()
        assert token.encode() not in raw and token[len("pnd_") :].encode() not in raw
    finally:
        again.outbox.close()
        again.sessions.close()


def test_failed_sign_ins_are_still_counted_after_a_restart(node: PropertyNode) -> None:
    """A restart of the node does not lift a wait: the failures are kept in its SQLite, per
    account and per address (an IPv6 address counted by its /64, as the cloud counts it)."""
    _replica(node, _staff(node, "ana", "ana-password-1"), _staff(node, "luis", "luis-password-1"))
    desk = _signin(node)
    for i in range(2):  # one short of the account's threshold (3)
        desk.sign_in("ana", "wrong", now=NOW + timedelta(seconds=i))
    for i in range(5):  # the address's threshold (5), whichever accounts it tries
        desk.sign_in(f"guess{i}", "wrong", now=NOW + timedelta(seconds=i), address="2001:db8:1:2::7")
    again = _reopened(node)
    try:
        after = _signin(again)
        assert after.sign_in("ana", "wrong", now=NOW + timedelta(seconds=3)) == SignInRefused(
            "bad_credentials"
        )
        # the third failure, counted across the restart, imposes the first wait (2 s)
        assert after.sign_in("ana", "ana-password-1", now=NOW + timedelta(seconds=4)) == SignInRefused(
            "throttled", 1
        )
        # another machine of the same /64 waits too; another network does not
        refused = after.sign_in(
            "luis", "luis-password-1", now=NOW + timedelta(seconds=5), address="2001:db8:1:2::99"
        )
        assert isinstance(refused, SignInRefused) and refused.reason == "throttled"
        assert isinstance(
            after.sign_in(
                "luis", "luis-password-1", now=NOW + timedelta(seconds=5), address="2001:db8:1:3::7"
            ),
            str,
        )
        # a sign-in clears the account's failures: two more failures impose no wait
        assert isinstance(after.sign_in("ana", "ana-password-1", now=NOW + timedelta(seconds=6)), str)
        for i in range(2):
            after.sign_in("ana", "wrong", now=NOW + timedelta(seconds=7 + i))
        assert isinstance(after.sign_in("ana", "ana-password-1", now=NOW + timedelta(seconds=9)), str)
        # the cloud's window (15 minutes by default) of quiet forgets the address's failures
        late = NOW + timedelta(hours=1)
        assert isinstance(after.sign_in("luis", "luis-password-1", now=late, address="2001:db8:1:2::99"), str)
        after.sign_in("nobody", "wrong", now=late, address="10.0.0.1")  # forgotten rows go on a failure
        assert again.sessions.attempts("address", "2001:db8:1:2::/64").failures == 0
        assert again.sessions.attempts("address", "10.0.0.1").failures == 1
    finally:
        again.outbox.close()
        again.sessions.close()


def test_a_password_or_role_change_in_the_replica_ends_the_accounts_sessions(node: PropertyNode) -> None:
    ana, luis = _staff(node, "ana", "ana-password-1"), _staff(node, "luis", "luis-password-1")
    _replica(node, ana, luis)
    desk = _signin(node)
    first = desk.sign_in("ana", "ana-password-1", now=NOW)
    second = desk.sign_in("ana", "ana-password-1", now=NOW)
    kept = desk.sign_in("luis", "luis-password-1", now=NOW)
    assert isinstance(first, str) and isinstance(second, str) and isinstance(kept, str)
    ana2 = _staff(node, "ana", "ana-password-2")
    _replica(node, ana2, luis, version=2)  # ana changed her password in the cloud
    assert desk.resolve(first, now=NOW) is None
    assert desk.resolve(second, now=NOW) is None  # every session of hers, not only the one used
    assert desk.resolve(kept, now=NOW) is not None
    assert desk.sign_in("ana", "ana-password-1", now=NOW) == SignInRefused("bad_credentials")
    fresh = desk.sign_in("ana", "ana-password-2", now=NOW)
    assert isinstance(fresh, str) and desk.resolve(fresh, now=NOW) is not None
    promoted = luis.model_copy(update={"role": "manager"})
    _replica(node, ana2, promoted, version=3)
    assert desk.resolve(kept, now=NOW) is None  # a role change signs the account out too
    assert desk.resolve(fresh, now=NOW) is not None  # her hash unchanged: it seals the same


CHILD = """
import sys, time
from pathlib import Path
from node.app import NodeSettings, PropertyNode
from tests.node.test_signin import NOW, _replica, _signin, _staff
node = PropertyNode(NodeSettings(mqtt_url="mqtt://127.0.0.1:9", site="hotel", node="desk-pc",
                                 data_dir=Path(sys.argv[1])))
_replica(node, _staff(node, "ana", "ana-password-1"))
print(_signin(node).sign_in("ana", "ana-password-1", now=NOW), flush=True)
time.sleep(60)
"""


def test_a_session_survives_the_node_being_killed(tmp_path: Path) -> None:
    """The node's process is SIGKILLed right after the sign-in (no close, no flush of its own)."""
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        token = child.stdout.readline().strip()
        assert token.startswith("pnd_"), token
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    again = PropertyNode(
        NodeSettings(mqtt_url="mqtt://127.0.0.1:9", site="hotel", node="desk-pc", data_dir=tmp_path)
    )
    try:
        who = _signin(again).resolve(token, now=NOW + timedelta(minutes=5))
        assert who is not None and who.username == "ana"
    finally:
        again.outbox.close()
        again.sessions.close()
