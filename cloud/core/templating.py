"""The portal's Jinja2 environment, one per process, shared by every area's pages."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

TEMPLATES = Path(__file__).resolve().parent.parent / "portal" / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))
