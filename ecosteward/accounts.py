"""Keycloak account provisioning (账号开通): a desired-state table and a sync job.

Services that hand out logins (the registry for agency admins and staff, later the archive for
enterprise users) never call Keycloak from an event handler. The handler records the *desired*
account in the service's own ``keycloak_accounts`` table with :func:`request_account` /
:func:`request_disable`, inside the same transaction as the rest of its unit of work. A sync job
(:func:`sync_pending`, looped by :func:`run_sync_loop`) then applies pending rows to Keycloak with
:class:`KeycloakProvisioner`. Applying is idempotent (find by username, create or update, ensure the
role), so a row may be applied any number of times; while Keycloak is unreachable rows stay
``PENDING`` and are retried with capped exponential backoff, never given up and never deleted.

``updated_at`` is the version of the desired state: it moves only when a caller changes the desired
state, never when the sync job records an outcome. A row whose ``updated_at`` moved while it was being
applied stays ``PENDING`` so the newer state is applied on the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakConnectionError, KeycloakError, KeycloakGetError
from prometheus_client import Gauge
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.config import KeycloakAdminSettings
from ecosteward.db import UTCDateTime, utcnow
from ecosteward.identity import ROLES
from ecosteward.retry import backoff_delay
from ecosteward.runtime import PeriodicJob, ServiceRuntime

log = logging.getLogger(__name__)

PENDING = "PENDING"
SYNCED = "SYNCED"
CONFLICT = "CONFLICT"  # the username belongs to an account we do not manage; needs an operator
MAX_BACKOFF_SECONDS = 300

REALM_ROLES = frozenset(ROLES)
"""The EcoSteward realm roles. An account has exactly one of them; applying removes the others."""

SCOPE_ATTRIBUTES = frozenset({"jurisdiction_id", "agency_id", "enterprise_id"})
"""User-profile attributes owned by the desired state: absent from a spec means removed in Keycloak."""

UPDATE_PASSWORD = "UPDATE_PASSWORD"

KEYCLOAK_ACCOUNTS_PENDING = Gauge(
    "ecosteward_keycloak_accounts_pending",
    "Keycloak accounts whose desired state is not yet applied (PENDING rows).",
    ["service"],
)


# ------------------------------------------------------------------------------------ desired state


def account_tables(metadata: sa.MetaData) -> sa.Table:
    """Define the ``keycloak_accounts`` desired-state table on a service's metadata (call once)."""
    return sa.Table(
        "keycloak_accounts",
        metadata,
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=False, default="", server_default=""),
        sa.Column("last_name", sa.String(100), nullable=False, default="", server_default=""),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("require_password_change", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, default=0, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("synced_at", UTCDateTime(), nullable=True),
        sa.Column("keycloak_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Index("ix_keycloak_accounts_due", "status", "next_attempt_at"),
    )


@dataclass(frozen=True)
class AccountSpec:
    """The desired Keycloak account.

    ``username`` is normalised to lower case (Keycloak stores usernames in lower case). Empty
    ``first_name``/``last_name`` and ``email=None`` mean "leave Keycloak's value as it is" on update.
    ``attributes`` may only hold the scope attributes, each a UUID string.
    """

    username: str
    role: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    email: str | None = None
    first_name: str = ""
    last_name: str = ""
    enabled: bool = True
    require_password_change: bool = True

    def __post_init__(self) -> None:
        username = self.username.strip().lower()
        if not username or len(username) > 100:
            raise ValueError(f"username must be 1-100 characters: {self.username!r}")
        if self.role not in REALM_ROLES:
            raise ValueError(f"unknown realm role {self.role!r}; expected one of {sorted(REALM_ROLES)}")
        attributes = dict(self.attributes)
        for name, value in attributes.items():
            if name not in SCOPE_ATTRIBUTES:
                raise ValueError(f"unknown account attribute {name!r}; expected {sorted(SCOPE_ATTRIBUTES)}")
            if not isinstance(value, str):
                raise ValueError(f"attribute {name} must be a string, got {type(value).__name__}")
            try:
                uuid.UUID(value)
            except ValueError:
                raise ValueError(f"attribute {name} must be a UUID: {value!r}") from None
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "attributes", attributes)


