"""``./dev.sh faults [--quick] [--partition-s N] [--only WORD]``: the fault-injection table.

Needs root (network namespaces, veth pairs, a tmpfs), Mosquitto, PostgreSQL and libfaketime.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from tests.faults import network
from tests.faults.accounting import table
from tests.faults.faults import all_faults
from tests.faults.harness import Harness, Plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev.sh faults", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short faults: 20 s each, partitions 30 s")
    parser.add_argument("--partition-s", type=float, default=None, help="partition length [600, quick 30]")
    parser.add_argument("--fault-s", type=float, default=None, help="other faults' length [60, quick 20]")
    parser.add_argument("--only", default=None, help="run the faults whose name contains this")
    parser.add_argument("--keep", action="store_true", help="keep the run's directory (logs)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.exit(2, "the fault harness needs root (network namespaces, tmpfs)\n")
    plan = Plan(
        fault_s=args.fault_s or (20.0 if args.quick else 60.0),
        partition_s=args.partition_s or (30.0 if args.quick else 600.0),
    )
    logging.basicConfig(level=logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="posada-faults-"))
    print(
        f"run directory {root}; netem in this kernel: {network.netem_available()} "
        "(loss and latency come from the harness's relays either way)",
        flush=True,
    )
    harness = Harness(root, plan)
    rows = []
    try:
        for name, fault in all_faults(harness):
            if args.only and args.only not in name:
                continue
            rows.append(harness.row(name, fault))
            print(" | ".join(rows[-1].cells()), flush=True)
    finally:
        harness.close()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(table(rows))
    bad = [r for r in rows if r.lost or r.duplicates or r.taps.decided == 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
