"""Registry tables."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ecosteward.db import TYPE_ANNOTATION_MAP, EntityMixin, service_metadata
from ecosteward.outbox import platform_tables


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


TABLES = platform_tables(Base.metadata)


class JurisdictionRow(EntityMixin, Base):
    """A managing unit: the district itself, a town/street, or a park committee (街镇、管委会)."""

    __tablename__ = "jurisdictions"

    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(16))


class AgencyRow(EntityMixin, Base):
    """A third-party environmental service agency (第三方环保服务机构)."""

    __tablename__ = "agencies"

    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16))


class ServiceContractRow(EntityMixin, Base):
    """A service contract (委托合同) between a managing department and an agency."""

    __tablename__ = "service_contracts"

    title: Mapped[str] = mapped_column(sa.String(200))
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("jurisdictions.id"), index=True)
    price: Mapped[Decimal]
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    contracted_tasks: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16))
