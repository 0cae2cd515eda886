"""docker-compose.chain.yml (EMQX cluster, shared-subscription workers) parses and is consistent."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict:  # type: ignore[type-arg]
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is required (Debian package docker-compose; .ci/run installs it)"
    env = os.environ | {k: "test" for k in ("POSTGRES_PASSWORD", "MQTT_CLOUD_PASSWORD", "POSADA_SECRET_KEY")}
    out = subprocess.run([exe, "-f", str(ROOT / "docker-compose.chain.yml"), "config"],
                         capture_output=True, text=True, env=env, check=True, timeout=60)
    return yaml.safe_load(out.stdout)  # type: ignore[no-any-return]


def test_the_chain_profile_runs_two_clustered_emqx_nodes_and_workers_sharing_one_subscription() -> None:
    services = _config()["services"]
    nodes = {name: s for name, s in services.items() if str(s.get("image", "")).startswith("emqx/emqx:")}
    assert set(nodes) == {"emqx1", "emqx2"}
    names = {s["environment"]["EMQX_NODE__NAME"] for s in nodes.values()}
    for node in nodes.values():
        seeds = node["environment"]["EMQX_CLUSTER__STATIC__SEEDS"]
        assert all(name in seeds for name in names)  # each node knows the other: one cluster
        assert node["environment"]["EMQX_AUTHORIZATION__NO_MATCH"] == "deny"
    workers = {name: s for name, s in services.items() if name.startswith("cloud-worker")}
    assert len(workers) >= 2
    assert {w["environment"]["POSADA_MQTT_SHARE_GROUP"] for w in workers.values()} == {"ingest"}
    client_ids = [w["environment"]["POSADA_MQTT_CLIENT_ID"] for w in workers.values()]
    assert len(set(client_ids)) == len(client_ids)  # one session per worker
    hosts = {w["environment"]["POSADA_MQTT_URL"].rsplit("@", 1)[1].split(".")[0] for w in workers.values()}
    assert hosts == {"emqx1", "emqx2"}  # spread over both nodes
    assert [n for n, s in services.items() if str(s.get("image", "")).startswith("postgres")] == ["postgres"]


def test_the_worker_settings_named_in_the_chain_profile_exist() -> None:
    from cloud.settings import Settings

    fields = {f"POSADA_{name.upper()}" for name in Settings.model_fields}
    services = _config()["services"]
    for name, service in services.items():
        if name.startswith("cloud-worker"):
            posada = {k for k in service["environment"] if k.startswith("POSADA_")}
            assert posada <= fields | {"POSADA_TELEMETRY_SHARE_GROUP"}, posada - fields
