"""Keycloak accounts of agency admins and staff: one provisioner per process, a periodic sync."""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa

from ecosteward.accounts import SYNCED, AccountSpec, process_provisioner
from ecosteward.app import ServiceRuntime
from ecosteward.errors import Conflict, NotFound
from services.registry.models import ACCOUNTS

log = logging.getLogger(__name__)
provisioner = process_provisioner


async def reset_password(runtime: ServiceRuntime, username: str) -> str:
    """Only accounts the registry provisioned (agency admins and staff) can be reset here."""
    name = username.strip().lower()
    async with runtime.sessions() as session:
        row = (await session.execute(sa.select(ACCOUNTS).where(ACCOUNTS.c.username == name))).first()
    if row is None or row.keycloak_id is None or row.status != SYNCED:
        raise NotFound(f"No agency account {username!r} exists (账号不存在).", field="username")
    try:
        return await provisioner().set_temporary_password(name, expected_id=row.keycloak_id)
    except LookupError as exc:
        raise NotFound(f"No agency account {username!r} exists (账号不存在).", field="username") from exc


async def check_username(spec: AccountSpec) -> None:
    """Refuse a username already held in Keycloak by an account we must not take over.

    Best effort: when Keycloak is unreachable the request goes on, and the sync job marks a clash as
    CONFLICT instead of touching the other account.
    """
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
