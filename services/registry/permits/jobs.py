"""Periodic jobs of the permits area."""

from __future__ import annotations

from ecosteward.clock import china_today
from ecosteward.runtime import ServiceRuntime
from services.registry.permits import service


async def announce_expired_permits(runtime: ServiceRuntime) -> None:
    """Emit ``permit.expired`` once per permit whose last valid day has passed."""
    async with runtime.unit_of_work() as uow:
        await service.announce_expired_permits(uow, china_today())
