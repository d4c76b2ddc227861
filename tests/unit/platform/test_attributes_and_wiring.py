"""The small shared homes of repeated code: dataclasses from attributes, subscriptions to an event
family, the common demo loader and the service definition."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar, cast

import pytest
import sqlalchemy as sa

from ecosteward.attributes import from_attributes
from ecosteward.consumer import Subscription
from ecosteward.demo import demo_id
from ecosteward.demo_support import demo_loader
from ecosteward.errors import Conflict, check_transition
from ecosteward.event_payloads import OMITTED, PublishedPayload
from ecosteward.runtime import consuming_service
from tests.contracts.snapshot import unregistered


@dataclass(frozen=True)
class Value:
    id: int
    name: str
    note: str = "none"
    tags: list[str] = field(default_factory=list)


ROW = SimpleNamespace(id=7, name="甲", note="row note", tags=["a"], other=1)


def test_every_field_is_read_from_the_source_unless_given() -> None:
    assert from_attributes(Value, ROW) == Value(7, "甲", "row note", ["a"])
    assert from_attributes(Value, ROW, name="乙") == Value(7, "乙", "row note", ["a"])


def test_named_fields_only_are_read_and_the_others_keep_their_defaults() -> None:
    assert from_attributes(Value, ROW, "id", "name") == Value(7, "甲")
    assert from_attributes(Value, ROW, "id", name="乙", tags=["b"]) == Value(7, "乙", tags=["b"])


def test_a_field_neither_read_nor_given_without_default_fails() -> None:
    with pytest.raises(TypeError):
        from_attributes(Value, ROW, "id")
    with pytest.raises(AttributeError):
        from_attributes(Value, SimpleNamespace(id=1))
    with pytest.raises(TypeError):
        from_attributes(Value, ROW, colour="red")


with unregistered():  # an example payload, kept out of the contract registry

    @dataclass(frozen=True)
    class ThingChanged(PublishedPayload):
        EVENT: ClassVar[str] = "sample.sourced"
        VERBS: ClassVar[tuple[str, ...]] = ("made",)

        id: int
        source: str = OMITTED
        reason: str = OMITTED


def test_a_payload_may_carry_a_field_named_source() -> None:
    payload = ThingChanged.from_attributes(ROW, "id", source="import")
    assert payload.to_data() == {"id": 7, "source": "import"}


def test_a_subscription_to_a_family_names_its_stream_and_subjects() -> None:
    async def handler(uow: Any, event: Any) -> None:
        return None

    sub = Subscription.to_family("contracts", "registry.contract", handler)
    assert sub == Subscription("contracts", "registry", "ecosteward.registry.contract.*", handler)
    assert sub.stream == Subscription("x", "registry", "ecosteward.registry.>", handler).stream


def test_a_service_definition_keeps_every_part() -> None:
    async def step(runtime: Any) -> None:
        return None

    tables, schema = cast(Any, object()), cast(Any, object())
    definition = consuming_service(
        "svc", "/srv/svc/app.py", sa.MetaData(), tables, schema, [], step, startup=[step]
    )
    assert definition.migrations_dir == Path("/srv/svc/migrations").resolve()
    assert (definition.demo_loader, list(definition.startup)) == (step, [step])
    assert (list(definition.periodic_jobs), list(definition.extra_routes)) == ([], [])


class FakeRuntime:
    """Sessions that count a table's rows from ``rows``; units of work that record the fills."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.filled: list[object] = []
        self.after: list[str] = []

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Any]:
        async def scalar(_statement: object) -> int:
            return self.rows

        yield SimpleNamespace(session=SimpleNamespace(scalar=scalar))


def _loader(found: object) -> Any:
    calls: list[int] = []

    async def find(_runtime: object) -> object:
        calls.append(1)
        return found if len(calls) > 1 else None  # known on the second look

    async def fill(_uow: object, entity: object) -> None:
        runtime.filled.append(entity)

    async def then(rt: Any) -> None:
        rt.after.append("then")

    runtime = FakeRuntime(0)
    table = cast(Any, sa.table("things"))
    return runtime, demo_loader(find, table, fill, "nothing announced", then=then)


async def test_the_demo_loader_waits_fills_once_and_runs_what_follows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("ecosteward.demo_support.has_rows", _has_rows)
    entity = uuid.uuid4()
    runtime, load = _loader(entity)
    await asyncio.wait_for(load(runtime, wait_seconds=5), 10)
    assert (runtime.filled, runtime.after) == ([entity], ["then"])
    runtime.rows = 1  # already loaded: nothing more
    await load(runtime, wait_seconds=5)
    assert (runtime.filled, runtime.after) == ([entity], ["then"])


async def test_the_demo_loader_gives_up_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("ecosteward.demo_support.has_rows", _has_rows)
    runtime, load = _loader(None)
    await load(runtime, wait_seconds=0)
    assert (runtime.filled, runtime.after) == ([], [])
    assert "nothing announced" in caplog.text


async def _has_rows(session: Any, _table: object) -> bool:
    return bool(await session.scalar(None))


class Light(StrEnum):
    RED = "RED"
    GREEN = "GREEN"


def test_a_transition_outside_the_state_machine_is_a_coded_conflict() -> None:
    transitions = {Light.RED: frozenset({Light.GREEN}), Light.GREEN: frozenset[Light]()}
    check_transition(transitions, Light.RED, Light.GREEN, "A light")
    with pytest.raises(Conflict) as refused:
        check_transition(transitions, Light.GREEN, Light.RED, "A light", "灯状态")
    assert refused.value.message == "A light cannot go from GREEN to RED (灯状态不允许)."
    assert refused.value.extensions == {"code": "INVALID_TRANSITION", "current": "GREEN"}


def test_demo_ids_are_the_uuid5_of_their_colon_joined_parts() -> None:
    contract = uuid.UUID(int=9)
    assert demo_id("contract", "late") == uuid.uuid5(uuid.NAMESPACE_URL, "ecosteward:contract:late")
    assert demo_id("demo", "appraisal", contract, "2026-Q1") == uuid.uuid5(
        uuid.NAMESPACE_URL, f"ecosteward:demo:appraisal:{contract}:2026-Q1"
    )
