"""systemd units for a hotel's own machines: the cloud, each floor's gateway, each desk's card encoder,
and the channel manager's sender.

Every unit runs as the dedicated ``posada`` user (created by the sysusers.d file written beside the
units), reads its secrets from an ``EnvironmentFile`` under the config directory, keeps its state
in its own ``StateDirectory``, restarts on failure, and is confined (read-only system, no new
privileges, no capabilities, a system-call filter). The gateway and the desk keep access to
devices (serial bus, GPIO, NFC reader); the cloud gets none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mqtt.topics import check_slug

USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,30}")
CONFIG_DIR = PurePosixPath("/etc/posada")
SAFE_PATH = re.compile(r"/[A-Za-z0-9._/+-]*")

# Confinement every unit shares. Not set, on purpose: MemoryDenyWriteExecute (libffi closures
# behind ctypes and cffi need writable code pages) and ProtectClock (it closes the device policy,
# which would cut the gateway off its serial bus and GPIO).
HARDENING = [
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateMounts=yes",
    "ProtectProc=invisible",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectHostname=yes",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "RemoveIPC=yes",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged @resources",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "UMask=0077",
]


@dataclass(frozen=True)
class UnitOptions:
    posada: PurePosixPath  # the installed ``posada`` command (a virtualenv's bin/posada)
    site: str  # the property's slug, for the desk
    user: str = "posada"
    config_dir: PurePosixPath = CONFIG_DIR

    def __post_init__(self) -> None:
        for what, path in (("--posada", self.posada), ("--config-dir", self.config_dir)):
            if not path.is_absolute() or not SAFE_PATH.fullmatch(str(path)):
                raise ValueError(f"{what} must be an absolute path of letters, digits and ._/+-, got {path}")
        if not USER_NAME.fullmatch(self.user):
            raise ValueError(f"--user {self.user!r} is not a system user name ([a-z_][a-z0-9_-]*)")
        check_slug(self.site, "site")


def _unit(*, description: str, after: str, options: UnitOptions, service: list[str]) -> str:
    lines = [
        "[Unit]",
        f"Description={description}",
        f"After={after}",
        "Wants=network-online.target",
        "StartLimitIntervalSec=300",
        "StartLimitBurst=10",
        "",
        "[Service]",
        "Type=exec",
        f"User={options.user}",
        f"Group={options.user}",
        *service,
        "RestartSec=5",
        # 2: refused its settings (a default secret, a bad config file): restarting will not help.
        "RestartPreventExitStatus=2",
        "TimeoutStopSec=30",
        *HARDENING,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


def cloud_unit(options: UnitOptions) -> str:
    """``posada cloud``: its signing keys live in its state directory, its secrets in cloud.env."""
    return _unit(
        description="Posada cloud: API, portal and MQTT ingest",
        after="network-online.target postgresql.service mosquitto.service",
        options=options,
        service=[
            f"EnvironmentFile={options.config_dir}/cloud.env",
            "StateDirectory=posada/cloud posada/cloud/keys",
            "StateDirectoryMode=0700",
            "WorkingDirectory=%S/posada/cloud",
            "Environment=POSADA_KEYS_DIR=%S/posada/cloud/keys",
            f"ExecStart={options.posada} cloud",
            "Restart=on-failure",
            "PrivateDevices=yes",
            "ProcSubset=pid",  # not for the gateway: gpiozero reads the board's model from /proc
        ],
    )


def channels_unit(options: UnitOptions) -> str:
    """``posada channels-sender``: availability, restrictions and rates pushed to the channels, in
    a process of its own beside the cloud (same settings file; the outbox is in the database, so
    it keeps no state). The cloud then leaves the sending to it: ``POSADA_CHANNELS_SENDER=external``
    in cloud.env, or the cloud starts a sender of its own too."""
    return _unit(
        description="Posada channel manager: availability pushed to the sales channels",
        after="network-online.target postgresql.service posada-cloud.service",
        options=options,
        service=[
            f"EnvironmentFile={options.config_dir}/cloud.env",
            f"ExecStart={options.posada} channels-sender",
            "Restart=always",  # a stopped sender lets channels sell nights that are gone
            "PrivateDevices=yes",
            "ProcSubset=pid",
        ],
    )


def edge_unit(options: UnitOptions) -> str:
    """``posada-edge@FLOOR``: one floor's gateway; config and broker password under floors/FLOOR/."""
    floor_dir = f"{options.config_dir}/floors/%i"
    return _unit(
        description="Posada floor gateway %i",
        after="network-online.target",
        options=options,
        service=[
            f"EnvironmentFile={floor_dir}/edge.env",
            "StateDirectory=posada/floors/%i",
            "StateDirectoryMode=0700",
            "WorkingDirectory=%S/posada/floors/%i",
            # The environment wins over the file: the store is always in the state directory.
            "Environment=POSADA_DATA_DIR=%S/posada/floors/%i",
            f"ExecStart={options.posada} edge --config {floor_dir}/floor.toml",
            # A door decides on the gateway: it must be up whatever made it stop.
            "Restart=always",
        ],
    )


