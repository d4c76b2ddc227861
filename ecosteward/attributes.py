"""Dataclasses filled from another object's attributes of the same name (a row → an event payload,
a row → a domain value).

The one home of the "``field=row.field``, field after field" copy: name the fields that differ or
are derived, and the rest are read from the source::

    FilingChanged.from_attributes(filing, contract_status=contract.status)
    from_attributes(VersionFacts, version_row)
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def from_attributes(cls: type[T], source: object, /, *names: str, **values: Any) -> T:
    """An instance of the dataclass ``cls``: each field is ``source``'s attribute of the same name,
    except those given in ``values`` (derived or converted ones).

    With ``names``, only those fields are read from ``source`` (the others are given in ``values``
    or keep their defaults: a payload family's verb-specific fields). A field that is neither read
    nor given and has no default fails as a missing argument of ``cls``.
    """
    read = names or tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return cls(**{name: getattr(source, name) for name in read if name not in values}, **values)
