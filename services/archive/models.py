"""Archive tables: enterprises and the local copies they rely on.

The other areas keep their tables in their own ``models`` modules (classification, documents,
downloads); importing them at the end of this module registers every table for Alembic.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import EntityMixin, UTCDateTime
from services.archive.base import ACCOUNTS, TABLES, Base

__all__ = ["ACCOUNTS", "TABLES", "Base", "EnterpriseRow", "EnterpriseStatusChangeRow", "KnownJurisdictionRow"]


class KnownJurisdictionRow(Base):
    """Local copy of registry's jurisdictions, kept from ``registry.jurisdiction.*`` events.

    The archive never reads registry's tables: it validates an enterprise's jurisdiction against
    this copy.
    """

    __tablename__ = "known_jurisdictions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(120))
    # DISTRICT, TOWN, STREET or PARK; null for rows kept before kinds were recorded (then it covers
    # only itself when it manages a contract).
    kind: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)


class EnterpriseRow(EntityMixin, Base):
    """An enterprise / pollution source (排污单位)."""

    __tablename__ = "enterprises"

    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    industry_code: Mapped[str] = mapped_column(sa.String(8), default="")
    latitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    permit_category: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Current classification, kept here for list filters and the map (history in classification/).
    key_source: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)

    __table_args__ = (sa.Index("ix_enterprises_location", "latitude", "longitude"),)


class EnterpriseStatusChangeRow(Base):
    """A status change of a pollution source (operating, relocating, closed); never deleted."""

    __tablename__ = "enterprise_status_changes"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(sa.String(100))


class ContractScopeRow(Base):
    """Local copy of a registry contract's service scope, kept from ``registry.contract.*`` events.

    Agency staff see only the enterprises their agency's live contracts cover: the contract's
    jurisdictions as a whole and its explicit enterprise list (分片区), both intersected at query time
    with the managing jurisdiction (:mod:`services.archive.contract_scope`).
    """

    __tablename__ = "contract_scopes"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    # The contract's managing department's jurisdiction (the event's ``jurisdiction_id``): the scope
    # counts only inside it. Null (rows from before it was kept): the contract grants nothing.
    managing_jurisdiction_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    jurisdiction_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    enterprise_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)


# Register the other areas' tables on the same metadata (Alembic autogenerate reads it).
import services.archive.classification.models  # noqa: E402
import services.archive.documents.models  # noqa: E402
import services.archive.downloads.models  # noqa: E402, F401
