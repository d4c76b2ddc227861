"""Archive service wiring: ``uvicorn --factory services.archive.app:app``."""

from __future__ import annotations

import os
from itertools import chain

from ecosteward.accounts import account_sync_job
from ecosteward.app import ServiceDefinition, migrations_dir, service_app
from services.archive import demo
from services.archive.areas import contributions
from services.archive.events import SUBSCRIPTIONS
from services.archive.models import ACCOUNTS, TABLES, Base
from services.archive.schema import schema

definition = ServiceDefinition(
    name="archive",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=[*SUBSCRIPTIONS, *chain.from_iterable(contributions("events", "SUBSCRIPTIONS"))],
    periodic_jobs=[
        account_sync_job(ACCOUNTS, float(os.environ.get("ECOSTEWARD_ARCHIVE_ACCOUNTS_SYNC_SECONDS", "5"))),
        *chain.from_iterable(contributions("jobs", "JOBS")),
    ],
    extra_routes=list(chain.from_iterable(contributions("routes", "ROUTES"))),
    demo_loader=demo.load,
)
app = service_app(definition)
