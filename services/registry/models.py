"""The registry's tables, area by area: what Alembic compares the migrations with."""

from __future__ import annotations

from services.registry import copies as _copies  # noqa: F401
from services.registry.accounts import models as _accounts  # noqa: F401
from services.registry.agencies import models as _agencies  # noqa: F401
from services.registry.base import TABLES, Base
from services.registry.calendar import models as _calendar  # noqa: F401
from services.registry.contracts import models as _contracts  # noqa: F401
from services.registry.jurisdictions import models as _jurisdictions  # noqa: F401
from services.registry.permits import models as _permits  # noqa: F401
from services.registry.staff import models as _staff  # noqa: F401

__all__ = ["TABLES", "Base"]
