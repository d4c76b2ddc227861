"""Access revocation (访问吊销): a suspended agency or a disabled account loses access within seconds.

Access tokens live up to 300 s and every service verifies them locally (no call to Keycloak per
request), so disabling an account in Keycloak alone leaves its tokens working until they expire.
Each service therefore keeps its own ``access_revocations`` table, maintained by durable consumers of
the events that change who may act:

- ``registry.agency.*`` → key ``agency`` (token claim ``agency_id``): revoked while the agency is
  ``SUSPENDED`` or ``REMOVED``; re-admission lifts it at once;
- ``registry.staff.*`` → key ``account`` (token claim ``preferred_username``): revoked once the person
  has left the agency (their account is disabled);
- ``archive.enterprise.status_changed`` → key ``enterprise`` (token claim ``enterprise_id``): revoked
  while the enterprise is ``CLOSED``; reopening lifts it at once.

The checks follow the claims Keycloak puts into every token of these accounts, so an account disabled
because its agency was suspended or its enterprise closed is refused by the agency or enterprise
row, one event after the change, without waiting for the account sync.

:class:`RevocationList` holds the revoked keys in memory. It is reloaded from the table right after a
consumer commits a change, and checked every ``refresh_seconds`` (cheap: one aggregate query). On
PostgreSQL the consumer's transaction also sends ``NOTIFY ecosteward_revocations``: every process of
the service (only one of which consumes) hears it at the commit, and its requests wait for the reload
it triggers (:meth:`RevocationList.fresh`), so the processes agree at once rather than within a second. :meth:`RevocationList.check` runs right after token verification and answers
``UNAUTHENTICATED`` with ``extensions.reason`` (``ACCOUNT_DISABLED``, ``AGENCY_SUSPENDED``,
``AGENCY_REMOVED``, ``ENTERPRISE_CLOSED``): the token itself is no longer good, so a front end signs
the user out (a refresh fails too once Keycloak has the account disabled).

Every row remembers the time of the event it came from, and an older event (redelivered after a newer
one) never overwrites a newer state.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from ecosteward.consumer import Subscription
from ecosteward.db import UTCDateTime, utcnow
from ecosteward.errors import Unauthenticated
from ecosteward.events import EventEnvelope
from ecosteward.identity import Principal
from ecosteward.outbox import UnitOfWork

log = logging.getLogger(__name__)

TABLE_NAME = "access_revocations"
CHANNEL = "ecosteward_revocations"
"""PostgreSQL ``LISTEN``/``NOTIFY`` channel: a revocation row changed (sent at the consumer's commit)."""
FRESH_WAIT_SECONDS = 2.0
"""Longest a request waits for the reload a notification asked for (the database may be slow)."""

ACCOUNT = "account"
AGENCY = "agency"
ENTERPRISE = "enterprise"

ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
AGENCY_SUSPENDED = "AGENCY_SUSPENDED"
AGENCY_REMOVED = "AGENCY_REMOVED"
ENTERPRISE_CLOSED = "ENTERPRISE_CLOSED"

MESSAGES: Mapping[str, str] = {
    ACCOUNT_DISABLED: "This account has been disabled; sign in again or ask your administrator (账号已停用).",
    AGENCY_SUSPENDED: "Your agency is suspended from the agency database, so its access has ended "
    "(服务机构已暂停，访问已终止).",
    AGENCY_REMOVED: "Your agency has been removed from the agency database, so its access has ended "
    "(服务机构已移出，访问已终止).",
    ENTERPRISE_CLOSED: "Your enterprise is recorded as closed, so its account has no access "
    "(企业已关停，账号已停用).",
}
"""What a refused caller reads, by ``extensions.reason``."""

AGENCY_REVOKING_STATUSES: Mapping[str, str] = {"SUSPENDED": AGENCY_SUSPENDED, "REMOVED": AGENCY_REMOVED}
ENTERPRISE_REVOKING_STATUSES: Mapping[str, str] = {"CLOSED": ENTERPRISE_CLOSED}


def revocation_table(metadata: sa.MetaData) -> sa.Table:
    """The ``access_revocations`` table on a service's metadata (defined once; later calls return it)."""
    existing = metadata.tables.get(TABLE_NAME)
    if existing is not None:
        return existing
    return sa.Table(
        TABLE_NAME,
        metadata,
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("event_time", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Index("ix_access_revocations_updated_at", "updated_at"),
    )


# ----------------------------------------------------------------------------------- pure rules


@dataclass(frozen=True)
class Change:
    """The revocation state an event sets for one key (``reason`` None: access allowed again)."""

    kind: str
    key: str
    reason: str | None

    @property
    def revoked(self) -> bool:
        return self.reason is not None


def _uuid_key(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def change_for_event(event: EventEnvelope) -> Change | None:
    """What ``event`` means for access, or None when it changes nothing (pure)."""
    data = event.data
    if event.type.startswith("registry.agency."):
        status, key = data.get("status"), _uuid_key(data.get("id", event.subject))
        if not isinstance(status, str) or key is None:
            return None
        return Change(AGENCY, key, AGENCY_REVOKING_STATUSES.get(status))
    if event.type.startswith("registry.staff."):
        username = data.get("username")
        if not isinstance(username, str) or not username.strip():
            return None
        left = data.get("left_on") not in (None, "")
        return Change(ACCOUNT, username.strip().lower(), ACCOUNT_DISABLED if left else None)
    if event.type == "archive.enterprise.status_changed":
        status, key = data.get("status"), _uuid_key(data.get("id", event.subject))
        if not isinstance(status, str) or key is None:
            return None
        return Change(ENTERPRISE, key, ENTERPRISE_REVOKING_STATUSES.get(status))
    return None


def principal_keys(principal: Principal) -> list[tuple[str, str]]:
    """The revocation keys a principal's token carries, most specific first."""
    keys: list[tuple[str, str]] = []
    if principal.username:
        keys.append((ACCOUNT, principal.username.strip().lower()))
    if principal.agency_id is not None:
        keys.append((AGENCY, str(principal.agency_id)))
    if principal.enterprise_id is not None:
        keys.append((ENTERPRISE, str(principal.enterprise_id)))
    return keys


def event_time(event: EventEnvelope) -> dt.datetime:
    """The event's time, aware UTC (the envelope's own clock)."""
    return event.time if event.time.tzinfo is not None else event.time.replace(tzinfo=dt.UTC)


def revoked_error(reason: str) -> Unauthenticated:
    return Unauthenticated(MESSAGES.get(reason, MESSAGES[ACCOUNT_DISABLED]), reason=reason)


# ------------------------------------------------------------------------------------ the table


async def apply_change(session: AsyncSession, table: sa.Table, change: Change, event: EventEnvelope) -> bool:
    """Record ``change`` unless a newer event already set this key; True when the row changed."""
    current = (
        await session.execute(
            sa.select(table.c.event_time, table.c.revoked, table.c.reason).where(
                table.c.kind == change.kind, table.c.key == change.key
            )
        )
    ).first()
    when = event_time(event)
    values = {
        "revoked": change.revoked,
        "reason": change.reason,
        "event_id": event.id,
        "event_time": when,
        "updated_at": utcnow(),
    }
    if current is None:
        # Kept even when nothing is revoked: its time stops an older event from revoking later.
        await session.execute(table.insert().values(kind=change.kind, key=change.key, **values))
        return True
    if current.event_time > when:
        return False  # a redelivered older event: the newer state stands
    if current.revoked == change.revoked and current.reason == change.reason:
        await session.execute(
            table.update()
            .where(table.c.kind == change.kind, table.c.key == change.key)
            .values(event_id=event.id, event_time=when)
        )
        return False
    await session.execute(
        table.update().where(table.c.kind == change.kind, table.c.key == change.key).values(**values)
    )
    return True


# ---------------------------------------------------------------------------------- the cache


class RevocationList:
    """The revoked keys of one process, kept in step with ``access_revocations``."""

    def __init__(self, table: sa.Table, refresh_seconds: float = 1.0) -> None:
        self.table = table
        self.refresh_seconds = refresh_seconds
        self._revoked: dict[tuple[str, str], str] = {}
        self._fingerprint: tuple[Any, ...] | None = None
        self._wake: asyncio.Event | None = None
        self.reloads = 0
        self._notified = 0
        """Change notifications heard (PostgreSQL)."""
        self._applied = 0
        """Notifications covered by the last completed reload."""
        self._reloaded: asyncio.Condition | None = None

    # -- checking (on every request)

    def reason_for(self, principal: Principal) -> str | None:
        for key in principal_keys(principal):
            reason = self._revoked.get(key)
            if reason is not None:
                return reason
        return None

    async def fresh(self) -> None:
        """Return once the list covers every change notification heard so far (at once when none is
        pending): a process that heard of a revocation refuses the token from then on."""
        target, condition = self._notified, self._reloaded
        if self._applied >= target or condition is None:
            return
        async with condition:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    condition.wait_for(lambda: self._applied >= target), timeout=FRESH_WAIT_SECONDS
                )

    def check(self, principal: Principal) -> Principal:
        """``principal`` unchanged, or :class:`Unauthenticated` when its access was revoked."""
        reason = self.reason_for(principal)
        if reason is not None:
            raise revoked_error(reason)
        return principal

    # -- keeping in step

    def replace(self, revoked: Mapping[tuple[str, str], str]) -> None:
        self._revoked = dict(revoked)

    def changed(self) -> None:
        """Reload now (called when a consumer has committed a change)."""
        if self._wake is not None:
            self._wake.set()

    async def _fingerprint_of(self, session: AsyncSession) -> tuple[Any, ...]:
        t = self.table
        row = (
            await session.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.max(t.c.updated_at),
                    sa.func.sum(sa.case((t.c.revoked, 1), else_=0)),
                )
            )
        ).one()
        return tuple(row)

    async def reload(self, sessions: async_sessionmaker[AsyncSession], force: bool = False) -> bool:
        """Reload the revoked keys when the table changed (or ``force``); True when reloaded."""
        async with sessions() as session:
            fingerprint = await self._fingerprint_of(session)
            if not force and fingerprint == self._fingerprint:
                return False
            t = self.table
            rows = (await session.execute(sa.select(t.c.kind, t.c.key, t.c.reason).where(t.c.revoked))).all()
        self.replace({(row.kind, row.key): row.reason or ACCOUNT_DISABLED for row in rows})
        self._fingerprint = fingerprint
        self.reloads += 1
        return True

    def _heard(self, *_: Any) -> None:
        """asyncpg listener: another process committed a revocation change."""
        self._notified += 1
        if self._wake is not None:
            self._wake.set()

    async def _listen(self, engine: AsyncEngine) -> AsyncConnection | None:
        """``LISTEN`` on a connection of its own (PostgreSQL); None elsewhere or when it fails."""
        if engine.dialect.name != "postgresql":
            return None
        connection = await engine.connect()
        try:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.add_listener(CHANNEL, self._heard)
        except Exception:
            log.warning("cannot LISTEN for revocations; relying on the %.0f s check", self.refresh_seconds)
            await connection.invalidate()
            await connection.close()
            return None
        return connection

    async def run(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Keep the list in step (start as a background task; cancel to stop)."""
        self._wake = asyncio.Event()
        self._reloaded = asyncio.Condition()
        bind = sessions.kw.get("bind")
        listener = await self._listen(bind) if isinstance(bind, AsyncEngine) else None
        try:
            while True:
                self._wake.clear()
                heard = self._notified
                try:
                    await self.reload(sessions, force=heard != self._applied)
                except asyncio.CancelledError:
                    raise
                except Exception:  # keep the last known list; the next round retries
                    log.exception("could not reload the access revocations")
                else:
                    self._applied = heard
                    async with self._reloaded:
                        self._reloaded.notify_all()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.refresh_seconds)
        finally:
            if listener is not None:  # never back to the pool with a listener on it
                with contextlib.suppress(Exception):
                    await listener.invalidate()
                await listener.close()

    # -- consuming

    async def handle(self, uow: UnitOfWork, event: EventEnvelope) -> None:
        """Consumer handler: record what the event means for access.

        Its consumers call :meth:`changed` once the transaction has committed (``on_commit``).
        """
        change = change_for_event(event)
        if change is None:
            return
        if await apply_change(uow.session, self.table, change, event):
            if uow.session.get_bind().dialect.name == "postgresql":
                # Delivered at commit to every process of the service (see :meth:`fresh`).
                await uow.session.execute(sa.select(sa.func.pg_notify(CHANNEL, change.kind)))
            if change.revoked:
                log.info("access revoked: %s %s (%s)", change.kind, change.key, change.reason)
            else:
                log.info("access restored: %s %s", change.kind, change.key)

    def subscriptions(self) -> list[Subscription]:
        """The durable consumers every service runs to keep its revocations."""
        return [
            Subscription("revocation-agencies", "registry", "ecosteward.registry.agency.*", self.handle),
            Subscription("revocation-staff", "registry", "ecosteward.registry.staff.*", self.handle),
            Subscription(
                "revocation-enterprises",
                "archive",
                "ecosteward.archive.enterprise.status_changed",
                self.handle,
            ),
        ]
