"""Event envelopes and Relay cursors."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosteward.errors import BadUserInput
from ecosteward.events import EventEnvelope, nats_subject
from ecosteward.graphql import decode_cursor, encode_cursor

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(), json_values, max_size=5))
def test_envelope_round_trips_through_bytes(data: dict[str, Any]) -> None:
    envelope = EventEnvelope.new("registry", "contract", "signed", uuid.uuid4(), data)
    assert EventEnvelope.from_bytes(envelope.to_bytes()) == envelope


def test_envelope_fields_and_subject() -> None:
    entity_id = uuid.uuid4()
    envelope = EventEnvelope.new(
        "registry", "contract", "signed", entity_id, {"price": Decimal("10.50"), "on": dt.date(2026, 9, 25)}
    )
    raw = envelope.to_dict()
    assert set(raw) == {"id", "type", "source", "time", "subject", "schema_version", "data"}
    assert envelope.nats_subject == "ecosteward.registry.contract.signed"
    assert raw["subject"] == str(entity_id)
    assert raw["data"] == {"price": "10.50", "on": "2026-09-25"}  # exact decimals travel as text


@pytest.mark.parametrize("body", [b"", b"[]", b"{}", b'{"id": "x"}', b"\xff"])
def test_malformed_envelopes_are_rejected(body: bytes) -> None:
    with pytest.raises(ValueError):
        EventEnvelope.from_bytes(body)


@pytest.mark.parametrize("token", ["Registry", "a.b", "", "x y"])
def test_subject_tokens_must_be_snake_case(token: str) -> None:
    with pytest.raises(ValueError):
        nats_subject("registry", token, "created")


@given(st.integers(min_value=0, max_value=10**9))
def test_cursor_round_trip(offset: int) -> None:
    assert decode_cursor(encode_cursor(offset)) == offset


@pytest.mark.parametrize("cursor", ["", "abc", "bzotMQ==", encode_cursor(0)[:-2] + "!!"])
def test_foreign_cursors_are_bad_input(cursor: str) -> None:
    with pytest.raises(BadUserInput):
        decode_cursor(cursor)
