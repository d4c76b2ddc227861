"""Every table of the reporting service, for Alembic: the base, the local copies and each area's models.

A new area (rankings, statistics, …) adds one line here (and in ``schema.py``, ``app.py``).
"""

from __future__ import annotations

from services.reporting import copies as _copies  # noqa: F401
from services.reporting.base import TABLES, Base
from services.reporting.reports import models as _reports  # noqa: F401

__all__ = ["TABLES", "Base"]
