"""What runs on every request: no per-field work from schema extensions, no collector walking the
long-lived heap."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator

import pytest
from strawberry.permission import PermissionExtension

from ecosteward import SERVICES
from ecosteward.app import GC_THRESHOLDS, settle_heap


@pytest.mark.parametrize("service", SERVICES)
def test_no_schema_extension_runs_per_field(service: str) -> None:
    """A schema extension's ``resolve`` hook (or a custom directive, which adds one) runs for every
    field of every response; the subgraphs have none."""
    schema = importlib.import_module(f"services.{service}.schema").schema
    per_field = [type(ext).__name__ for ext in schema.get_extensions() if ext._implements_resolve()]
    assert per_field == []


@pytest.mark.parametrize("service", SERVICES)
def test_field_extensions_are_role_checks_on_the_fields_that_need_them(service: str) -> None:
    """Plain fields (no resolver, no role) take strawberry's fast path; the only field extension is
    ``roles()``, on the fields that carry it."""
    schema = importlib.import_module(f"services.{service}.schema").schema
    plain = 0
    for type_ in schema.schema_converter.type_map.values():
        for field in getattr(type_.definition, "fields", None) or []:
            assert all(isinstance(ext, PermissionExtension) for ext in field.extensions), field.name
            if field.base_resolver is None and not field.extensions:
                assert field.is_basic_field, field.name
                plain += 1
    assert plain > 0


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settling_the_heap_keeps_the_collector_off_long_lived_objects(restore_gc: None) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    settle_heap()
    assert gc.get_freeze_count() > 10_000  # modules, schemas, mappers: out of every collection's walk
    assert gc.get_threshold() == GC_THRESHOLDS
