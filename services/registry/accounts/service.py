"""The registry's side of Keycloak provisioning: which accounts agency admins and staff should have.

Desired states go to the ``ACCOUNTS`` table in the same transaction as the change; the periodic
sync job pushes them to Keycloak. One provisioner per process.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.accounts import SYNCED, AccountSpec, process_provisioner, request_account, request_disable
from ecosteward.errors import Conflict, NotFound
from ecosteward.identity import Role
from services.registry.accounts.models import ACCOUNTS
from services.registry.agencies.domain import AgencyStatus
from services.registry.agencies.models import AgencyRow
from services.registry.staff.models import StaffRow

log = logging.getLogger(__name__)
provisioner = process_provisioner


async def check_username_free(session: AsyncSession, username: str, field: str) -> None:
    """No agency admin or staff member of the registry holds ``username`` yet."""
    taken = await session.scalar(sa.select(AgencyRow.id).where(AgencyRow.admin_username == username))
    taken = taken or await session.scalar(sa.select(StaffRow.id).where(StaffRow.username == username))
    if taken is not None:
        raise Conflict(f"The username {username} is already in use (用户名已被占用).", field=field)


async def check_username_in_keycloak(username: str, role: Role, agency_id: uuid.UUID) -> None:
    """Refuse a username already held in Keycloak by an account we must not take over.

    Best effort: when Keycloak is unreachable the request goes on, and the sync job marks a clash as
    CONFLICT instead of touching the other account. A malformed username passes here: the use case
    reports it with the other input problems.
    """
    try:
        spec = AccountSpec(
            username=username.strip().lower(), role=role.value, attributes={"agency_id": str(agency_id)}
        )
    except ValueError:
        return
    try:
        available = await asyncio.wait_for(provisioner().username_available(spec), 5)
    except Exception as exc:
        log.warning("could not check username %s in Keycloak: %s", spec.username, exc)
        return
    if not available:
        raise Conflict(
            f"The username {spec.username} is already used by another account (用户名已被占用).",
            code="USERNAME_TAKEN",
            field="username",
        )


async def reset_password(sessions: async_sessionmaker[AsyncSession], username: str) -> str:
    """Only accounts the registry provisioned (agency admins and staff) can be reset here."""
    name = username.strip().lower()
    async with sessions() as session:
        row = (await session.execute(sa.select(ACCOUNTS).where(ACCOUNTS.c.username == name))).first()
    if row is None or row.keycloak_id is None or row.status != SYNCED:
        raise NotFound(f"No agency account {username!r} exists (账号不存在).", field="username")
    try:
        return await provisioner().set_temporary_password(name, expected_id=row.keycloak_id)
    except LookupError as exc:
        raise NotFound(f"No agency account {username!r} exists (账号不存在).", field="username") from exc


async def agency_accounts(session: AsyncSession, agency_id: uuid.UUID, enabled: bool) -> None:
    """An agency admitted (``enabled``) or suspended/removed: its admin's and current staff's accounts."""
    agency = await session.get(AgencyRow, agency_id)
    if agency is None:
        return
    staff = (
        await session.scalars(
            sa.select(StaffRow).where(StaffRow.agency_id == agency.id, StaffRow.left_on.is_(None))
        )
    ).all()
    if enabled:
        await request_account(session, ACCOUNTS, admin_spec(agency))
        for member in staff:
            await request_account(session, ACCOUNTS, staff_spec(member))
    else:
        await request_disable(session, ACCOUNTS, agency.admin_username)
        for member in staff:
            await request_disable(session, ACCOUNTS, member.username)


async def staff_account(session: AsyncSession, staff_id: uuid.UUID) -> None:
    """A staff file changed: an account while employed by an admitted agency, disabled once left."""
    person = await session.get(StaffRow, staff_id)
    if person is None:
        return
    employer = await session.get(AgencyRow, person.agency_id)
    if person.left_on is not None:
        await request_disable(session, ACCOUNTS, person.username)
    elif employer is not None and employer.status == AgencyStatus.ADMITTED.value:
        await request_account(session, ACCOUNTS, staff_spec(person))


def admin_spec(agency: AgencyRow) -> AccountSpec:
    # Keycloak's user profile wants e-mail, first and last name, or the first login stalls.
    return AccountSpec(
        username=agency.admin_username,
        role=Role.AGENCY_ADMIN.value,
        attributes={"agency_id": str(agency.id)},
        email=agency.admin_email,
        first_name=agency.contact_name or "管理员",
        last_name=agency.name[:100],
    )


def split_name(name: str) -> tuple[str, str]:
    """(given name, family name) of a Chinese full name: the family name is its first character."""
    name = name.strip()
    return (name[1:] or name, name[:1]) if len(name) > 1 else (name, name)


def staff_spec(member: StaffRow) -> AccountSpec:
    given, family = split_name(member.name)
    return AccountSpec(
        username=member.username,
        role=Role.AGENCY_STAFF.value,
        attributes={"agency_id": str(member.agency_id)},
        email=member.email,
        first_name=given,
        last_name=family,
    )
