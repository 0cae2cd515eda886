"""Cutting a revoked client off the broker: Mosquitto's dynamic-security plugin.

A password file or a CRL reloaded with SIGHUP stops a revoked gateway's *next* connect only; a
client already connected keeps its session. The plugin's ``disableClient`` command disconnects
every session of that username at once, and refuses its next connect (a password client at the
plugin's own check; a certificate client at the CRL). ``posada provision broker`` loads the plugin
with one account that may only send it commands (``posada-broker-admin``); every other account
stays in the password file and ACL, which the plugin defers to for users it does not know.
"""

from __future__ import annotations

import base64
import hashlib
import json
import queue
import secrets
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ADMIN_USER = "posada-broker-admin"
CONFIG_FILE = "dynamic-security.json"
ADMIN_FILE = "broker-admin.json"  # where revoke finds the broker and the admin's password (0600)
CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
ITERATIONS = 101  # what mosquitto_ctrl writes
# Debian and Ubuntu's mosquitto package, then source installs
PLUGIN_PATHS = ("/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
                "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
                "/usr/lib/arm-linux-gnueabihf/mosquitto_dynamic_security.so",
                "/usr/lib/mosquitto_dynamic_security.so", "/usr/local/lib/mosquitto_dynamic_security.so")
IMAGE_PLUGIN = "/usr/lib/mosquitto_dynamic_security.so"  # inside the eclipse-mosquitto:2 image


class BrokerControlError(Exception):
    """The broker could not be reached, or refused or failed a command."""


@dataclass(frozen=True)
class Control:
    """Where the admin account reaches the broker, and with what."""

    host: str
    port: int
    password: str
    username: str = ADMIN_USER


def find_plugin() -> str | None:
    return next((path for path in PLUGIN_PATHS if Path(path).is_file()), None)


def plugin_lines(plugin: str, state_dir: PurePath) -> list[str]:
    """Load ``plugin``; it reads and saves its file in ``state_dir``, which the broker must write."""
    return [f"plugin {plugin}", f"plugin_opt_config_file {state_dir / CONFIG_FILE}"]


def initial_config(admin_password: str) -> dict[str, Any]:
    """The plugin's file: the admin alone, allowed the plugin's control topics and nothing else."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", admin_password.encode(), salt, ITERATIONS)
    control = "$CONTROL/dynamic-security/#"
    return {
        "clients": [{"username": ADMIN_USER, "textName": "Posada: revokes clients",
                     "password": base64.b64encode(digest).decode(), "salt": base64.b64encode(salt).decode(),
                     "iterations": ITERATIONS, "roles": [{"rolename": "posada-admin"}]}],
        "roles": [{"rolename": "posada-admin", "acls": [
            {"acltype": kind, "topic": control, "allow": True}
            for kind in ("publishClientSend", "publishClientReceive", "subscribePattern",
                         "unsubscribePattern")
        ]}],
        "defaultACLAccess": {"publishClientSend": False, "publishClientReceive": True,
                             "subscribe": False, "unsubscribe": True},
    }


def load_control(broker_dir: Path) -> Control | None:
    path = broker_dir / ADMIN_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return Control(host=str(data["host"]), port=int(data["port"]), password=str(data["password"]))


def disable_client(control: Control, username: str, *, timeout_s: float = 10.0) -> None:
    """Make ``username`` a disabled client of the plugin: its open sessions are cut now and its
    next connect refused. Idempotent (a client already known is disabled again)."""
    commands = [{"command": "createClient", "username": username, "password": secrets.token_urlsafe(24),
                 "textName": "revoked"},
                {"command": "disableClient", "username": username}]
    answers = _send(control, commands, timeout_s=timeout_s)
    created, disabled = answers
    if created.get("error") and "already exists" not in str(created["error"]):
        raise BrokerControlError(f"createClient {username}: {created['error']}")
    if disabled.get("error"):
        raise BrokerControlError(f"disableClient {username}: {disabled['error']}")


def _send(control: Control, commands: list[dict[str, Any]], *, timeout_s: float) -> list[dict[str, Any]]:
    answers: queue.Queue[bytes | bytearray | str] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"posada-revoke-{secrets.token_hex(4)}")
    client.username_pw_set(control.username, control.password)

    def on_connect(c: mqtt.Client, _u: object, _f: object, reason: Any, _p: object) -> None:
        if reason.is_failure:
            answers.put(f"connect refused: {reason}")
            return
        c.subscribe(f"{CONTROL_TOPIC}/response", qos=1)
        c.publish(CONTROL_TOPIC, json.dumps({"commands": commands}), qos=1)

    client.on_connect = on_connect
    client.on_message = lambda _c, _u, message: answers.put(message.payload)
    try:
        client.connect(control.host, control.port, keepalive=30)
    except OSError as exc:
        raise BrokerControlError(f"broker at {control.host}:{control.port}: {exc}") from None
    client.loop_start()
    try:
        answer = answers.get(timeout=timeout_s)
    except queue.Empty:
        raise BrokerControlError(
            f"no answer from the broker's dynamic-security plugin in {timeout_s:.0f} s") from None
    finally:
        client.disconnect()
        client.loop_stop()
    if isinstance(answer, str):
        raise BrokerControlError(answer)
    responses = json.loads(answer).get("responses", [])
    if len(responses) != len(commands):
        raise BrokerControlError(f"the plugin answered {len(responses)} of {len(commands)} commands")
    return [dict(r) for r in responses]
