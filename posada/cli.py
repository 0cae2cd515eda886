"""``posada``: one command for every deployable (demo, cloud, edge, desk, provision)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any


def _cloud_epilog() -> str:
    try:
        from cloud.settings import describe_settings
    except ImportError:
        return "(the cloud extra is not installed: pip install 'posada[cloud]')"
    return "settings (environment, or the same names in the TOML file given by POSADA_CONFIG):\n" + \
        describe_settings()


def _edge_epilog() -> str:
    try:
        from edge.config import settings_help
    except ImportError:
        return "(the edge extra is not installed: pip install 'posada[edge]')"
    return settings_help()


def main(argv: list[str] | None = None) -> int:
    args_seen = sys.argv[1:] if argv is None else argv
    parser = _parser(wants_help="-h" in args_seen or "--help" in args_seen)
    args, rest = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("amqtt", "transitions", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    code = _dispatch(args, rest)
    if code is None:
        parser.error("unknown command")
    return code


def _parser(*, wants_help: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posada", description="Posada hotel management.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_demo(sub)
    _add_sim(sub)
    cloud = sub.add_parser("cloud", help="the API, portal and MQTT ingest",
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           epilog=_cloud_epilog() if wants_help else None)
    cloud.add_argument("--host", default=None, help="bind address [POSADA_HTTP_HOST]")
    cloud.add_argument("--port", type=int, default=None, help="port [POSADA_HTTP_PORT]")
    cloud.add_argument("--workers", type=int, default=None,
                       help="processes serving HTTP on the port [POSADA_HTTP_WORKERS, 1]")
    edge = sub.add_parser("edge", help="one floor gateway, from a config file",
                          formatter_class=argparse.RawDescriptionHelpFormatter,
                          epilog=_edge_epilog() if wants_help else None)
    edge.add_argument("--config", required=True, help="the floor's TOML config file")
    desk = sub.add_parser("desk", help="a front-desk card encoder: writes the cards the portal queues",
                          description="Signs in to the cloud with a front-desk API token, waits for the "
                                      "station's encode jobs and writes each card to an NTAG with the NFC "
                                      "reader (libnfc), or the simulated writer with --simulate.")
    from edge.desk.main import add_arguments as desk_arguments

    desk_arguments(desk)
    from posada.property_cli import add_arguments as property_arguments

    property_arguments(sub)
    sub.add_parser("property-node", help="the desk's offline twin at the hotel",
                   description="Keeps a replica of the desk's bookings, serves the desk's pages from "
                               "it, keeps the desk's offline operations and synchronises them with the "
                               "cloud. Settings: POSADA_NODE_MQTT_URL, POSADA_NODE_SITE, "
                               "POSADA_NODE_NAME, POSADA_NODE_DATA_DIR, POSADA_NODE_TIME_ZONE, "
                               "POSADA_NODE_HTTP (host:port of the desk pages; unset: none), "
                               "POSADA_NODE_TLS_CERT and POSADA_NODE_TLS_KEY (PEM files: the desk "
                               "pages over HTTPS), POSADA_NODE_CLOUD_URL (the cloud's address, to "
                               "register the node's keys from its /keys page). Staff sign in with "
                               "their cloud accounts.")
    _add_provision(sub)
    sub.add_parser("channels-sender", help="the channel manager's ARI sender, as a service of its own",
                   description="Pushes availability, rates and restrictions to OTA channels, woken by "
                               "PostgreSQL notifications. Run it with POSADA_CHANNELS_SENDER=external on "
                               "the cloud; same settings as `posada cloud` (POSADA_DATABASE_URL, keys).")
    guests = sub.add_parser("guests", help="guest data: re-encrypt under the active key")
    guests_sub = guests.add_subparsers(dest="what", required=True)
    reencrypt = guests_sub.add_parser(
        "reencrypt", help="re-encrypt every copy of guests' personal data with POSADA_GUEST_ACTIVE_KEY, "
                          "in batches, while the cloud serves; run again to resume")
    reencrypt.add_argument("--reindex", action="store_true",
                           help="also rebuild every blind index (after changing POSADA_GUEST_INDEX_KEY)")
    events = sub.add_parser("events", help="stored floor events (PostgreSQL partitions)")
    partitions = events.add_subparsers(dest="what", required=True).add_parser(
        "partitions", help="make this and next month's partitions of every property; with "
                           "--detach-before, detach older months for retention")
    partitions.add_argument("--detach-before", metavar="YYYY-MM",
                            help="detach every month before this one (kept as tables to archive and drop)")
    audit = sub.add_parser("audit", help="the audit trail: check its hash chain")
    audit.add_subparsers(dest="what", required=True).add_parser(
        "verify", help="walk the chain; report the first broken link (exit 1) or how many entries hold")
    return parser


def _add_demo(sub: Any) -> None:
    demo = sub.add_parser("demo", help="a living hotel on embedded defaults",
                          formatter_class=argparse.RawDescriptionHelpFormatter,
                          description="Embedded broker, cloud on SQLite at http://127.0.0.1:8000, two "
                                      "simulated floors of ten rooms, guests tapping cards.")
    demo.add_argument("--seconds", type=float, default=None,
                      help="run this long, then exit 0 only if events flowed end to end "
                           "(a floor still silent gets up to 40 s more)")
    demo.add_argument("--port", type=int, default=None,
                      help="HTTP port of the portal [8000, or a free one if 8000 is taken]")
    demo.add_argument("--mqtt-port", type=int, default=None,
                      help="port of the embedded broker [1883, or a free one if 1883 is taken]")
    demo.add_argument("--data-dir", default="var/demo", help="where the demo keeps its databases")
    demo.add_argument("--fresh", action="store_true", help="start from empty databases")


def _add_sim(sub: Any) -> None:
    sim = sub.add_parser("sim", help="a chain's day of floor traffic, counted at the broker",
                         description="H hotels x F floors x R rooms: a real gateway per floor with simulated "
                                     "guests and sensors at the rates of a day, against a Mosquitto of its "
                                     "own; prints events and telemetry per room, floor, hotel and chain.")
    sim.add_argument("--hotels", type=int, default=1, help="hotels in the chain [1]")
    sim.add_argument("--floors", type=int, default=2, help="floors per hotel (one gateway each) [2]")
    sim.add_argument("--rooms", type=int, default=20, help="rooms per floor [20]")
    sim.add_argument("--speed", type=float, default=60.0,
                     help="simulated seconds per second: 60 runs an hour a minute [60]")
    sim.add_argument("--seconds", type=float, default=60.0, help="how long to run [60]")
    sim.add_argument("--start-hour", type=float, default=7.0, help="the simulated hour to start at [7]")
    sim.add_argument("--data-dir", default=None, help="keep the gateways' stores here [a scratch folder]")
    sim.add_argument("--database-url", default=None,
                     help="where the cloud's ingest stores the events [SQLite in the data folder]")


def _add_provision(sub: Any) -> None:
    prov = sub.add_parser("provision", help="make a site real: broker credentials and ACL, ...")
    prov_sub = prov.add_subparsers(dest="what", required=True)
    broker = prov_sub.add_parser("broker", help="write mosquitto.conf, passwd and acl for a site")
    broker.add_argument("--out", required=True, help="directory to write into")
    broker.add_argument("--floor", action="append", required=True, metavar="SITE/FLOOR",
                        help="a floor with a gateway (repeat)")
    broker.add_argument("--port", type=int, default=1883)
    broker.add_argument("--bind", default="0.0.0.0")
    broker.add_argument("--target", choices=["host", "compose"], default="host",
                        help="where Mosquitto reads the files: this machine's absolute paths (host), or "
                             "the eclipse-mosquitto container of docker-compose.yml, with DIR mounted at "
                             "/mosquitto/config and persistence and the revoked list on its data volume "
                             "(compose) [host]")
    from provisioning.tls_cli import add_arguments as tls_arguments

    tls_arguments(prov_sub, broker)
    grafana = prov_sub.add_parser("grafana", help="push dashboards and data sources to Grafana "
                                  "(POSADA_GRAFANA_URL, POSADA_GRAFANA_TOKEN, POSADA_INFLUX_*)")
    grafana.add_argument("--out", default=None,
                         help="write provisioning files here instead of calling the API")
    units = prov_sub.add_parser("systemd", help="systemd units for the cloud, a floor's gateway and a desk",
                                description="Writes posada-cloud.service, posada-edge@.service (instance: "
                                            "the floor), posada-desk@.service (instance: the station), a "
                                            "sysusers.d file for the posada user and example env files.")
    units.add_argument("--out", required=True, help="directory to write into")
    units.add_argument("--site", required=True, help="the property's slug (the desk's --site)")
    units.add_argument("--posada", default=None,
                       help="the installed posada command [this installation's bin/posada]")
    units.add_argument("--user", default="posada", help="the dedicated system user [posada]")
    units.add_argument("--config-dir", default="/etc/posada",
                       help="where the env files and floors' configs live [/etc/posada]")
    keys = prov_sub.add_parser("keys", help="the property's Ed25519 card-signing keys (create, rotate)")
    keys.add_argument("--dir", required=True, help="key directory (private keys, mode 0600)")
    keys.add_argument("--rotate", action="store_true", help="announce the next key now")
    keys.add_argument("--lead-hours", type=float, default=24.0,
                      help="how long gateways learn a new key before it signs [24]")
    node_key = prov_sub.add_parser("node-key", help="vouch for a property node's card key "
                                                    "(prints the key.delegate command)")
    node_key.add_argument("--dir", required=True, help="the property's key directory")
    node_key.add_argument("--site-number", type=int, required=True, help="the property's number")
    node_key.add_argument("--node", required=True, help="the node's name (a slug)")
    node_key.add_argument("--public-key", required=True, help="the node's public key (base64url); "
                          "write --public-key=KEY, as a key may begin with '-'")
    node_key.add_argument("--key-id", type=lambda v: int(v, 0), default=0xF001,
                          help="the delegated key id, 0xF000..0xFFFF [0xF001]")
    node_key.add_argument("--days", type=float, default=3.0, help="the window, at most 14 [3]")


def _dispatch(args: argparse.Namespace, rest: list[str]) -> int | None:
    """Run the chosen command (imports only what it needs: the edge installs without the cloud)."""
    command = (args.command, getattr(args, "what", None))
    if command[0] == "demo":
        from posada.demo import run_demo

        return run_demo(seconds=args.seconds, http_port=args.port, mqtt_port=args.mqtt_port,
                        data_dir=args.data_dir, fresh=args.fresh)
    if command[0] == "sim":
        from posada.sim import run_sim

        return run_sim(hotels=args.hotels, floors=args.floors, rooms=args.rooms, speed=args.speed,
                       seconds=args.seconds, start_hour=args.start_hour, data_dir=args.data_dir,
                       database_url=args.database_url)
    if command[0] == "cloud":
        return _run_cloud(args.host, args.port, args.workers)
    if command[0] == "edge":
        from edge.main import main as edge_main

        return edge_main(["--config", args.config, *rest])
    if command[0] == "desk":
        from edge.desk.main import run as desk_run

        return desk_run(args)
    if command[0] == "provision":
        return _provision(args)
    if command[0] == "channels-sender":
        from cloud.settings import load, refuse_defaults

        settings = load()
        refuse_defaults(settings, prog="posada channels-sender")
        from cloud.channels.sender import serve

        return serve(settings)
    if command[0] == "property-node":
        from node.app import run as node_run

        return node_run()
    if command[0] == "property":
        from posada.property_cli import run as property_run

        return property_run(args)
    if command == ("events", "partitions"):
        from posada.events_cli import run as events_partitions

        return events_partitions(detach_before=args.detach_before)
    if command == ("audit", "verify"):
        from posada.audit_cli import run as audit_verify

        return audit_verify()
    if command == ("guests", "reencrypt"):
        import cloud.models  # noqa: F401  (every table that holds a sealed copy)
        from cloud.core.db import Base
        from cloud.guests.rekey import run as rekey
        from cloud.settings import load

        settings = load()
        return rekey(settings.guests, database_url=settings.database_url, metadata=Base.metadata,
                     reindex=args.reindex)
    return None


def _provision(args: argparse.Namespace) -> int | None:
    if args.what == "broker":
        from provisioning.cli import provision_broker
        from provisioning.tls_cli import broker_tls

        return provision_broker(out=args.out, floors=args.floor, port=args.port, bind=args.bind,
                                target=args.target, tls=broker_tls(args), ca_dir=args.ca,
                                hostnames=args.hostname, control_port=args.control_port)
    if args.what in ("cert-request", "cert", "revoke"):
        from provisioning.tls_cli import run as tls_run

        return tls_run(args)
    if args.what == "systemd":
        from provisioning.cli import provision_systemd

        return provision_systemd(out=args.out, site=args.site, posada=args.posada, user=args.user,
                                 config_dir=args.config_dir)
    if args.what == "grafana":
        from provisioning.grafana import provision_grafana

        return provision_grafana(out=args.out)
    if args.what == "node-key":
        from provisioning.node_keys import provision_node_key

        return provision_node_key(directory=args.dir, site_number=args.site_number, node=args.node,
                                  public_key=args.public_key, key_id=args.key_id, days=args.days)
    if args.what == "keys":
        from provisioning.keys import provision_keys

        return provision_keys(directory=args.dir, rotate_now=args.rotate, lead_hours=args.lead_hours)
    return None


def _run_cloud(host: str | None, port: int | None, workers: int | None) -> int:
    import os

    from cloud.settings import load, refuse_defaults

    settings = load()
    refuse_defaults(settings, prog="posada cloud")  # before the heavy imports: a refusal answers at once

    import uvicorn

    from cloud.app import create_app
    from cloud.core.db import make_engine
    from cloud.core.migrate import upgrade

    workers = workers or settings.http_workers
    bind = {"host": host or settings.http_host, "port": port or settings.http_port,
            "log_level": settings.log_level.lower(),
            "proxy_headers": False}  # the app's POSADA_HTTP_TRUSTED_PROXIES alone decides whom to believe
    if workers == 1:
        uvicorn.run(create_app(settings), **bind)  # type: ignore[arg-type]
        return 0
    engine = make_engine(settings.database_url)  # migrated once, before the workers start
    upgrade(engine)
    engine.dispose()
    os.environ["POSADA_HTTP_WORKERS"] = str(workers)  # each worker reads its settings again
    uvicorn.run("cloud.app:create_app", factory=True, workers=workers, **bind)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