def _later(now: dt.datetime, previous: dt.datetime | None) -> dt.datetime:
    """``now``, but strictly after ``previous`` so every change moves ``updated_at``."""
    if previous is not None and now <= previous:
        return previous + dt.timedelta(microseconds=1)
    return now


async def request_account(session: AsyncSession, table: sa.Table, spec: AccountSpec) -> None:
    """Record ``spec`` as the desired account (insert or replace), to be applied by the sync job.

    Runs inside the caller's transaction (e.g. a consumer's unit of work) and is idempotent: two
    transactions asking for the same new username at once (the agency and the staff consumers on an
    admission) both succeed, the later one replacing the desired state.
    """
    now = utcnow()
    desired = {
        "role": spec.role,
        "attributes": dict(spec.attributes),
        "email": spec.email,
        "first_name": spec.first_name,
        "last_name": spec.last_name,
        "enabled": spec.enabled,
        "require_password_change": spec.require_password_change,
        "status": PENDING,
        "next_attempt_at": now,
    }
    current = await _version(session, table, spec.username)
    if current is None:
        insert = _insert_if_absent(session, table).values(
            username=spec.username, attempts=0, created_at=now, updated_at=now, **desired
        )
        if (await session.execute(insert)).rowcount:  # type: ignore[attr-defined]
            return
        # Another transaction created the row after the look-up (and committed): replace its state.
        current = await _version(session, table, spec.username)
    await session.execute(
        table.update()
        .where(table.c.username == spec.username)
        .values(updated_at=_later(now, current), **desired)
    )


async def _version(session: AsyncSession, table: sa.Table, username: str) -> dt.datetime | None:
    """The row's ``updated_at`` (the desired state's version); None when there is no row."""
    return cast(
        "dt.datetime | None",
        await session.scalar(sa.select(table.c.updated_at).where(table.c.username == username)),
    )


