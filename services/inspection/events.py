"""Inspection events.

Published (``ecosteward.inspection.<entity>.<verb>``):
- ``inspection.recorded`` — data: id, enterprise_id, agency_id, jurisdiction_id, inspector_username,
  visited_on
- ``finding.recorded`` — data: id, inspection_id, enterprise_id, agency_id, jurisdiction_id, category,
  handling_class, deadline (null unless set)

Consumed:
- ``ecosteward.archive.enterprise.*`` → the local enterprises copy (``known_enterprises``);
- ``ecosteward.registry.contract.*`` → contract scopes (agency, managing jurisdiction, state, term,
  scope) for the field-work rule (``contract_scopes``);
- ``ecosteward.registry.permit.*`` → work permits, keyed to the holder's username (``work_permits``);
- ``ecosteward.registry.jurisdiction.*`` → which unit is the district (``known_jurisdictions``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ecosteward.consumer import Subscription
from ecosteward.local_copies import as_text, as_uuid, local_copy_handler
from ecosteward.outbox import UnitOfWork
from services.inspection.models import (
    ContractScopeRow,
    FindingRow,
    InspectionRow,
    KnownEnterpriseRow,
    KnownJurisdictionRow,
    WorkPermitRow,
)


def emit_inspection_recorded(uow: UnitOfWork, row: InspectionRow) -> None:
    uow.emit(
        "inspection",
        "recorded",
        row.id,
        {
            "id": row.id,
            "enterprise_id": row.enterprise_id,
            "agency_id": row.agency_id,
            "jurisdiction_id": row.jurisdiction_id,
            "inspector_username": row.inspector_username,
            "visited_on": row.visited_on,
        },
    )


def emit_finding_recorded(uow: UnitOfWork, row: FindingRow) -> None:
    uow.emit(
        "finding",
        "recorded",
        row.id,
        {
            "id": row.id,
            "inspection_id": row.inspection_id,
            "enterprise_id": row.enterprise_id,
            "agency_id": row.agency_id,
            "jurisdiction_id": row.jurisdiction_id,
            "category": row.category,
            "handling_class": row.handling_class,
            "deadline": row.deadline,
        },
    )


on_enterprise_changed = local_copy_handler(
    KnownEnterpriseRow, "enterprise", {"jurisdiction_id": as_uuid, "name": as_text}
)
"""Insert or update the local copy of an enterprise (events that omit a field keep the old value)."""


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def as_optional_date(value: Any) -> dt.date | None:
    return None if value in (None, "") else as_date(value)


def as_id_list(value: Any) -> list[str]:
    """The well-formed ids of a scope list; anything else grants nothing (and blocks no event)."""
    ids: set[str] = set()
    for item in value or []:
        try:
            ids.add(str(as_uuid(item)))
        except ValueError:
            continue
    return sorted(ids)


def as_username(value: Any) -> str:
    return str(value).strip().lower()


on_contract_changed = local_copy_handler(
    ContractScopeRow,
    "contract",
    {
        "agency_id": as_uuid,
        "jurisdiction_id": as_uuid,
        "status": as_text,
        "starts_on": as_date,
        "ends_on": as_date,
        "scope_jurisdiction_ids": as_id_list,
        "scope_enterprise_ids": as_id_list,
    },
)
"""Keep a contract's state, term, managing jurisdiction and scope (every ``contract.*`` carries them)."""

on_permit_changed = local_copy_handler(
    WorkPermitRow,
    "permit",
    {
        "staff_id": as_uuid,
        "staff_username": as_username,
        "agency_id": as_uuid,
        "valid_from": as_date,
        "valid_to": as_date,
        "revoked_on": as_optional_date,
    },
)
"""Keep a work permit's holder, validity and revocation (``permit.issued|revoked|expired``)."""

on_jurisdiction_changed = local_copy_handler(KnownJurisdictionRow, "jurisdiction", {"kind": as_text})
"""Keep each jurisdiction's kind (only the district's contracts reach beyond their own unit)."""


SUBSCRIPTIONS = [
    Subscription(
        name="enterprises",
        source="archive",
        filter_subject="ecosteward.archive.enterprise.*",
        handler=on_enterprise_changed,
    ),
    Subscription(
        name="contracts",
        source="registry",
        filter_subject="ecosteward.registry.contract.*",
        handler=on_contract_changed,
    ),
    Subscription(
        name="permits",
        source="registry",
        filter_subject="ecosteward.registry.permit.*",
        handler=on_permit_changed,
    ),
    Subscription(
        name="jurisdictions",
        source="registry",
        filter_subject="ecosteward.registry.jurisdiction.*",
        handler=on_jurisdiction_changed,
    ),
]
