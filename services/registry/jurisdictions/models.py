"""Jurisdiction table."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import EntityMixin
from services.registry.base import Base


class JurisdictionRow(EntityMixin, Base):
    """A managing unit: the district itself, a town/street, or a park committee (街镇、管委会)."""

    __tablename__ = "jurisdictions"

    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(160), default="")
    kind: Mapped[str] = mapped_column(sa.String(16))
