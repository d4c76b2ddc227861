"""Event contracts (issue 8 item 5): every consumer's view is met by its producer's payload, and a
published payload changes only additively under one ``SCHEMA_VERSION`` (``event_schemas.json``).

The checks are shown on example payloads first (each rule fails when broken), then run on the
services' real payloads. ``make event-schemas`` records new fields and versions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

import pytest

from ecosteward import event_payloads
from ecosteward.config import REPO_ROOT
from ecosteward.event_payloads import OMITTED, ConsumedPayload, PublishedPayload
from tests.contracts.snapshot import (
    Schemas,
    additivity_problems,
    contract_problems,
    current_schemas,
    import_service_events,
    load,
    merged,
    schema_of,
    stale_entries,
    unregistered,
)

# ------------------------------------------------------------------------------------------ examples


class Standing(StrEnum):
    GOOD = "GOOD"
    BAD = "BAD"


with unregistered():

    @dataclass(frozen=True)
    class SampleChanged(PublishedPayload):
        EVENT: ClassVar[str] = "sample.thing"
        VERBS: ClassVar[tuple[str, ...]] = ("created", "closed")
        SCHEMA_VERSION: ClassVar[int] = 1

        id: uuid.UUID
        price: Decimal
        signed_on: dt.date
        standing: Standing
        tags: list[str]
        closed_at: dt.datetime | None = None
        reason: str = OMITTED

    @dataclass(frozen=True)
    class ThingSeen(ConsumedPayload):
        EVENT: ClassVar[str] = "sample.thing"

        id: uuid.UUID
        signed_on: dt.date | None  # optional where the producer always sends it: fine
        standing: str  # an enum is its value on the wire
        reason: str | None = None

    @dataclass(frozen=True)
    class TextReader(ConsumedPayload):
        """Reads ids, amounts and dates as the text they are on the wire (and parses them itself)."""

        EVENT: ClassVar[str] = "sample.thing"

        id: str
        price: str | None
        signed_on: str
        closed_at: str | None = None


EXAMPLES: dict[str, type[PublishedPayload]] = {"sample.thing": SampleChanged}


def _variant(*, version: int = 1, drop: str = "", **extra: object) -> dict[str, type[PublishedPayload]]:
    """``sample.thing`` at ``version``: SampleChanged without the fields in ``drop``, plus ``extra``.

    ``extra`` maps a field name to its type, or to ``(type, default)``.
    """
    required: list[tuple[str, object]] = []
    defaulted: list[tuple[str, object, object]] = []
    hints = SampleChanged.field_types()
    for f in dataclasses.fields(SampleChanged):
        if f.name not in drop.split():
            if f.default is dataclasses.MISSING:
                required.append((f.name, hints[f.name]))
            else:
                defaulted.append((f.name, hints[f.name], f.default))
    for name, spec in extra.items():
        if isinstance(spec, tuple):
            defaulted.append((name, spec[0], spec[1]))
        else:
            required.append((name, spec))
    namespace = {"EVENT": "sample.thing", "VERBS": ("created",), "SCHEMA_VERSION": version}
    with unregistered():
        payload = dataclasses.make_dataclass(
            "SampleChanged",
            [*required, *defaulted],
            bases=(PublishedPayload,),
            namespace=namespace,
            frozen=True,
        )
    return {"sample.thing": payload}


def _reader(name: str, event: str = "sample.thing", **fields: object) -> type[ConsumedPayload]:
    """A consumer of ``event`` called ``name`` that reads ``fields`` (a type, or ``(type, default)``)."""
    specs = [(field, *spec) if isinstance(spec, tuple) else (field, spec) for field, spec in fields.items()]
    with unregistered():
        return dataclasses.make_dataclass(
            name, specs, bases=(ConsumedPayload,), namespace={"EVENT": event}, frozen=True
        )


RECORDED: Schemas = current_schemas(EXAMPLES)


def test_the_example_snapshot_records_wire_types() -> None:
    assert RECORDED == {
        "sample.thing": {
            "1": {
                "id": "UUID",
                "price": "Decimal",
                "signed_on": "date",
                "standing": "str",
                "tags": "list[str]",
                "closed_at": "datetime | None",
                "reason": "str | omitted",
            }
        }
    }


def test_a_consumer_that_reads_what_is_sent_passes() -> None:
    assert contract_problems([ThingSeen], EXAMPLES) == []


def test_a_consumer_may_read_text_on_the_wire_as_text() -> None:
    assert contract_problems([TextReader], EXAMPLES) == []


@pytest.mark.parametrize(
    ("consumer", "complaint"),
    [
        (_reader("WrongType", price=int), "reads int, SampleChanged sends Decimal"),
        (_reader("ListAsText", tags=str), "reads str, SampleChanged sends list[str]"),
        (
            _reader("RequiresOptional", closed_at=dt.datetime),
            "reads datetime, SampleChanged sends datetime | None",
        ),
        (
            _reader("RequiresOmitted", reason=str),
            "some sample.thing events leave it out; give it a default",
        ),
        (_reader("ReadsMissing", colour=(str | None, None)), "has no such field"),
        (
            _reader("ReadsUnpublished", "sample.nothing", id=uuid.UUID),
            "reads sample.nothing, which no service publishes",
        ),
    ],
)
def test_a_consumer_expecting_more_than_is_sent_is_reported(
    consumer: type[ConsumedPayload], complaint: str
) -> None:
    (problem,) = contract_problems([consumer], EXAMPLES)
    assert complaint in problem and consumer.__qualname__ in problem


def test_the_same_payload_is_additive_and_up_to_date() -> None:
    assert additivity_problems(EXAMPLES, RECORDED) == []
    assert stale_entries(EXAMPLES, RECORDED) == []


def test_a_new_field_with_a_default_is_additive_but_must_be_recorded() -> None:
    grown = _variant(note=(str | None, None))
    assert additivity_problems(grown, RECORDED) == []
    assert stale_entries(grown, RECORDED) == ["sample.thing v1"]
    assert merged(RECORDED, grown)["sample.thing"]["1"] == {
        **RECORDED["sample.thing"]["1"],
        "note": "str | None",
    }


def test_a_new_field_without_a_default_needs_a_new_version() -> None:
    grown = _variant(colour=str)
    (problem,) = additivity_problems(grown, RECORDED)
    assert "new field 'colour' needs a default" in problem


def test_removing_or_retyping_a_field_needs_a_new_version() -> None:
    removed = _variant(drop="tags")
    assert [p.split(": ", 1)[1] for p in additivity_problems(removed, RECORDED)] == [
        "field 'tags' was removed; that needs a new SCHEMA_VERSION"
    ]
    retyped = _variant(drop="price", price=float)
    assert [p.split(": ", 1)[1] for p in additivity_problems(retyped, RECORDED)] == [
        "field 'price' was Decimal, is float; that needs a new SCHEMA_VERSION"
    ]


def test_a_new_version_may_change_anything_and_keeps_the_old_one_recorded() -> None:
    version_2 = _variant(version=2, drop="price signed_on standing closed_at reason", price=float)
    assert additivity_problems(version_2, RECORDED) == []
    assert stale_entries(version_2, RECORDED) == ["sample.thing v2"]
    both = merged(RECORDED, version_2)
    assert both["sample.thing"]["1"] == RECORDED["sample.thing"]["1"]
    assert both["sample.thing"]["2"] == {"id": "UUID", "tags": "list[str]", "price": "float"}
    # and going back to version 1 afterwards is refused
    (problem,) = additivity_problems(EXAMPLES, both)
    assert "older than the recorded ones" in problem


def test_merging_never_deletes_an_entry() -> None:
    other: Schemas = {"other.event": {"3": {"id": "UUID"}}}
    assert merged(other, EXAMPLES) == {**other, **RECORDED}


def test_the_example_classes_stayed_out_of_the_registries() -> None:
    assert "sample.thing" not in event_payloads.PUBLISHED
    assert not any(c.EVENT.startswith("sample.") for c in event_payloads.CONSUMED)


# ------------------------------------------------------------------------------------------ the services


@pytest.fixture(scope="module")
def services_loaded() -> None:
    import_service_events()


@pytest.mark.usefixtures("services_loaded")
def test_every_consumer_reads_what_its_producer_publishes() -> None:
    assert event_payloads.CONSUMED, "no consumer payloads found"
    assert contract_problems(event_payloads.CONSUMED, event_payloads.PUBLISHED) == []


@pytest.mark.usefixtures("services_loaded")
def test_published_payloads_changed_only_additively() -> None:
    assert event_payloads.PUBLISHED, "no published payloads found"
    assert additivity_problems(event_payloads.PUBLISHED, load()) == []


@pytest.mark.usefixtures("services_loaded")
def test_the_snapshot_records_every_published_payload_as_it_is() -> None:
    stale = stale_entries(event_payloads.PUBLISHED, load())
    assert stale == [], f"run `make event-schemas` and commit tests/contracts/event_schemas.json: {stale}"


@pytest.mark.usefixtures("services_loaded")
def test_each_payload_lives_in_its_service_and_declares_its_verbs() -> None:
    for event, payload in event_payloads.PUBLISHED.items():
        service = event.split(".", 1)[0]
        assert payload.__module__.startswith(f"services.{service}."), (event, payload.__module__)
        assert payload.VERBS and all(verb.isidentifier() for verb in payload.VERBS), event
        assert schema_of(payload), event


def test_services_read_events_only_through_payloads() -> None:
    """No handler picks at ``event.data`` by hand: what it reads is declared, so this test can check it."""
    by_hand = re.compile(r"\b(?:event|envelope)\.data\b")
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in sorted((REPO_ROOT / "services").rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if by_hand.search(line)
    ]
    assert found == [], "read events through a ConsumedPayload (Payload.read(event)):\n" + "\n".join(found)
