"""How settings are read: ``POSADA_*`` environment variables or a TOML file with the same names.

Each area declares its part as an :class:`AreaSettings` (a plain model); the root tree
(:mod:`cloud.settings`) reads the environment and the file once and hands every area its part.
Names stay flat (``POSADA_STRIPE_SECRET_KEY``, ``stripe_secret_key = ...`` in the file), so an
area's setting keeps its name wherever the area sits in the tree.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsError

PREFIX = "POSADA_"


class AreaSettings(BaseModel):
    """One area's part of the settings tree; built by the root, never from the environment."""

    model_config = ConfigDict(extra="ignore", frozen=False)


def config_file() -> Path | None:
    """The TOML file named by ``POSADA_CONFIG``, if any."""
    name = os.environ.get("POSADA_CONFIG")
    return Path(name) if name else None


def read_toml(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)


def _structured(field: FieldInfo) -> bool:
    """A dict, list or model: given as JSON in an environment variable."""
    kinds = [field.annotation, *get_args(field.annotation)]
    for kind in kinds:
        origin = get_origin(kind) or kind
        if origin in (dict, list, tuple, set) or (isinstance(origin, type) and issubclass(origin, BaseModel)):
            return True
    return False


def _json(variable: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise SettingsError(f"{variable} is not valid JSON: {exc}") from None


def area_fields(root: type[BaseModel]) -> Iterator[tuple[str, type[AreaSettings]]]:
    for name, field in root.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, AreaSettings):
            yield name, kind


class AreaSource(PydanticBaseSettingsSource):
    """Fills each nested area from the flat ``POSADA_<NAME>`` variables and file keys."""

    def __init__(self, settings_cls: type[BaseSettings], *, environ: Mapping[str, str],
                 file: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self.environ = {k.upper(): v for k, v in environ.items()}
        self.file = file

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is done in __call__

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for area, model in area_fields(self.settings_cls):
            table = self.file.get(area)
            values: dict[str, Any] = dict(table) if isinstance(table, dict) else {}
            for name, field in model.model_fields.items():
                if name in self.settings_cls.model_fields:
                    continue  # a name the root declares is the root's; see share_root_values
                if name in self.file and name not in values:
                    values[name] = self.file[name]
                raw = self.environ.get(PREFIX + name.upper())
                if raw is not None:
                    values[name] = _json(PREFIX + name.upper(), raw) if _structured(field) else raw
            if values:
                out[area] = values
        return out


def share_root_values(root: BaseModel) -> None:
    """An area that declares a name the root declares too (``secret_key``) gets the root's value,
    unless it was given its own in code."""
    for area, _model in area_fields(type(root)):
        part = getattr(root, area)
        for name in set(type(part).model_fields) & set(type(root).model_fields):
            if name not in part.model_fields_set:
                setattr(part, name, getattr(root, name))


def describe(model: type[BaseModel]) -> str:
    """Help text listing every flat setting of ``model`` with its variable name and default."""
    lines = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, AreaSettings):
            continue
        default: Any = field.get_default(call_default_factory=True)
        lines.append(f"  {PREFIX}{name.upper():<30} {field.description or ''} [default: {default}]")
    return "\n".join(lines)
