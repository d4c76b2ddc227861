"""Event contracts (事件契约): consumers against producers, and the committed record of published schemas.

``tests/contracts/event_schemas.json`` records, for every published event (``<service>.<entity>``) and
each ``SCHEMA_VERSION`` it has had, the wire type of every field. Under one version fields may only be
added (with a default, so readers of older events keep working); removing or retyping one needs a new
version. Regenerate after adding fields or versions (entries are merged, never deleted)::

    make event-schemas            # .venv/bin/python -m tests.contracts.snapshot

The command refuses (exit 1) when a payload changed in a way its version does not allow.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import pkgutil
import sys
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ecosteward import SERVICES, event_payloads
from ecosteward.event_payloads import ConsumedPayload, PublishedPayload, type_string

SNAPSHOT = Path(__file__).with_name("event_schemas.json")
Schemas = dict[str, dict[str, dict[str, str]]]
"""{EVENT: {SCHEMA_VERSION: {field: wire type}}}"""

EVENT_MODULES = ("events", "copies")
"""The modules that declare payloads: an area's ``events.py`` (published, consumed) and ``copies.py``."""


def import_service_events() -> None:
    """Import every service's app (its explicit wiring) and every ``events``/``copies`` module."""
    for service in SERVICES:
        importlib.import_module(f"services.{service}.app")
        package = importlib.import_module(f"services.{service}")
        for module in pkgutil.walk_packages(package.__path__, f"services.{service}."):
            if module.name.rsplit(".", 1)[-1] in EVENT_MODULES:
                importlib.import_module(module.name)


@contextlib.contextmanager
def unregistered() -> Iterator[None]:
    """Payload classes defined inside stay out of the registries (examples in tests)."""
    published, consumed = dict(event_payloads.PUBLISHED), list(event_payloads.CONSUMED)
    try:
        yield
    finally:
        event_payloads.PUBLISHED.clear()
        event_payloads.PUBLISHED.update(published)
        event_payloads.CONSUMED[:] = consumed


def schema_of(payload: type[PublishedPayload]) -> dict[str, str]:
    """Field → wire type; a field events may leave out (default ``OMITTED``) is ``"<type> | omitted"``."""
    omitted = payload.omitted_fields()
    return {
        name: type_string(hint) + (" | omitted" if name in omitted else "")
        for name, hint in payload.field_types().items()
    }


def current_schemas(published: Mapping[str, type[PublishedPayload]]) -> Schemas:
    return {event: {str(p.SCHEMA_VERSION): schema_of(p)} for event, p in sorted(published.items())}


TEXT_ON_THE_WIRE = frozenset({"str", "UUID", "Decimal", "date", "datetime"})
"""Types sent as JSON strings: a consumer may read any of them as plain ``str`` (and parse it itself)."""


def _optional(hint: Any) -> tuple[Any, bool]:
    """(the hint without ``None``, whether it allowed ``None``)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(hint) if option is not type(None)]
        if len(options) < len(typing.get_args(hint)):
            return (options[0] if len(options) == 1 else typing.Union[tuple(options)]), True  # noqa: UP007
    return hint, False


def reads_as(consumed: Any, produced: Any) -> bool:
    """Whether a consumer's field type accepts every value the producer's can send.

    The same type; or wider: optional where the producer never sends null, plain ``str`` for a value
    that is text on the wire (an id, an amount, a date), element by element in lists.
    """
    if type_string(consumed) == type_string(produced):
        return True
    consumed, consumer_optional = _optional(consumed)
    produced, producer_optional = _optional(produced)
    if producer_optional and not consumer_optional:
        return False
    if type_string(consumed) == type_string(produced):
        return True
    sequences = (list, tuple)
    if typing.get_origin(consumed) in sequences and typing.get_origin(produced) in sequences:
        (consumed_item, *_), (produced_item, *_) = typing.get_args(consumed), typing.get_args(produced)
        return reads_as(consumed_item, produced_item)
    return type_string(consumed) == "str" and type_string(produced) in TEXT_ON_THE_WIRE


def contract_problems(
    consumed: Iterable[type[ConsumedPayload]], published: Mapping[str, type[PublishedPayload]]
) -> list[str]:
    """Every consumed field exists in the producer's payload with a type the consumer reads as declared."""
    problems: list[str] = []
    for consumer in consumed:
        who = f"{consumer.__module__}.{consumer.__qualname__}"
        producer = published.get(consumer.EVENT)
        if producer is None:
            problems.append(f"{who} reads {consumer.EVENT}, which no service publishes")
            continue
        produced, omitted = producer.field_types(), producer.omitted_fields()
        defaults = consumer.field_defaults()
        for name, hint in consumer.field_types().items():
            if name not in produced:
                problems.append(f"{who}.{name}: {producer.__qualname__} ({consumer.EVENT}) has no such field")
                continue
            if not reads_as(hint, produced[name]):
                mine, theirs = type_string(hint), type_string(produced[name])
                problems.append(f"{who}.{name}: reads {mine}, {producer.__qualname__} sends {theirs}")
            if name in omitted and not defaults[name]:
                problems.append(f"{who}.{name}: some {consumer.EVENT} events leave it out; give it a default")
    return problems


