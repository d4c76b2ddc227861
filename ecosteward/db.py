"""Database plumbing shared by the services: engines, sessions, column types, migrations.

Each service owns its own database (a SQLite file by default, a PostgreSQL database in tests and
production) and its own declarative base; no service reads another's tables.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Self

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a timezone")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Money(TypeDecorator[Decimal]):
    """Money in CNY as an exact ``Decimal`` with 2 places — never a float.

    PostgreSQL stores ``NUMERIC(18,2)``; SQLite (which has no exact decimal) stores the text form.
    """

    impl = sa.Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(32))
        return dialect.type_descriptor(sa.Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError("money must be a Decimal")
        quantized = value.quantize(Decimal("0.01"))
        if quantized != value:
            raise ValueError(f"money has at most two decimal places (到分): {value}")
        return str(quantized) if dialect.name == "sqlite" else quantized

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


TYPE_ANNOTATION_MAP: dict[Any, Any] = {dt.datetime: UTCDateTime(), Decimal: Money()}
"""Each service's declarative base maps ``datetime`` to UTC timestamps and ``Decimal`` to money."""


def service_metadata() -> sa.MetaData:
    """Fresh metadata with the shared constraint naming convention (one per service).

    A service declares its base as::

        class Base(DeclarativeBase):
            metadata = service_metadata()
            type_annotation_map = TYPE_ANNOTATION_MAP
    """
    return sa.MetaData(naming_convention=NAMING_CONVENTION)


class EntityMixin:
    """Primary key, audit timestamps and soft delete shared by every table of a domain entity."""

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class StatusChangeMixin:
    """One status change (状态变更) of an entity: from, to, why, when, by whom; never deleted.

    The table adds the entity's foreign key (``enterprise_id``, ``agency_id``) and any detail.
    """

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    from_status: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(sa.String(100))

    #: The name of the entity's foreign key column in the subclass (``agency_id``, ``enterprise_id``).
    OWNER: ClassVar[str]

    @classmethod
    def of(
        cls,
        owner_id: uuid.UUID,
        change: tuple[str | None, str],
        reason: str,
        at: dt.datetime,
        by: str,
        **detail: Any,
    ) -> Self:
        """The history entry for ``owner_id`` moving ``change`` = (from, to); ``from`` is None at creation."""
        from_status, to_status = change
        values: dict[str, Any] = {cls.OWNER: owner_id, "from_status": from_status, "to_status": to_status}
        values.update(reason=reason, changed_at=at, changed_by=by, **detail)
        return cls(**values)  # the mapped subclass's constructor takes the columns as keywords


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout so readers never block writers."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session in one transaction: committed on success, rolled back on any error."""
    async with factory() as session, session.begin():
        yield session


ALEMBIC_DIR = Path(__file__).resolve().parent / "alembic"


def alembic_config(service: str, database_url: str, versions_dir: Path) -> Any:
    """Alembic config for ``service``: shared env.py, the service's own versions folder."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("version_locations", str(versions_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("ecosteward.service", service)
    config.set_main_option("path_separator", "os")
    return config


def run_migrations(service: str, database_url: str, versions_dir: Path) -> None:
    """Apply the service's Alembic migrations up to head (called on start and in tests)."""
    from alembic import command

    command.upgrade(alembic_config(service, database_url, versions_dir), "heads")
