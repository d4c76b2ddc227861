"""Registry service wiring: ``uvicorn services.registry.app:app``."""

from __future__ import annotations

from ecosteward.app import ServiceDefinition, ServiceRuntime, create_app, migrations_dir
from ecosteward.demo import demo_enabled
from services.registry import demo
from services.registry.events import SUBSCRIPTIONS
from services.registry.models import TABLES, Base
from services.registry.schema import schema


async def _on_started(runtime: ServiceRuntime) -> None:
    if demo_enabled():
        await demo.load(runtime)


definition = ServiceDefinition(
    name="registry",
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
