"""Registry service wiring: ``uvicorn --factory services.registry.app:app``."""

from __future__ import annotations

import os

from ecosteward.accounts import account_sync_job
from ecosteward.app import PeriodicJob, ServiceDefinition, ServiceRuntime, migrations_dir, service_app
from ecosteward.workdays import seed_calendar
from services.registry import demo
from services.registry.events import SUBSCRIPTIONS
from services.registry.models import ACCOUNTS, CALENDAR, TABLES, Base
from services.registry.schema import schema
from services.registry.service import announce_expired_permits, announce_overdue_filings


def _seconds(name: str, default: float) -> float:
    """Interval of a periodic job, overridable by ``ECOSTEWARD_REGISTRY_<NAME>_SECONDS``."""
    return float(os.environ.get(f"ECOSTEWARD_REGISTRY_{name}_SECONDS", default))


async def seed_working_day_calendar(runtime: ServiceRuntime) -> None:
    """Seed the calendar table from chinese-calendar (years it knows; never overwrites bureau edits)."""
    async with runtime.sessions() as session, session.begin():
        await seed_calendar(session, CALENDAR)


definition = ServiceDefinition(
    name="registry",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=SUBSCRIPTIONS,
    startup=[seed_working_day_calendar],
    periodic_jobs=[
        account_sync_job(ACCOUNTS, _seconds("ACCOUNTS_SYNC", 5.0)),
        PeriodicJob("overdue-filings", _seconds("OVERDUE_CHECK", 60.0), announce_overdue_filings),
        PeriodicJob("expired-permits", _seconds("PERMIT_EXPIRY_CHECK", 300.0), announce_expired_permits),
    ],
    demo_loader=demo.load,
)
app = service_app(definition)
