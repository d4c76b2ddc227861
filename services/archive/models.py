"""Archive tables."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ecosteward.db import TYPE_ANNOTATION_MAP, EntityMixin, service_metadata
from ecosteward.outbox import platform_tables


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


TABLES = platform_tables(Base.metadata)


class KnownJurisdictionRow(Base):
    """Local copy of registry's jurisdictions, kept from ``registry.jurisdiction.*`` events.

    The archive never reads registry's tables: it validates an enterprise's jurisdiction against
    this copy.
    """

    __tablename__ = "known_jurisdictions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(120))


class EnterpriseRow(EntityMixin, Base):
    """An enterprise / pollution source (排污单位)."""

    __tablename__ = "enterprises"

    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    permit_category: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
