"""``posada provision node-key``: vouch for a property node's card key with the property key.

Prints the ``key.delegate`` command (JSON, one line) that every floor of the site and the node
itself must receive. The node made its key pair itself (``posada property-node`` logs the
public half); no private key leaves it.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from datetime import UTC, datetime, timedelta

from cloud.keys.delegation import delegate
from cloud.keys.errors import IssueError, KeysError
from cloud.keys.storage import KeyDirectory


def provision_node_key(
    *,
    directory: str,
    site_number: int,
    node: str,
    public_key: str,
    key_id: int,
    days: float,
    now: datetime | None = None,
) -> int:
    now = now or datetime.now(UTC)
    try:
        public = base64.b64decode(public_key + "=" * (-len(public_key) % 4), altchars=b"-_", validate=True)
        keyring = KeyDirectory(directory).load_or_create(now=now)
        command = delegate(
            keyring,
            key_id=key_id,
            site=site_number,
            holder=node,
            public=public,
            now=now,
            window=timedelta(days=days),
        )
    except (binascii.Error, ValueError) as exc:
        print(f"public key: {exc}", file=sys.stderr)
        return 2
    except (IssueError, KeysError) as exc:
        print(f"cannot delegate: {exc}", file=sys.stderr)
        return 2
    print(
        json.dumps({"type": "key.delegate", "data": command.model_dump(mode="json")}, separators=(",", ":"))
    )
    return 0
