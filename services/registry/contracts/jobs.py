"""Periodic jobs of the contracts area."""

from __future__ import annotations

from prometheus_client import Gauge

from ecosteward.clock import china_today
from ecosteward.runtime import ServiceRuntime
from services.registry.contracts import service

OVERDUE_FILINGS = Gauge("ecosteward_registry_overdue_filings", "Signed contracts whose filing is overdue.")


async def announce_overdue_filings(runtime: ServiceRuntime) -> None:
    """Emit ``filing.overdue`` once per filing whose due date passed without a filing."""
    async with runtime.unit_of_work() as uow:
        OVERDUE_FILINGS.set(await service.announce_overdue_filings(uow, china_today()))