def additivity_problems(published: Mapping[str, type[PublishedPayload]], snapshot: Schemas) -> list[str]:
    """Under a recorded version, every recorded field is still there with its type; new ones have defaults."""
    problems: list[str] = []
    for event, payload in sorted(published.items()):
        versions = snapshot.get(event, {})
        if versions and max(int(v) for v in versions) > payload.SCHEMA_VERSION:
            problems.append(
                f"{event}: SCHEMA_VERSION {payload.SCHEMA_VERSION} is older than the recorded ones"
            )
        recorded = versions.get(str(payload.SCHEMA_VERSION))
        if recorded is None:
            continue
        current, defaults = schema_of(payload), payload.field_defaults()
        where = f"{event} v{payload.SCHEMA_VERSION} ({payload.__module__}.{payload.__qualname__})"
        for name, kind in recorded.items():
            if name not in current:
                problems.append(f"{where}: field {name!r} was removed; that needs a new SCHEMA_VERSION")
            elif current[name] != kind:
                problems.append(
                    f"{where}: field {name!r} was {kind}, is {current[name]}; that needs a new SCHEMA_VERSION"
                )
        for name in sorted(current.keys() - recorded.keys()):
            if not defaults[name]:
                problems.append(
                    f"{where}: new field {name!r} needs a default (readers of older events lack it)"
                )
    return problems


def stale_entries(published: Mapping[str, type[PublishedPayload]], snapshot: Schemas) -> list[str]:
    """Published payloads whose current version is not recorded as it is (run ``make event-schemas``)."""
    return [
        f"{event} v{payload.SCHEMA_VERSION}"
        for event, payload in sorted(published.items())
        if snapshot.get(event, {}).get(str(payload.SCHEMA_VERSION)) != schema_of(payload)
    ]


def merged(snapshot: Schemas, published: Mapping[str, type[PublishedPayload]]) -> Schemas:
    """``snapshot`` with every payload's current version recorded; nothing is ever deleted."""
    result = {
        event: {v: dict(fields) for v, fields in versions.items()} for event, versions in snapshot.items()
    }
    for event, versions in current_schemas(published).items():
        for version, fields in versions.items():
            result.setdefault(event, {})[version] = {**result.get(event, {}).get(version, {}), **fields}
    return {
        event: dict(sorted(versions.items(), key=lambda v: int(v[0])))
        for event, versions in sorted(result.items())
    }


def load(path: Path = SNAPSHOT) -> Schemas:
    if not path.exists():
        return {}
    data: Schemas = json.loads(path.read_text(encoding="utf-8"))
    return data


def dump(schemas: Schemas, path: Path = SNAPSHOT) -> None:
    path.write_text(json.dumps(schemas, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    import_service_events()
    snapshot = load()
    problems = additivity_problems(event_payloads.PUBLISHED, snapshot)
    if problems:
        print("not recorded; these changes need a new SCHEMA_VERSION or a default:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    updated = merged(snapshot, event_payloads.PUBLISHED)
    dump(updated)
    changed = stale_entries(event_payloads.PUBLISHED, snapshot)
    print(f"{SNAPSHOT}: {len(updated)} events; newly recorded: {', '.join(changed) or 'nothing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
