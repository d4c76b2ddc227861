"""Visit use cases (用例): record a visit, record a finding on it.

Each runs inside the caller's unit of work: checks (roles are checked by the caller; scope, contract
and permit here, through ``../access.py``), the rows, and the event in the outbox, or nothing at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TypeVar

from ecosteward.event_payloads import PublishedPayload
from ecosteward.identity import Principal
from ecosteward.listing import load_in_scope
from ecosteward.outbox import UnitOfWork
from services.inspection import access
from services.inspection.copies import KnownEnterpriseRow
from services.inspection.visits import domain
from services.inspection.visits.events import FindingChanged, InspectionChanged
from services.inspection.visits.models import FindingRow, InspectionRow

Recorded = TypeVar("Recorded", InspectionRow, FindingRow)


async def record_inspection(
    uow: UnitOfWork,
    actor: Principal,
    *,
    enterprise_id: uuid.UUID,
    visited_on: dt.date,
    summary: str,
    agency_id: uuid.UUID | None,
    today: dt.date,
    new_id: uuid.UUID | None = None,
) -> InspectionRow:
    """Record an on-site visit to a known enterprise (staff: for their own agency, within a live
    contract and with a valid work permit on the day; the bureau names the agency).

    ``new_id`` fixes the id (demo data); otherwise a new one is drawn.
    """
    recording = access.recording_agency(actor, agency_id)
    domain.check_visit(visited_on, today, summary)
    enterprise = await uow.session.get(KnownEnterpriseRow, enterprise_id)
    if enterprise is None:
        raise domain.enterprise_not_found(enterprise_id)
    await access.check_field_work(
        uow.session, actor, recording, enterprise.id, enterprise.jurisdiction_id, visited_on
    )
    row = InspectionRow(
        enterprise_id=enterprise_id,
        agency_id=recording,
        jurisdiction_id=enterprise.jurisdiction_id,
        inspector_username=actor.username,
        visited_on=visited_on,
        summary=summary.strip(),
        status=domain.InspectionStatus.RECORDED,
    )
    return await _recorded(uow, row, new_id, InspectionChanged.from_attributes)


async def record_finding(
    uow: UnitOfWork,
    actor: Principal,
    *,
    inspection_id: uuid.UUID,
    category: str,
    description: str,
    legal_basis: str,
    handling_class: str,
    deadline: dt.date | None,
    new_id: uuid.UUID | None = None,
) -> FindingRow:
    """Record a finding on a visit within the actor's scope; FIX_BY_DEADLINE needs a deadline.

    A finding is field work on the visit's day: for agency staff the contract and the permit must
    hold then (the visit is already visible, so a lapsed contract answers OUT_OF_CONTRACT_SCOPE).
    """
    caller_scope = access.data_scope(actor)
    inspection = await load_in_scope(uow.session, InspectionRow, inspection_id, "Inspection", caller_scope)
    await access.check_field_work(
        uow.session,
        actor,
        inspection.agency_id,
        inspection.enterprise_id,
        inspection.jurisdiction_id,
        inspection.visited_on,
        hide_unseen=False,
    )
    domain.check_finding(handling_class, deadline, inspection.visited_on, description, legal_basis)
    row = FindingRow(
        inspection_id=inspection.id,
        enterprise_id=inspection.enterprise_id,
        agency_id=inspection.agency_id,
        jurisdiction_id=inspection.jurisdiction_id,
        category=category,
        description=description.strip(),
        legal_basis=legal_basis.strip(),
        handling_class=handling_class,
        deadline=deadline,
        status=domain.FindingStatus.FOUND,
    )
    return await _recorded(uow, row, new_id, FindingChanged.from_attributes)


async def _recorded(
    uow: UnitOfWork, row: Recorded, new_id: uuid.UUID | None, payload: Callable[[Recorded], PublishedPayload]
) -> Recorded:
    """Insert ``row`` (with ``new_id`` when given) and announce it ``recorded`` with its payload."""
    if new_id is not None:
        row.id = new_id
    uow.session.add(row)
    await uow.session.flush()
    uow.publish("recorded", payload(row), subject=row.id)
    return row
