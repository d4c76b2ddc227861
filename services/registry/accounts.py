"""Keycloak accounts of agency admins and staff: one provisioner per process, a periodic sync."""

from __future__ import annotations

from ecosteward.accounts import KeycloakProvisioner, sync_pending
from ecosteward.app import ServiceRuntime
from ecosteward.errors import NotFound
from services.registry.models import ACCOUNTS

_provisioner: KeycloakProvisioner | None = None


def provisioner() -> KeycloakProvisioner:
    # python-keycloak's HTTP client belongs to the event loop that first uses it: one per process.
    global _provisioner
    if _provisioner is None:
        _provisioner = KeycloakProvisioner.from_env()
    return _provisioner


async def sync_accounts(runtime: ServiceRuntime) -> None:
    """Push pending account states to Keycloak; failures stay pending with backoff (never dropped)."""
    await sync_pending(runtime.sessions, ACCOUNTS, provisioner(), service=runtime.settings.service)


async def reset_password(username: str) -> str:
    try:
        return await provisioner().set_temporary_password(username.strip().lower())
    except LookupError as exc:
        raise NotFound(f"No account {username!r} exists yet (账号不存在).", field="username") from exc
