"""``posada provision node-key`` vouches for a node's key with the property key, and the
gateway's access core accepts what it prints; ``posada property-node`` says what it lacks."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cloud.keys.storage import KeyDirectory
from edge.access.commands import apply_command
from edge.access.memory import MemoryAccessState
from edge.access.ports import PublicKey
from mqtt.access_messages import KeyDelegate
from tests.support.cli import Done, run_posada


def _public() -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _node_key(directory: Path, *options: str) -> Done:
    """``posada provision node-key`` for desk-pc of site 7, keys in ``directory``."""
    return run_posada("provision", "node-key", "--dir", str(directory), "--site-number", "7",
                      "--node", "desk-pc", *options)


def test_node_key_is_delegated_and_gateways_accept_it(tmp_path: Path) -> None:
    done = _node_key(tmp_path, f"--public-key={_public()}")
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert line["type"] == "key.delegate"
    command = KeyDelegate.model_validate(line["data"])
    state = MemoryAccessState()
    for key in KeyDirectory(str(tmp_path)).load_or_create(now=datetime.now(UTC)):
        state.put_key(PublicKey(key.key_id, key.public_bytes()))
    outcome = apply_command("c1", "key.delegate", data=command, state=state, now=datetime.now(UTC))
    assert outcome.ok, outcome.error


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--public-key", "!!"), "public key"),
        (("--public-key", "AAAA"), "cannot delegate"),
        (("--days", "30"), "cannot delegate"),
    ],
)
def test_node_key_out_of_rules_is_refused_with_a_reason(
    tmp_path: Path, args: tuple[str, str], says: str
) -> None:
    base = {"--public-key": _public(), "--days": "3"}
    base.update(dict([args]))
    done = _node_key(tmp_path, *[f"{k}={v}" for k, v in base.items()])
    assert done.returncode == 2 and says in done.stderr, done.stderr


def test_a_public_key_that_begins_with_a_dash_is_a_value_not_an_option(tmp_path: Path) -> None:
    """One key in 64 begins with ``-`` in base64url; written ``--public-key=KEY`` it is read
    as the key (``--public-key KEY`` would be taken for an option and refused)."""
    while not (key := _public()).startswith("-"):
        pass
    done = _node_key(tmp_path, f"--public-key={key}")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["data"]["public_key"] == key


def test_property_node_names_the_settings_it_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POSADA_NODE_MQTT_URL", "POSADA_NODE_SITE", "POSADA_NODE_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert run_posada("property-node").returncode == 2
