"""The compose stack boots as written: no container engine runs here, so read the compose file, the
Dockerfile and the configs ``posada provision`` generates, and check that they fit together."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from cloud.core.config import area_fields
from cloud.settings import Settings
from edge.config import GatewayConfig, load_config
from provisioning.dynsec import ADMIN_FILE, ADMIN_USER, IMAGE_PLUGIN, load_control
from tests.support.cli import run_posada

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
# Where each third-party image keeps its data (from the images' documentation).
IMAGE_DATA = {"postgres": "/var/lib/postgresql/data", "influxdb": "/var/lib/influxdb2",
              "grafana": "/var/lib/grafana"}


def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict) and isinstance(document.get("services"), dict)
    return document


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def floors() -> dict[str, dict[str, Any]]:
    found = {name: spec for name, spec in services().items() if (spec.get("command") or [None])[0] == "edge"}
    assert found, "no floor gateway in the compose file"
    return found


def header() -> str:
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line.startswith("#"))


def example_env() -> dict[str, str]:
    """``deploy/.env.example`` as docker-compose reads an env file: VAR=value, # comments."""
    assert ENV_EXAMPLE.is_file(), f"{ENV_EXAMPLE.relative_to(ROOT)} is missing"
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: {line!r} is not VAR=value"
            values[name.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in env, f"${{{name}}} is used in the compose file but not listed in deploy/.env.example"
        return env[name]
    return INTERPOLATION.sub(one, text)


def environment(spec: dict[str, Any]) -> dict[str, str]:
    raw = spec.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.partition("=")[::2] for item in raw)
    return {str(k): interpolate(str(v), example_env()) for k, v in raw.items()}


def named_volumes() -> set[str]:
    return set(compose().get("volumes") or {})


def mounts(spec: dict[str, Any]) -> list[tuple[str, PurePosixPath]]:
    """(source, target) of each volume of a service; short syntax ``source:target[:mode]``."""
    out = []
    for item in spec.get("volumes") or []:
        if isinstance(item, dict):
            out.append((str(item["source"]), PurePosixPath(item["target"])))
        else:
            source, target = str(item).split(":")[:2]
            out.append((source, PurePosixPath(target)))
    return out


def mount_of(spec: dict[str, Any], path: str) -> tuple[str, PurePosixPath] | None:
    inside = [(s, t) for s, t in mounts(spec) if PurePosixPath(path).is_relative_to(t)]
    return max(inside, key=lambda m: len(m[1].parts)) if inside else None


def assert_on_named_volume(service: str, path: str) -> None:
    mount = mount_of(services()[service], path)
    assert mount is not None, f"{service}: {path} is on no mount (a recreated container loses it)"
    assert mount[0] in named_volumes(), f"{service}: {path} is on {mount[0]}, not a named volume"


def assert_readable(service: str, path: str) -> tuple[str, PurePosixPath]:
    mount = mount_of(services()[service], path)
    assert mount is not None, f"{service} reads {path}, which is on none of its mounts"
    return mount


def host_path(source: str, target: PurePosixPath, path: str) -> Path:
    """Where a path the container reads lives in the repository (bind mounts only)."""
    assert source.startswith("./"), f"{source} is not a bind mount of the repository"
    return ROOT / source / PurePosixPath(path).relative_to(target)


