"""The archive's tables, every area's imported explicitly: the Alembic target (``Base.metadata``).

Other modules import rows from their areas (``services.archive.<area>.models``); the names below
stay importable from here for the platform's tests.
"""

from __future__ import annotations

from services.archive.base import ACCOUNTS, TABLES, Base
from services.archive.classification import models as _classification  # noqa: F401
from services.archive.copies import ContractScopeRow, KnownJurisdictionRow
from services.archive.documents import models as _documents  # noqa: F401
from services.archive.downloads import models as _downloads  # noqa: F401
from services.archive.enterprises.models import EnterpriseRow, EnterpriseStatusChangeRow

__all__ = [
    "ACCOUNTS",
    "TABLES",
    "Base",
    "ContractScopeRow",
    "EnterpriseRow",
    "EnterpriseStatusChangeRow",
    "KnownJurisdictionRow",
]
