"""Inspection service wiring: ``uvicorn --factory services.inspection.app:app``."""

from __future__ import annotations

from ecosteward.app import ServiceDefinition, ServiceRuntime, create_app, migrations_dir
from ecosteward.demo import demo_enabled
from services.inspection import demo
from services.inspection.events import SUBSCRIPTIONS
from services.inspection.models import TABLES, Base
from services.inspection.schema import schema


async def _on_started(runtime: ServiceRuntime) -> None:
    if demo_enabled():
        await demo.load(runtime)


definition = ServiceDefinition(
    name="inspection",
    metadata=Base.metadata,
    tables=TABLES,
    migrations_dir=migrations_dir(__file__),
    schema=schema,
    subscriptions=SUBSCRIPTIONS,
    on_started=_on_started,
)


def app():  # type: ignore[no-untyped-def]
    """ASGI factory (``uvicorn --factory``) so importing the module opens nothing."""
    return create_app(definition)
