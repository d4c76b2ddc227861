"""Typed event payloads (ecosteward.event_payloads): what a producer writes, a consumer reads back.

Round trips through the envelope's JSON for every supported type (hypothesis), malformed data raising
``PayloadError``, fields left out, and the wire type strings the contract test compares.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosteward import event_payloads
from ecosteward.event_payloads import (
    OMITTED,
    ConsumedPayload,
    PayloadError,
    PublishedPayload,
    type_string,
)
from ecosteward.events import EventEnvelope
from tests.contracts.snapshot import unregistered


class Colour(StrEnum):
    RED = "RED"
    GREEN = "GREEN"


with unregistered():

    @dataclass(frozen=True)
    class Everything(PublishedPayload):
        EVENT: ClassVar[str] = "sample.everything"
        VERBS: ClassVar[tuple[str, ...]] = ("changed",)

        id: uuid.UUID
        amount: Decimal
        day: dt.date
        at: dt.datetime
        name: str
        count: int
        flag: bool
        colour: Colour
        ids: list[uuid.UUID]
        days: list[dt.date]
        maybe_amount: Decimal | None = None
        maybe_ids: list[uuid.UUID] | None = None
        reason: str = OMITTED

    @dataclass(frozen=True)
    class EverythingSeen(ConsumedPayload):
        EVENT: ClassVar[str] = "sample.everything"

        id: uuid.UUID
        amount: Decimal
        day: dt.date
        at: dt.datetime
        colour: Colour
        ids: list[uuid.UUID]
        maybe_amount: Decimal | None = None
        reason: str | None = None


def _datetimes() -> st.SearchStrategy[dt.datetime]:
    zones = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-5))])
    return st.datetimes(timezones=zones)


amounts = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12)
payloads = st.builds(
    Everything,
    id=st.uuids(),
    amount=amounts,
    day=st.dates(),
    at=_datetimes(),
    name=st.text(),
    count=st.integers(),
    flag=st.booleans(),
    colour=st.sampled_from(Colour),
    ids=st.lists(st.uuids(), max_size=4),
    days=st.lists(st.dates(), max_size=4),
    maybe_amount=st.none() | amounts,
    maybe_ids=st.none() | st.lists(st.uuids(), max_size=3),
    reason=st.just(OMITTED) | st.text(max_size=10),
)


def _wire(payload: PublishedPayload) -> dict[str, Any]:
    """The data as a consumer receives it: through the envelope and its JSON bytes."""
    envelope = EventEnvelope.new("sample", payload.entity, "changed", "s", payload.to_data())
    return EventEnvelope.from_bytes(envelope.to_bytes()).data


@given(payloads)
def test_to_data_then_from_data_is_the_identity(payload: Everything) -> None:
    assert Everything.from_data(_wire(payload)) == payload


@given(payloads)
def test_a_consumer_reads_its_fields_with_their_types(payload: Everything) -> None:
    seen = EverythingSeen.read(EventEnvelope("sample.everything.changed", "sample", "s", _wire(payload)))
    assert (seen.id, seen.amount, seen.day, seen.at, seen.ids) == (
        payload.id,
        payload.amount,
        payload.day,
        payload.at,
        payload.ids,
    )
    assert seen.colour is payload.colour and seen.maybe_amount == payload.maybe_amount
    assert seen.reason == (None if payload.reason is OMITTED else payload.reason)


@given(payloads)
def test_the_wire_format_is_plain_json_strings(payload: Everything) -> None:
    data = payload.to_data()
    assert json.loads(json.dumps(data)) == data  # JSON-ready as it is
    assert data["id"] == str(payload.id) and data["amount"] == str(payload.amount)
    assert data["day"] == payload.day.isoformat() and data["at"] == payload.at.isoformat()
    assert data["colour"] == payload.colour.value and data["ids"] == [str(i) for i in payload.ids]
    assert ("reason" in data) is (payload.reason is not OMITTED)


SAMPLE = Everything(
    id=uuid.UUID(int=1),
    amount=Decimal("1.50"),
    day=dt.date(2026, 11, 29),
    at=dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC),
    name="n",
    count=1,
    flag=True,
    colour=Colour.RED,
    ids=[uuid.UUID(int=2)],
    days=[],
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "not-a-uuid"),
        ("id", None),
        ("id", 5),
        ("amount", "NaN"),
        ("amount", "Infinity"),
        ("amount", "one"),
        ("amount", True),
        ("day", "2026-02-30"),
        ("day", 20261129),
        ("at", "yesterday"),
        ("count", "1"),
        ("count", True),
        ("count", 1.5),
        ("flag", "true"),
        ("flag", 1),
        ("colour", "BLUE"),
        ("ids", "not-a-list"),
        ("ids", ["not-a-uuid"]),
        ("ids", None),
        ("days", [None]),
        ("maybe_ids", ["x"]),
    ],
)
def test_malformed_data_raises_payload_error(field: str, value: object) -> None:
    data = {**SAMPLE.to_data(), field: value}
    with pytest.raises(PayloadError, match=field):
        Everything.from_data(data)


def test_a_missing_required_field_raises_and_unknown_keys_are_ignored() -> None:
    data = SAMPLE.to_data()
    assert Everything.from_data({**data, "added_later": 1}) == SAMPLE
    del data["amount"]
    with pytest.raises(PayloadError, match="'amount' is missing"):
        Everything.from_data(data)
    with pytest.raises(PayloadError, match="expected an object"):
        Everything.from_data(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_carried_reads_only_the_fields_an_event_carries() -> None:
    assert EverythingSeen.carried({"id": str(uuid.UUID(int=7)), "reason": "r", "other": 1}) == {
        "id": uuid.UUID(int=7),
        "reason": "r",
    }
    with pytest.raises(PayloadError):
        EverythingSeen.carried({"day": "not a date"})


def test_defaults_and_omittable_fields() -> None:
    assert Everything.field_defaults()["maybe_amount"] and not Everything.field_defaults()["id"]
    assert Everything.omitted_fields() == {"reason"}

    marker = object()  # a service's own "absent" marker is recognised too: it is no value of the type
    with unregistered():

        @dataclass(frozen=True)
        class WithMarker(PublishedPayload):
            EVENT: ClassVar[str] = "sample.marker"
            VERBS: ClassVar[tuple[str, ...]] = ("changed",)
            a: str = marker  # type: ignore[assignment]
            b: str | None = None
            c: str = ""

    assert WithMarker.omitted_fields() == {"a"}


def test_type_strings_are_wire_types() -> None:
    hints = Everything.field_types()
    assert {name: type_string(hint) for name, hint in hints.items()} == {
        "id": "UUID",
        "amount": "Decimal",
        "day": "date",
        "at": "datetime",
        "name": "str",
        "count": "int",
        "flag": "bool",
        "colour": "str",
        "ids": "list[UUID]",
        "days": "list[date]",
        "maybe_amount": "Decimal | None",
        "maybe_ids": "list[UUID] | None",
        "reason": "str",
    }
    assert type_string(tuple[int, ...]) == "tuple[int, ...]"
    assert type_string(dict[str, Any]) == "dict[str, Any]"
    assert type_string(int | str | None) == "int | str | None"


def test_one_payload_class_per_event() -> None:
    with unregistered():

        @dataclass(frozen=True)
        class First(PublishedPayload):
            EVENT: ClassVar[str] = "sample.twice"
            VERBS: ClassVar[tuple[str, ...]] = ("changed",)

        assert event_payloads.PUBLISHED["sample.twice"] is First
        with pytest.raises(TypeError, match="already published by"):

            @dataclass(frozen=True)
            class Second(PublishedPayload):
                EVENT: ClassVar[str] = "sample.twice"
                VERBS: ClassVar[tuple[str, ...]] = ("changed",)

    assert "sample.twice" not in event_payloads.PUBLISHED
