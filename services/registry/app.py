"""Registry service wiring: ``uvicorn --factory services.registry.app:app``."""

from __future__ import annotations

from ecosteward.accounts import account_sync_job
from ecosteward.app import service_app
from ecosteward.config import RegistrySettings
from ecosteward.runtime import PeriodicJob, ServiceDefinition, migrations_dir
from services.registry import copies, demo
from services.registry.accounts import events as accounts_events
from services.registry.accounts.models import ACCOUNTS
from services.registry.base import TABLES
from services.registry.calendar.jobs import seed_working_day_calendar
from services.registry.contracts.jobs import announce_overdue_filings
from services.registry.models import Base
from services.registry.permits.jobs import announce_expired_permits
from services.registry.schema import schema

settings = RegistrySettings()
"""Job intervals: ``ECOSTEWARD_REGISTRY_<NAME>_SECONDS`` (``ecosteward.config.RegistrySettings``)."""

definition = ServiceDefinition(
    name="registry",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=[*accounts_events.SUBSCRIPTIONS, *copies.SUBSCRIPTIONS],
    startup=[seed_working_day_calendar],
    periodic_jobs=[
        account_sync_job(ACCOUNTS, settings.accounts_sync_seconds),
        PeriodicJob("overdue-filings", settings.overdue_check_seconds, announce_overdue_filings),
        PeriodicJob("expired-permits", settings.permit_expiry_check_seconds, announce_expired_permits),
    ],
    demo_loader=demo.load,
)
app = service_app(definition)
