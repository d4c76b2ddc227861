"""Alembic environment shared by every service; the service comes from the config."""

from __future__ import annotations

import importlib

from alembic import context

from ecosteward.migrations import run_env

service = context.config.get_main_option("ecosteward.service")
assert service, "ecosteward.service is not configured"
models = importlib.import_module(f"services.{service}.models")
run_env(models.Base.metadata)
