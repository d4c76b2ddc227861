"""Inspection service wiring: ``uvicorn --factory services.inspection.app:app``."""

from __future__ import annotations

from ecosteward.app import ServiceDefinition, migrations_dir, service_app
from services.inspection import demo
from services.inspection.events import SUBSCRIPTIONS
from services.inspection.models import TABLES, Base
from services.inspection.schema import schema

definition = ServiceDefinition(
    name="inspection",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=SUBSCRIPTIONS,
    demo_loader=demo.load,
)
app = service_app(definition)
