"""Registry service wiring: ``uvicorn --factory services.registry.app:app``."""

from __future__ import annotations

from ecosteward.app import ServiceDefinition, migrations_dir, service_app
from services.registry import demo
from services.registry.events import SUBSCRIPTIONS
from services.registry.models import TABLES, Base
from services.registry.schema import schema

definition = ServiceDefinition(
    name="registry",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=SUBSCRIPTIONS,
    demo_loader=demo.load,
)
app = service_app(definition)
