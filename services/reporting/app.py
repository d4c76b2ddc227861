"""Reporting service wiring: ``uvicorn --factory services.reporting.app:app``.

Every area's subscriptions, jobs and routes are listed here explicitly (no discovery).
"""

from __future__ import annotations

from ecosteward.app import service_app
from ecosteward.runtime import consuming_service
from services.reporting import copies, demo
from services.reporting.models import TABLES, Base
from services.reporting.schema import schema

definition = consuming_service(
    "reporting", __file__, Base.metadata, TABLES, schema, copies.SUBSCRIPTIONS, demo.load
)
app = service_app(definition)
