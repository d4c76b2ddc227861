"""Appraisal service wiring: ``uvicorn --factory services.appraisal.app:app``."""

from __future__ import annotations

from ecosteward.app import ServiceDefinition, migrations_dir, service_app
from services.appraisal import demo
from services.appraisal.events import SUBSCRIPTIONS
from services.appraisal.models import TABLES, Base
from services.appraisal.schema import schema

definition = ServiceDefinition(
    name="appraisal",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=SUBSCRIPTIONS,
    demo_loader=demo.load,
)
app = service_app(definition)