def _insert_if_absent(session: AsyncSession, table: sa.Table) -> Any:
    """``INSERT … ON CONFLICT (username) DO NOTHING`` in the session's dialect."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=[table.c.username])


async def request_disable(session: AsyncSession, table: sa.Table, username: str) -> None:
    """Desire the account disabled (kept, not deleted); a no-op for an unknown username."""
    username = username.strip().lower()
    current = await _version(session, table, username)
    if current is None:
        return
    now = utcnow()
    await session.execute(
        table.update()
        .where(table.c.username == username)
        .values(enabled=False, status=PENDING, next_attempt_at=now, updated_at=_later(now, current))
    )


def _spec_from_row(row: sa.Row[Any]) -> AccountSpec:
    return AccountSpec(
        username=row.username,
        role=row.role,
        attributes=dict(row.attributes or {}),
        email=row.email,
        first_name=row.first_name or "",
        last_name=row.last_name or "",
        enabled=row.enabled,
        require_password_change=row.require_password_change,
    )


# ------------------------------------------------------------------------------------------ Keycloak

_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "Il1O0o")


def generate_password(length: int = 16) -> str:
    """A random password from unambiguous letters and digits, with upper, lower and digit."""
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


class AccountConflict(Exception):
    """The username is held by a Keycloak account that EcoSteward did not create: never taken over."""


class KeycloakProvisioner:
    """Applies :class:`AccountSpec` to Keycloak through the admin API as ``ecosteward-provisioner``.

    The provisioner's service account only has realm-management ``manage-users``/``view-users``/
    ``query-users``: ``GET /roles/{name}`` is forbidden, so role representations come from the
    user's available role mappings.
    """

    def __init__(
        self, server_url: str, realm: str, client_id: str, client_secret: str, timeout: int = 10
    ) -> None:
        self.server_url = server_url
        self.realm = realm
        self._connection = KeycloakOpenIDConnection(
            server_url=server_url,
            realm_name=realm,
            user_realm_name=realm,
            client_id=client_id,
            client_secret_key=client_secret,
            timeout=timeout,
        )
        self._admin = KeycloakAdmin(connection=self._connection)

    @classmethod
    def from_env(cls, settings: KeycloakAdminSettings | None = None) -> KeycloakProvisioner:
        """The provisioner ``settings`` (default: ``ECOSTEWARD_KEYCLOAK_*``/``ECOSTEWARD_PROVISIONER_*``) describe."""
        settings = settings or KeycloakAdminSettings()
        return cls(
            server_url=settings.url,
            realm=settings.realm,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
        )

    @property
    def admin(self) -> KeycloakAdmin:
        """The underlying python-keycloak admin client (for tests and operations)."""
        return self._admin

    async def aclose(self) -> None:
        """Close the HTTP clients (the admin connection and the token endpoint's)."""
        await self._connection.aclose()
        await self._connection.keycloak_openid.connection.aclose()

    async def __aenter__(self) -> KeycloakProvisioner:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def find_user(self, username: str) -> dict[str, Any] | None:
        """The user representation with exactly this username, or None."""
        username = username.strip().lower()
        users = await self._admin.a_get_users({"username": username, "exact": True})
        for user in users:
            if user.get("username") == username:
                return cast(dict[str, Any], user)
        return None

    async def apply(self, spec: AccountSpec, known_id: str | None = None) -> str:
        """Make Keycloak match ``spec`` (create or update, ensure the role); returns the user id.

        Only accounts this provisioner owns are changed: the one it created before (``known_id``), a
        new one, or an existing one that already has exactly this role and scope (e.g. a demo user).
        Any other account with the username raises :class:`AccountConflict` — never taken over.
        """
        user = None
        if known_id is not None:
            with contextlib.suppress(KeycloakGetError):
                user = await self._admin.a_get_user(known_id)
            if user is not None and user.get("username") != spec.username:
                user = None
        if user is None:
            user = await self.find_user(spec.username)
            if user is not None and not await self._adoptable(user, spec):
                raise AccountConflict(
                    f"username {spec.username!r} belongs to a Keycloak account EcoSteward does not manage"
                )
        if user is None:
            user_id = await self._create(spec)
        else:
            user_id = str(user["id"])
            await self._update(user_id, spec)
        await self._ensure_role(user_id, spec.role)
        return user_id

    async def _adoptable(self, user: dict[str, Any], spec: AccountSpec) -> bool:
        """An existing account is taken on only if it already has exactly the wanted role and scope."""
        roles = {r.get("name") for r in await self._admin.a_get_realm_roles_of_user(str(user["id"]))}
        scope = {
            name: list(values)
            for name, values in (user.get("attributes") or {}).items()
            if name in SCOPE_ATTRIBUTES
        }
        return roles & set(REALM_ROLES) == {spec.role} and scope == {
            k: [v] for k, v in spec.attributes.items()
        }

    async def username_available(self, spec: AccountSpec) -> bool:
        """Whether ``spec.username`` is free in Keycloak, or held by an account we could take on."""
        user = await self.find_user(spec.username)
        return user is None or await self._adoptable(user, spec)

    async def set_temporary_password(self, username: str, expected_id: str | None = None) -> str:
        """Set a fresh random temporary password (changed at first login) and return it.

        With ``expected_id`` only that very account is touched (a look-alike username is refused).
        """
        user = await self.find_user(username)
        if user is None or (expected_id is not None and str(user["id"]) != expected_id):
            raise LookupError(f"no Keycloak user {username!r}")
        password = generate_password()
        await self._admin.a_set_user_password(str(user["id"]), password, temporary=True)
        return password

    async def _create(self, spec: AccountSpec) -> str:
        payload: dict[str, Any] = {
            "username": spec.username,
            "enabled": spec.enabled,
            "attributes": {name: [value] for name, value in spec.attributes.items()},
            "requiredActions": [UPDATE_PASSWORD] if spec.require_password_change else [],
        }
        if spec.email:
            payload["email"] = spec.email
            payload["emailVerified"] = True
        if spec.first_name:
            payload["firstName"] = spec.first_name
        if spec.last_name:
            payload["lastName"] = spec.last_name
        try:
            return await self._admin.a_create_user(payload)
        except KeycloakError as exc:
            if exc.response_code != 409:
                raise
            # Created meanwhile (another sync run): converge on the existing user instead.
            user = await self.find_user(spec.username)
            if user is None:
                raise  # a conflict on something else, e.g. the email belongs to another user
            await self._update(str(user["id"]), spec)
            return str(user["id"])

    async def _update(self, user_id: str, spec: AccountSpec) -> None:
        current = await self._admin.a_get_user(user_id)
        attributes: dict[str, list[str]] = {
            name: list(values)
            for name, values in (current.get("attributes") or {}).items()
            if name not in SCOPE_ATTRIBUTES
        }
        attributes.update({name: [value] for name, value in spec.attributes.items()})
        wanted: dict[str, Any] = {"enabled": spec.enabled, "attributes": attributes}
        if spec.first_name:
            wanted["firstName"] = spec.first_name
        if spec.last_name:
            wanted["lastName"] = spec.last_name
        if spec.email and spec.email != current.get("email"):
            wanted["email"] = spec.email
            wanted["emailVerified"] = True
        existing_attributes = {k: list(v) for k, v in (current.get("attributes") or {}).items()}
        if all(
            (existing_attributes if key == "attributes" else current.get(key)) == value
            for key, value in wanted.items()
        ):
            return
        # PUT the whole representation back (a partial one may reset profile fields), but without
        # requiredActions so an action the user completed meanwhile is not brought back.
        payload = {key: value for key, value in current.items() if key != "requiredActions"}
        payload.update(wanted)
        await self._admin.a_update_user(user_id, payload)

    async def _ensure_role(self, user_id: str, role: str) -> None:
        assigned = await self._admin.a_get_realm_roles_of_user(user_id)
        stale = [r for r in assigned if r.get("name") in REALM_ROLES and r.get("name") != role]
        if stale:
            await self._admin.a_delete_realm_roles_of_user(user_id, stale)
        if any(r.get("name") == role for r in assigned):
            return
        available = await self._admin.a_get_available_realm_roles_of_user(user_id)
        matching = [r for r in available if r.get("name") == role]
        if not matching:
            raise LookupError(f"realm role {role!r} cannot be assigned to user {user_id}")
        await self._admin.a_assign_realm_roles(user_id, matching)


# ---------------------------------------------------------------------------------------- sync job


def backoff_seconds(attempts: int) -> int:
    """Delay before the next attempt after ``attempts`` consecutive failures: 2, 4, 8, ... 300 s."""
    return int(backoff_delay(attempts, first=1.0, cap=MAX_BACKOFF_SECONDS))


def _rowcount(result: sa.Result[Any]) -> int:
    return int(cast("sa.CursorResult[Any]", result).rowcount)


async def pending_count(factory: async_sessionmaker[AsyncSession], table: sa.Table) -> int:
    async with factory() as session:
        count = await session.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.status == PENDING)
        )
        return int(count.scalar_one())


