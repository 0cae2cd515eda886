"""``posada desk``: sign in with a front-desk API token and encode the cards of one desk station."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import ssl
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge.desk.agent import DeskAgent

log = logging.getLogger("posada.desk")
TOKEN_ENV = "POSADA_DESK_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get("POSADA_DESK_URL", "http://127.0.0.1:8000"),
        help="the cloud's address [POSADA_DESK_URL, http://127.0.0.1:8000]",
    )
    parser.add_argument("--site", required=True, help="the property's slug, e.g. hotel")
    parser.add_argument("--station", required=True, help="this desk's name, e.g. desk-1 (a-z, 0-9, -)")
    parser.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help=f"file holding a front-desk API token (else ${TOKEN_ENV})",
    )
    parser.add_argument("--client-cert", type=Path, default=None,
                        help="this station's certificate (posada provision cert --station) for a cloud "
                             "behind mutual TLS; with --client-key")
    parser.add_argument("--client-key", type=Path, default=None, help="its private key, made on this machine")
    parser.add_argument("--ca-file", type=Path, default=None, help="CA to check the cloud's certificate")
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="use the simulated NTAG writer (a blank card is laid down for each job)",
    )
    parser.add_argument(
        "--connstring",
        default=None,
        help="libnfc device, e.g. pn532_uart:/dev/ttyUSB0 (default: libnfc's first)",
    )
    parser.add_argument(
        "--tag-timeout",
        type=float,
        default=20.0,
        help="seconds a clerk has to lay the card on the reader [20]",
    )


def token_from(args: argparse.Namespace) -> str:
    if args.token_file is not None:
        return str(args.token_file.read_text(encoding="utf-8")).strip()
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise SystemExit(f"posada desk: give a front-desk API token with --token-file or ${TOKEN_ENV}")
    return token


def build(args: argparse.Namespace) -> Any:
    """The agent with the real libnfc writer, or the simulated one with ``--simulate``."""
    from edge.desk.agent import AgentSettings, DeskAgent
    from edge.desk.client import DeskClient

    if (args.client_cert is None) != (args.client_key is None):
        raise SystemExit("posada desk: --client-cert and --client-key go together")
    cert = (str(args.client_cert), str(args.client_key)) if args.client_cert else None
    try:
        client = DeskClient(url=args.url, token=token_from(args), site=args.site, station=args.station,
                            client_cert=cert, ca_file=str(args.ca_file) if args.ca_file else None)
    except (OSError, ssl.SSLError) as exc:  # ssl.SSLError is an OSError; named for the reader
        raise SystemExit(f"posada desk: cannot use the TLS files: {exc}") from None
    settings = AgentSettings(tag_timeout_s=args.tag_timeout)
    if args.simulate:
        from edge.desk.simulated import SimulatedTray
        from edge.hw.nfc_sim import SimulatedReader

        reader = SimulatedReader()
        return DeskAgent(client, reader, settings=settings, tray=SimulatedTray(reader))
    from edge.hw.nfc import LibnfcReader

    return DeskAgent(client, LibnfcReader(args.connstring), settings=settings)


class _Stopped(Exception):
    """Raised by the signal handler to end a long poll at once (no job is held then)."""


def _stopper(agent: DeskAgent) -> Callable[[int, FrameType | None], None]:
    """A signal stops the agent: a card being written is finished and reported first, but a wait
    for the next job (up to its 25 s long poll) is cut short, so a service stop is prompt."""

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        agent.stop()
        if agent.waiting:
            raise _Stopped

    return on_signal


def run(args: argparse.Namespace) -> int:
    from edge.hw.nfc_errors import NfcUnavailable

    try:
        agent = build(args)
    except NfcUnavailable as exc:
        print(f"posada desk: {exc} (use --simulate without a reader)", file=sys.stderr)
        return 2
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stopper(agent))
    log.info("desk station %s of %s waiting for cards to encode at %s", args.station, args.site, args.url)
    try:
        agent.run()
    except _Stopped:
        log.info("desk station %s stopped", args.station)
    finally:
        agent.client.close()
        agent.reader.close()
    return 0
