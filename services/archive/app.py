"""Archive service wiring: ``uvicorn --factory services.archive.app:app``."""

from __future__ import annotations

from ecosteward.accounts import account_sync_job
from ecosteward.app import service_app
from ecosteward.config import ArchiveSettings
from ecosteward.runtime import consuming_service
from services.archive import copies, demo
from services.archive import models as _models  # noqa: F401  (every area's tables on Base.metadata)
from services.archive.base import ACCOUNTS, TABLES, Base
from services.archive.classification import jobs as classification_jobs
from services.archive.documents import routes as documents_routes
from services.archive.downloads import routes as downloads_routes
from services.archive.enterprises import events as enterprises_events
from services.archive.schema import schema

definition = consuming_service(
    "archive",
    __file__,
    Base.metadata,
    TABLES,
    schema,
    [*copies.SUBSCRIPTIONS, *enterprises_events.SUBSCRIPTIONS],
    demo.load,
    periodic_jobs=[
        account_sync_job(ACCOUNTS, ArchiveSettings().accounts_sync_seconds),
        *classification_jobs.JOBS,
    ],
    extra_routes=[*documents_routes.ROUTES, *downloads_routes.ROUTES],
)
app = service_app(definition)
