"""Reporting service wiring: ``uvicorn --factory services.reporting.app:app``."""

from __future__ import annotations

from ecosteward.app import ServiceDefinition, ServiceRuntime, create_app, migrations_dir
from ecosteward.demo import demo_enabled
from services.reporting import demo
from services.reporting.events import SUBSCRIPTIONS
from services.reporting.models import TABLES, Base
from services.reporting.schema import schema


async def _on_started(runtime: ServiceRuntime) -> None:
    if demo_enabled():
        await demo.load(runtime)


definition = ServiceDefinition(
    name="reporting",
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
