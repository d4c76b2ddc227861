"""The reporting service's declarative base and its platform tables (outbox, inbox, accounts)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from ecosteward.db import TYPE_ANNOTATION_MAP, service_metadata
from ecosteward.outbox import platform_tables


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


TABLES = platform_tables(Base.metadata)
