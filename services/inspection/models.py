"""Every table of the inspection service, for Alembic: the base, the local copies and each area's models.

A new area adds one line here (and one in ``schema.py`` and ``app.py``).
"""

from __future__ import annotations

from services.inspection import copies as _copies  # noqa: F401
from services.inspection.base import TABLES, Base
from services.inspection.visits import models as _visits  # noqa: F401

__all__ = ["TABLES", "Base"]