async def _record_success(
    factory: async_sessionmaker[AsyncSession], table: sa.Table, row: sa.Row[Any], keycloak_id: str
) -> bool:
    async with factory() as session, session.begin():
        result = await session.execute(
            table.update()
            .where(table.c.username == row.username, table.c.updated_at == row.updated_at)
            .values(status=SYNCED, synced_at=utcnow(), keycloak_id=keycloak_id, attempts=0, last_error=None)
        )
        if _rowcount(result):
            return True
        # The desired state changed while it was applied: keep it PENDING for the next run.
        await session.execute(
            table.update().where(table.c.username == row.username).values(keycloak_id=keycloak_id)
        )
        return False


async def _record_failure(
    factory: async_sessionmaker[AsyncSession], table: sa.Table, row: sa.Row[Any], error: BaseException
) -> None:
    attempts = int(row.attempts) + 1
    message = f"{type(error).__name__}: {error}"[:2000]
    async with factory() as session, session.begin():
        result = await session.execute(
            table.update()
            .where(table.c.username == row.username, table.c.updated_at == row.updated_at)
            .values(
                attempts=table.c.attempts + 1,
                last_error=message,
                next_attempt_at=utcnow() + dt.timedelta(seconds=backoff_seconds(attempts)),
            )
        )
        if not _rowcount(result):
            # Changed meanwhile: count the failure but leave the new state due now.
            await session.execute(
                table.update()
                .where(table.c.username == row.username, table.c.status == PENDING)
                .values(attempts=table.c.attempts + 1, last_error=message)
            )


