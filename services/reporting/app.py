"""Reporting service wiring: ``uvicorn --factory services.reporting.app:app``.

Every area's subscriptions, jobs and routes are listed here explicitly (no discovery).
"""

from __future__ import annotations

from ecosteward.app import service_app
from ecosteward.runtime import ServiceDefinition, migrations_dir
from services.reporting import copies, demo
from services.reporting.models import TABLES, Base
from services.reporting.schema import schema

definition = ServiceDefinition(
    name="reporting",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=[*copies.SUBSCRIPTIONS],
    periodic_jobs=[],
    demo_loader=demo.load,
)
app = service_app(definition)
