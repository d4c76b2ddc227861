"""Appraisal service wiring: ``uvicorn --factory services.appraisal.app:app``.

Every area's subscriptions, jobs and routes are listed here explicitly (no discovery).
"""

from __future__ import annotations

from ecosteward.app import service_app
from ecosteward.runtime import ServiceDefinition, migrations_dir
from services.appraisal import copies, demo
from services.appraisal.models import TABLES, Base
from services.appraisal.schema import schema

definition = ServiceDefinition(
    name="appraisal",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=[*copies.SUBSCRIPTIONS],
    periodic_jobs=[],
    demo_loader=demo.load,
)
app = service_app(definition)
