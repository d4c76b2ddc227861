"""Inspection service wiring: ``uvicorn --factory services.inspection.app:app``.

Every area's subscriptions, jobs and routes are listed here explicitly (no discovery).
"""

from __future__ import annotations

from ecosteward.app import service_app
from ecosteward.runtime import consuming_service
from services.inspection import copies, demo
from services.inspection.models import TABLES, Base
from services.inspection.schema import schema

definition = consuming_service(
    "inspection", __file__, Base.metadata, TABLES, schema, copies.SUBSCRIPTIONS, demo.load
)
app = service_app(definition)
