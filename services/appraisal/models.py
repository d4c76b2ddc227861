"""Every table of the appraisal service, for Alembic: the base, the local copies and each area's models.

A new area (procurement scoring, installments, …) adds one line here (and in ``schema.py``, ``app.py``).
"""

from __future__ import annotations

from services.appraisal import copies as _copies  # noqa: F401
from services.appraisal.appraisals import models as _appraisals  # noqa: F401
from services.appraisal.base import TABLES, Base

__all__ = ["TABLES", "Base"]
