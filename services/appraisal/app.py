"""Appraisal service wiring: ``uvicorn --factory services.appraisal.app:app``.

Every area's subscriptions, jobs and routes are listed here explicitly (no discovery).
"""

from __future__ import annotations

from ecosteward.app import service_app
from ecosteward.runtime import consuming_service
from services.appraisal import copies, demo
from services.appraisal.models import TABLES, Base
from services.appraisal.schema import schema

definition = consuming_service(
    "appraisal", __file__, Base.metadata, TABLES, schema, copies.SUBSCRIPTIONS, demo.load
)
app = service_app(definition)
