"""Registry service wiring: ``uvicorn --factory services.registry.app:app``."""

from __future__ import annotations

from ecosteward.accounts import account_sync_job
from ecosteward.app import service_app
from ecosteward.config import RegistrySettings
from ecosteward.runtime import PeriodicJob, consuming_service
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

definition = consuming_service(
    "registry",
    __file__,
    Base.metadata,
    TABLES,
    schema,
    [*accounts_events.SUBSCRIPTIONS, *copies.SUBSCRIPTIONS],
    demo.load,
    startup=[seed_working_day_calendar],
    periodic_jobs=[
        account_sync_job(ACCOUNTS, settings.accounts_sync_seconds),
        PeriodicJob("overdue-filings", settings.overdue_check_seconds, announce_overdue_filings),
        PeriodicJob("expired-permits", settings.permit_expiry_check_seconds, announce_expired_permits),
    ],
)
app = service_app(definition)
