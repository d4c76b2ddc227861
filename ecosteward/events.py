"""The event envelope every service publishes and consumes.

NATS subject: ``ecosteward.<service>.<entity>.<verb>`` — e.g. ``ecosteward.registry.jurisdiction.created``.
Envelope (JSON): ``id`` (UUID, also the JetStream ``Nats-Msg-Id`` for de-duplication), ``type``
(``<service>.<entity>.<verb>``), ``source`` (the publishing service), ``time`` (UTC ISO-8601),
``subject`` (the id of the entity concerned), ``schema_version`` and ``data``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

SUBJECT_PREFIX = "ecosteward"
DEAD_LETTER_PREFIX = f"{SUBJECT_PREFIX}.deadletter"
DEAD_LETTER_STREAM = "ECOSTEWARD_DEADLETTER"
_TOKEN = re.compile(r"^[a-z][a-z0-9_]*$")


def _json_default(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def nats_subject(service: str, entity: str, verb: str) -> str:
    for part in (service, entity, verb):
        if not _TOKEN.match(part):
            raise ValueError(f"bad subject token {part!r}: use lower_snake_case")
    return f"{SUBJECT_PREFIX}.{service}.{entity}.{verb}"


def service_subjects(service: str) -> str:
    """The wildcard subject of a service's stream."""
    return f"{SUBJECT_PREFIX}.{service}.>"


@dataclass(frozen=True)
class EventEnvelope:
    """One domain event (领域事件) as it travels over NATS JetStream."""

    type: str
    source: str
    subject: str
    data: dict[str, Any]
    schema_version: int = 1
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    time: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @classmethod
    def new(
        cls,
        service: str,
        entity: str,
        verb: str,
        subject: object,
        data: dict[str, Any],
        schema_version: int = 1,
    ) -> EventEnvelope:
        nats_subject(service, entity, verb)  # validates the tokens
        # A JSON round trip turns UUIDs, Decimals and dates into strings once, here.
        plain = json.loads(json.dumps(data, default=_json_default))
        return cls(
            type=f"{service}.{entity}.{verb}",
            source=service,
            subject=str(subject),
            data=plain,
            schema_version=schema_version,
        )

    @property
    def nats_subject(self) -> str:
        return f"{SUBJECT_PREFIX}.{self.type}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "source": self.source,
            "time": self.time.isoformat(),
            "subject": self.subject,
            "schema_version": self.schema_version,
            "data": self.data,
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=_json_default).encode()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EventEnvelope:
        try:
            return cls(
                id=uuid.UUID(str(raw["id"])),
                type=str(raw["type"]),
                source=str(raw["source"]),
                time=dt.datetime.fromisoformat(str(raw["time"])),
                subject=str(raw["subject"]),
                schema_version=int(raw["schema_version"]),
                data=dict(raw["data"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"malformed event envelope: {exc}") from exc

    @classmethod
    def from_bytes(cls, body: bytes) -> EventEnvelope:
        try:
            raw = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"event body is not JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise ValueError("event body is not a JSON object")
        return cls.from_dict(raw)