async def _record_conflict(
    factory: async_sessionmaker[AsyncSession], table: sa.Table, row: sa.Row[Any], error: AccountConflict
) -> None:
    """A conflict is not retried: an operator must resolve it (rename, or fix the Keycloak account)."""
    async with factory() as session, session.begin():
        await session.execute(
            table.update()
            .where(table.c.username == row.username, table.c.updated_at == row.updated_at)
            .values(status=CONFLICT, last_error=str(error)[:2000], attempts=table.c.attempts + 1)
        )


async def sync_pending(
    factory: async_sessionmaker[AsyncSession],
    table: sa.Table,
    provisioner: KeycloakProvisioner,
    limit: int = 50,
    service: str | None = None,
) -> int:
    """Apply due ``PENDING`` rows to Keycloak; returns how many became ``SYNCED``.

    A failure is recorded on its row (attempts, last_error, backoff) and the row stays ``PENDING``.
    When Keycloak is unreachable the rest of the batch is left for a later run (one wasted timeout per
    run, not one per row). Database errors propagate to the caller.
    """
    async with factory() as session:
        rows = (
            await session.execute(
                sa.select(table)
                .where(table.c.status == PENDING, table.c.next_attempt_at <= utcnow())
                .order_by(table.c.next_attempt_at, table.c.username)
                .limit(limit)
            )
        ).all()
    synced = 0
    try:
        for row in rows:
            try:
                # Inside the try: a row that no longer validates is recorded as failing, not fatal.
                keycloak_id = await provisioner.apply(_spec_from_row(row), row.keycloak_id)
            except AccountConflict as exc:
                await _record_conflict(factory, table, row, exc)
                log.error("keycloak account %s not applied: %s", row.username, exc)
                continue
            except Exception as exc:
                await _record_failure(factory, table, row, exc)
                log.warning(
                    "keycloak account %s not applied (attempt %s): %s", row.username, row.attempts + 1, exc
                )
                if isinstance(exc, KeycloakConnectionError):
                    break
                continue
            if await _record_success(factory, table, row, keycloak_id):
                synced += 1
    finally:
        if service is not None:
            with contextlib.suppress(Exception):
                KEYCLOAK_ACCOUNTS_PENDING.labels(service).set(await pending_count(factory, table))
    return synced


async def run_sync_loop(
    factory: async_sessionmaker[AsyncSession],
    table: sa.Table,
    provisioner: KeycloakProvisioner,
    service: str,
    interval_seconds: float = 5.0,
    limit: int = 50,
) -> None:
    """Run :func:`sync_pending` forever (start it as a background task; cancel it to stop)."""
    while True:
        try:
            while await sync_pending(factory, table, provisioner, limit=limit, service=service) == limit:
                pass
        except asyncio.CancelledError:
            raise
        except Exception:  # e.g. the database briefly unavailable: the next round retries
            log.exception("keycloak account sync failed")
        await asyncio.sleep(interval_seconds)


# ---------------------------------------------------------------------------------- in a service

_process_provisioner: KeycloakProvisioner | None = None


def process_provisioner() -> KeycloakProvisioner:
    """The provisioner of this process (python-keycloak's client belongs to one event loop)."""
    global _process_provisioner
    if _process_provisioner is None:
        _process_provisioner = KeycloakProvisioner.from_env()
    return _process_provisioner


def account_sync_job(table: sa.Table, interval_seconds: float) -> PeriodicJob:
    """A periodic job pushing a service's pending account states to Keycloak."""

    async def sync(runtime: ServiceRuntime) -> None:
        await sync_pending(runtime.sessions, table, process_provisioner(), service=runtime.settings.service)

    return PeriodicJob("keycloak-accounts", interval_seconds, sync)
