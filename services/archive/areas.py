"""The archive's areas (Dispatch-style folders) and what each contributes to the service."""

from __future__ import annotations

import importlib
from typing import Any

AREAS = ("classification", "documents", "downloads", "imports")


def contributions(module: str, attribute: str) -> list[Any]:
    """``attribute`` of ``services.archive.<area>.<module>`` for every area that defines it."""
    found: list[Any] = []
    for area in AREAS:
        name = f"services.archive.{area}.{module}"
        try:
            loaded = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        value = getattr(loaded, attribute, None)
        if value is not None:
            found.append(value)
    return found
