"""Reporting service wiring: ``uvicorn --factory services.reporting.app:app``."""

from __future__ import annotations

from ecosteward.app import ServiceDefinition, migrations_dir, service_app
from services.reporting import demo
from services.reporting.events import SUBSCRIPTIONS
from services.reporting.models import TABLES, Base
from services.reporting.schema import schema

definition = ServiceDefinition(
    name="reporting",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=SUBSCRIPTIONS,
    demo_loader=demo.load,
)
app = service_app(definition)
