"""A document written out: JSON (every field) or YAML (fields left at their defaults omitted,
one line per room, price, restriction, area and out-of-order period)."""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml

from cloud.setup.document import PropertyDocument

Format = Literal["json", "yaml"]
ONE_LINE = ("rooms", "areas", "prices", "restrictions", "out_of_order")


class _Line(dict[str, Any]):
    """A mapping YAML writes on one line."""


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    pass


_Dumper.add_representer(
    _Line, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def as_data(doc: PropertyDocument, *, compact: bool = False) -> dict[str, Any]:
    data = doc.model_dump(mode="json", by_alias=True, exclude_defaults=compact)
    return {"version": doc.version, **data}


def dumps(doc: PropertyDocument, fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(as_data(doc), ensure_ascii=False, indent=2) + "\n"
    data = as_data(doc, compact=True)
    for section in ONE_LINE:
        if section in data:
            data[section] = [_Line(item) for item in data[section]]
    return str(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120))
