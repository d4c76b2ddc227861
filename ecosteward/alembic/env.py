"""Alembic environment shared by every service; the service comes from the config."""

from __future__ import annotations

import importlib

from alembic import context

from ecosteward.migrations import run_env
from ecosteward.revocation import revocation_table

service = context.config.get_main_option("ecosteward.service")
assert service, "ecosteward.service is not configured"
models = importlib.import_module(f"services.{service}.models")
# The revocation table is a platform table every service has; declare it so autogenerate keeps it.
revocation_table(models.Base.metadata)
run_env(models.Base.metadata)
