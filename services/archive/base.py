"""The archive's declarative base, platform tables and event payload base (every area builds on these)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import DeclarativeBase

from ecosteward.accounts import account_tables
from ecosteward.db import TYPE_ANNOTATION_MAP, service_metadata
from ecosteward.event_payloads import PublishedPayload
from ecosteward.outbox import platform_tables


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


TABLES = platform_tables(Base.metadata)
ACCOUNTS = account_tables(Base.metadata)


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""Default of a verb-specific payload field: ``to_data`` leaves the key out, as the event always did."""


class ArchivePayload(PublishedPayload):
    """An archive event payload whose verb-specific fields are left out when a verb does not set them.

    One payload class per entity (``EVENT``), yet an import's ``enterprise.registered`` never carried
    the master data and its ``enterprise.import_completed`` is about no one enterprise: fields
    defaulting to :data:`ABSENT` appear on the wire only when given (``None`` is sent as null).
    """

    def to_data(self) -> dict[str, Any]:
        return {name: value for name, value in super().to_data().items() if getattr(self, name) is not ABSENT}
