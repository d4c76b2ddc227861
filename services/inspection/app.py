"""Inspection service wiring: ``uvicorn --factory services.inspection.app:app``.

Every area's subscriptions, jobs and routes are listed here explicitly (no discovery).
"""

from __future__ import annotations

from ecosteward.app import service_app
from ecosteward.runtime import ServiceDefinition, migrations_dir
from services.inspection import copies, demo
from services.inspection.models import TABLES, Base
from services.inspection.schema import schema

definition = ServiceDefinition(
    name="inspection",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=[*copies.SUBSCRIPTIONS],
    periodic_jobs=[],
    demo_loader=demo.load,
)
app = service_app(definition)