@pytest.fixture(scope="module")
def broker_conf(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``posada provision broker`` for the compose stack, as the header says to run it."""
    out = tmp_path_factory.mktemp("mosquitto")
    command = re.search(r"posada provision broker ([^\n]*)", header())
    assert command, "the compose header does not say how to provision the broker"
    args = command.group(1).split()
    assert "--out" in args and "--target" in args, "the header's command must name --out and --target"
    args[args.index("--out") + 1] = str(out)
    done = run_posada("provision", "broker", *args)
    assert done.returncode == 0, done.stderr
    conf: dict[str, str] = {}
    for line in (out / "mosquitto.conf").read_text().splitlines():
        key, _, value = line.partition(" ")
        conf.setdefault(key, value)
    conf["__dir__"] = str(out)
    return conf


def broker_script() -> str:
    """The broker service's command: ``sh -c SCRIPT``, which seeds the plugin's file and execs mosquitto."""
    command = services()["mosquitto"]["command"]
    assert isinstance(command, list) and command[:2] == ["sh", "-c"] and len(command) == 3, command
    return str(command[2])


def broker_config_path() -> str:
    found = re.search(r"\bexec mosquitto -c (\S+)$", broker_script())
    assert found, "the broker's command does not end by exec'ing mosquitto -c CONFIG"
    return found.group(1)


def mount_mode(spec: dict[str, Any], target: PurePosixPath) -> str:
    for item in spec.get("volumes") or []:
        if isinstance(item, dict) and PurePosixPath(item["target"]) == target:
            return "ro" if item.get("read_only") else "rw"
        if isinstance(item, str) and PurePosixPath(item.split(":")[1]) == target:
            return item.split(":")[2] if item.count(":") >= 2 else "rw"
    raise AssertionError(f"no mount at {target}")


def test_the_broker_reads_its_config_files_inside_its_mounts(broker_conf: dict[str, str]) -> None:
    config = broker_config_path()
    source, target = assert_readable("mosquitto", config)
    header_out = re.search(r"posada provision broker .*--out (\S+)", header())
    assert header_out and f"./{header_out.group(1)}" == source.rstrip("/"), \
        "the broker's config mount is not the directory the header provisions"
    for key in ("password_file", "acl_file"):
        path = broker_conf[key]
        source, target = assert_readable("mosquitto", path)
        generated = Path(broker_conf["__dir__"]) / PurePosixPath(path).relative_to(target)
        assert generated.is_file(), f"{key} {path} is not a file that provisioning writes"


# What the broker reads only, and what it writes (mosquitto.conf's keys that name a path).
BROKER_READS = ("password_file", "acl_file", "cafile", "certfile", "keyfile", "crlfile")
BROKER_WRITES = ("persistence_location", "plugin_opt_config_file")


def test_every_path_the_broker_uses_is_mounted_and_what_it_writes_is_on_its_volume(
        broker_conf: dict[str, str]) -> None:
    spec = services()["mosquitto"]
    _source, config_target = assert_readable("mosquitto", broker_config_path())
    assert mount_mode(spec, config_target) == "ro", "the broker's config mount should stay read-only"
    for key in BROKER_READS:
        if key in broker_conf:
            assert_readable("mosquitto", broker_conf[key])
    for key in BROKER_WRITES:
        assert key in broker_conf, f"the compose broker's config has no {key}"
        assert_on_named_volume("mosquitto", broker_conf[key])
        _source, target = assert_readable("mosquitto", broker_conf[key])
        assert mount_mode(spec, target) == "rw", f"{key} {broker_conf[key]} is on a read-only mount"


def test_the_compose_broker_loads_the_plugin_and_seeds_its_file_from_the_provisioned_one(
        broker_conf: dict[str, str]) -> None:
    assert broker_conf.get("plugin") == IMAGE_PLUGIN, "the compose broker does not load the plugin"
    live = broker_conf["plugin_opt_config_file"]
    script = broker_script()
    seeded = re.search(r"\[ -f (\S+) \] \|\| \{ cp (\S+) (\S+) &&", script)
    assert seeded, "the broker's command does not copy the plugin's file to the volume when it is absent"
    assert seeded.group(1) == seeded.group(3) == live, "it seeds another file than the plugin reads"
    _source, target = assert_readable("mosquitto", seeded.group(2))
    provisioned = Path(broker_conf["__dir__"]) / PurePosixPath(seeded.group(2)).relative_to(target)
    assert provisioned.is_file(), f"provisioning does not write {seeded.group(2)}"
    assert json.loads(provisioned.read_text())["clients"][0]["username"] == ADMIN_USER


def test_revoke_reaches_the_compose_broker_through_its_published_port(broker_conf: dict[str, str]) -> None:
    """The operator runs revoke where the header provisions (the config mount's host side): its admin
    file must name an address of the broker that the published port answers on."""
    control = load_control(Path(broker_conf["__dir__"]))
    assert control is not None, f"provisioning for compose writes no {ADMIN_FILE}"
    listener = broker_conf["listener"].split()
    published = {}
    for item in services()["mosquitto"]["ports"]:
        host_port, _, container_port = str(item).rpartition(":")
        published[int(container_port)] = int(host_port.rpartition(":")[2])
    assert control.host == "127.0.0.1" and published.get(int(listener[0])) == control.port, \
        f"revoke dials {control.host}:{control.port}, which does not reach the broker's listener {listener}"
    assert listener[1:] == ["0.0.0.0"], "the container's listener must accept the published port"


def test_the_brokers_persistence_is_on_its_volume(broker_conf: dict[str, str]) -> None:
    assert broker_conf.get("persistence") == "true"
    assert_on_named_volume("mosquitto", broker_conf["persistence_location"])


def test_the_broker_has_a_healthcheck_that_reads_only_what_is_mounted(broker_conf: dict[str, str]) -> None:
    check = services()["mosquitto"].get("healthcheck")
    assert check and not check.get("disable"), "the broker has no healthcheck"
    text = " ".join(check["test"]) if isinstance(check["test"], list) else check["test"]
    assert "mosquitto_sub" in text
    for path in re.findall(r"/mosquitto/\S+?(?=[\s\"')]|$)", text):
        _source, target = assert_readable("mosquitto", path)
        generated = Path(broker_conf["__dir__"]) / PurePosixPath(path).relative_to(target)
        assert generated.is_file(), f"the healthcheck reads {path}, which provisioning does not write"


def test_every_floor_reads_its_config_and_keeps_its_data_on_its_volume(broker_conf: dict[str, str]) -> None:
    acl = (Path(broker_conf["__dir__"]) / "acl").read_text()
    for name, spec in floors().items():
        command = spec["command"]
        config = command[command.index("--config") + 1]
        source, target = assert_readable(name, config)
        file = host_path(source, target, config)
        assert file.is_file(), f"{name}: {file.relative_to(ROOT)} does not exist"
        gateway = load_config(file, env=environment(spec))
        assert_on_named_volume(name, str(gateway.data_dir))
        assert f"user {gateway.source}" in acl, f"{name}: the broker has no account for {gateway.source}"
        others = [other for other in floors() if other != name]
        assert all(dict(mounts(spec)).keys().isdisjoint(dict(mounts(services()[o])).keys())
                   for o in others), f"{name} shares a volume with another floor"


def test_the_cloud_keeps_its_signing_keys_on_a_volume() -> None:
    env = environment(services()["cloud"])
    assert "POSADA_KEYS_DIR" in env, "without POSADA_KEYS_DIR the keys stay in the container"
    assert_on_named_volume("cloud", env["POSADA_KEYS_DIR"])


def test_the_images_data_directories_are_on_named_volumes() -> None:
    for service, path in IMAGE_DATA.items():
        assert_on_named_volume(service, path)


def test_grafana_reads_its_provisioning_inside_its_mounts(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    command = re.search(r"posada provision grafana --out (\S+)", header())
    assert command, "the compose header does not say how to provision Grafana"
    for name in [n for n in os.environ if n.startswith("POSADA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("POSADA_INFLUX_URL", "http://influxdb:8086")
    done = run_posada("provision", "grafana", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    spec = services()["grafana"]
    sources = {source for source, _ in mounts(spec)}
    for folder in ("datasources", "dashboards", "json"):
        assert f"./{command.group(1)}/{folder}" in sources, f"Grafana does not mount {folder}/"
    provider = yaml.safe_load(next((tmp_path / "dashboards").glob("*.yaml")).read_text())
    for item in provider["providers"]:
        source, _ = assert_readable("grafana", item["options"]["path"])
        assert source.endswith("/json"), "Grafana's dashboards provider reads another folder"


def cloud_setting_names() -> set[str]:
    names = set(Settings.model_fields)
    for _area, model in area_fields(Settings):
        names |= set(model.model_fields)
    return {f"POSADA_{name.upper()}" for name in names}


def edge_setting_names() -> set[str]:
    return {f"POSADA_{name.upper()}" for name in GatewayConfig.model_fields}


def test_every_posada_variable_is_a_real_setting() -> None:
    for name, spec in services().items():
        known = edge_setting_names() if name in floors() else cloud_setting_names()
        unknown = sorted(v for v in environment(spec) if v.startswith("POSADA_") and v not in known)
        assert not unknown, f"{name}: no such setting: {unknown}"
    unknown = sorted(v for v in example_env() if v.startswith("POSADA_")
                     and v not in cloud_setting_names() | edge_setting_names())
    assert not unknown, f"deploy/.env.example: no such setting: {unknown}"


def test_the_env_file_is_read_from_where_the_header_says_and_lists_every_variable() -> None:
    assert "--env-file deploy/.env" in header(), \
        "docker-compose reads deploy/.env only with --env-file: the header must say so"
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    used = {m.group(1) for m in INTERPOLATION.finditer(text)}
    listed = set(example_env())
    assert used <= listed, f"not in deploy/.env.example: {sorted(used - listed)}"
    assert listed <= used, f"deploy/.env.example lists what compose never reads: {sorted(listed - used)}"
    gitignore = (ROOT / ".gitignore").read_text()
    assert "deploy/.env\n" in gitignore, "deploy/.env holds secrets: keep it out of git"


def test_the_cloud_is_given_its_secrets_and_guest_keys() -> None:
    raw = services()["cloud"]["environment"]
    for variable in ("POSADA_SECRET_KEY", "POSADA_GUEST_KEYS", "POSADA_GUEST_INDEX_KEY"):
        assert variable in raw, f"the cloud is not given {variable}"
        assert re.fullmatch(r"\$\{" + variable + r":\?[^}]+\}", str(raw[variable])), \
            f"{variable} must be required (${{{variable}:?...}}), never defaulted"


def test_the_cloud_has_a_healthcheck_on_its_health_endpoint() -> None:
    spec = services()["cloud"]
    check = spec.get("healthcheck")
    dockerfile = DOCKERFILE.read_text()
    text = " ".join(check["test"]) if check and isinstance(check.get("test"), list) else str(check)
    assert (check and "/health" in text) or ("HEALTHCHECK" in dockerfile and "/health" in dockerfile)
    assert not (check or {}).get("disable")


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [(line.split()[0].upper(), line.split(maxsplit=1)[1] if len(line.split()) > 1 else "")
            for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_image_copies_every_package_the_entrypoints_import() -> None:
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"][
        "wheel"]["packages"]
    assert {"cloud", "edge", "mqtt", "firmware", "posada", "provisioning", "dashboards"} <= set(packages)
    copied = set()
    for instruction, args in dockerfile_instructions():
        if instruction == "COPY":
            sources = [part for part in args.split()[:-1] if not part.startswith("--")]
            copied |= {PurePosixPath(part).parts[0] for part in sources}
    assert set(packages) <= copied, f"the image does not copy {sorted(set(packages) - copied)}"


def runtime_packages() -> set[str]:
    packages = set()
    for line in (ROOT / "system-packages.txt").read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            assert len(fields) == 2, f"system-packages.txt: {line!r} is not 'name  groups  # why'"
            if "runtime" in fields[1].split(","):
                packages.add(fields[0])
    return packages


def test_the_image_installs_the_runtime_packages_runs_unprivileged_and_checks_its_health() -> None:
    instructions = dockerfile_instructions()
    runs = " ".join(args for instruction, args in instructions if instruction == "RUN")
    assert "system-packages.txt" in runs and "runtime" in runs, "the image ignores system-packages.txt"
    assert runtime_packages() & {"fonts-noto-cjk", "fonts-wqy-microhei", "fonts-wqy-zenhei"}, \
        "no CJK font in the runtime packages: invoice PDFs in Chinese fail"
    users = [args.split(":")[0] for instruction, args in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image runs as root"
    assert any(instruction == "HEALTHCHECK" for instruction, _ in instructions)


def test_every_floor_has_an_example_config_of_its_own() -> None:
    for name, spec in floors().items():
        config = spec["command"][spec["command"].index("--config") + 1]
        source, target = assert_readable(name, config)
        gateway = load_config(host_path(source, target, config), env=environment(spec))
        assert source == f"./deploy/floors/{gateway.floor}/floor.toml", \
            f"{name} reads {source}, not deploy/floors/{gateway.floor}/floor.toml"


def test_the_images_own_settings_are_real_and_its_copies_are_not_ignored() -> None:
    instructions = dockerfile_instructions()
    env = " ".join(args for instruction, args in instructions if instruction == "ENV")
    names = set(re.findall(r"\b(POSADA_[A-Z0-9_]+)=", env))
    assert names and names <= cloud_setting_names() | edge_setting_names(), names
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for instruction, args in instructions:
        if instruction == "COPY":
            for part in args.split()[:-1]:
                assert PurePosixPath(part).parts[0] not in ignored, f".dockerignore hides {part}"