def desk_unit(options: UnitOptions) -> str:
    """``posada-desk@STATION``: a front desk's card encoder; its URL and token in desk.env.

    The desk agent keeps no state of its own (the cloud holds the encode jobs), so it has no
    StateDirectory.
    """
    return _unit(
        description="Posada card encoder at front desk %i",
        after="network-online.target",
        options=options,
        service=[
            f"EnvironmentFile={options.config_dir}/desk.env",
            f"ExecStart={options.posada} desk --site {options.site} --station %i",
            "Restart=always",
        ],
    )


def sysusers(options: UnitOptions) -> str:
    """``systemd-sysusers`` creates the user; the gateway and desk reach serial, GPIO and USB readers."""
    return (f"u {options.user} - \"Posada hotel services\" /var/lib/posada\n"
            f"m {options.user} dialout\n"
            f"m {options.user} gpio\n"
            f"m {options.user} plugdev\n")


ENV_EXAMPLES = {
    "cloud.env.example": "# /etc/posada/cloud.env (mode 0600): `posada cloud --help` lists every setting.\n"
                         "POSADA_DATABASE_URL=postgresql+psycopg://posada:PASSWORD@localhost/posada\n"
                         "POSADA_MQTT_URL=mqtt://posada-cloud:PASSWORD@localhost:1883\n"
                         "POSADA_HTTP_HOST=127.0.0.1\n"
                         "POSADA_SECRET_KEY=\n"
                         "POSADA_GUEST_KEYS=\n"
                         "POSADA_GUEST_INDEX_KEY=\n"
                         "# with posada-channels-sender.service enabled (else the cloud starts its own):\n"
                         "# POSADA_CHANNELS_SENDER=external\n",
    "edge.env.example": "# /etc/posada/floors/FLOOR/edge.env (mode 0600), beside that floor's floor.toml.\n"
                        "POSADA_MQTT_URL=mqtt://gw.SITE.FLOOR:PASSWORD@broker.example:1883\n",
    "desk.env.example": "# /etc/posada/desk.env (mode 0600): the cloud's address, a front-desk API token.\n"
                        "POSADA_DESK_URL=https://cloud.example\n"
                        "POSADA_DESK_TOKEN=\n",
}


def render(options: UnitOptions) -> dict[str, str]:
    """Every file, by name, rendered before anything is written."""
    return {"posada-cloud.service": cloud_unit(options), "posada-edge@.service": edge_unit(options),
            "posada-desk@.service": desk_unit(options),
            "posada-channels-sender.service": channels_unit(options),
            "posada.sysusers.conf": sysusers(options),
            **ENV_EXAMPLES}


def write_units(directory: Path, options: UnitOptions) -> list[Path]:
    files = render(options)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
