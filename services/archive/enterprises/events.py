"""Events of the enterprises area.

Published (NATS subject ``ecosteward.archive.enterprise.<verb>``, subject = the enterprise id):
:class:`EnterpriseChanged` — ``registered``, ``updated``, ``status_changed`` (with ``from_status``
and ``reason``); the bulk import's ``registered`` (id, credit code, name, jurisdiction only) and its
``import_completed`` summary (subject = the import id, no enterprise fields). The classification
area publishes ``classified`` and ``labelled`` about the same entity, through the same payload (one
class per event family; the verb-specific fields are left out of the other verbs' data).

Consumed: its own ``enterprise.*`` events → the enterprise's Keycloak account (desired state,
synced by a job).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from ecosteward.accounts import AccountSpec, request_account, request_disable
from ecosteward.consumer import Subscription
from ecosteward.events import EventEnvelope
from ecosteward.identity import Role
from ecosteward.outbox import UnitOfWork
from services.archive.base import ABSENT, ACCOUNTS, ArchivePayload
from services.archive.enterprises.domain import SourceStatus
from services.archive.enterprises.models import EnterpriseRow


@dataclass(frozen=True)
class EnterpriseChanged(ArchivePayload):
    """archive.enterprise.* — a pollution source (排污单位) was registered, changed or imported."""

    EVENT: ClassVar[str] = "archive.enterprise"
    VERBS: ClassVar[tuple[str, ...]] = (
        "registered",
        "updated",
        "status_changed",
        "import_completed",
        "classified",
        "labelled",
    )

    id: uuid.UUID = ABSENT
    credit_code: str = ABSENT
    name: str = ABSENT
    jurisdiction_id: uuid.UUID = ABSENT
    industry_code: str = ABSENT
    permit_category: str = ABSENT
    status: str = ABSENT
    latitude: float | None = ABSENT
    longitude: float | None = ABSENT
    from_status: str = ABSENT
    """``status_changed`` only: the status before."""
    reason: str = ABSENT
    """``status_changed`` and ``labelled``: why."""
    # ``import_completed`` only: the import's summary.
    import_id: uuid.UUID = ABSENT
    source: str = ABSENT
    actor: str = ABSENT
    total_rows: int = ABSENT
    accepted_rows: int = ABSENT
    rejected_rows: int = ABSENT
    written_rows: int = ABSENT
    accept_good_rows: bool = ABSENT
    # ``classified`` only (the classification area): once per change of the result (key/general or
    # the set of reason codes), and at an enterprise's first evaluation.
    key: bool = ABSENT
    source_class: str = ABSENT
    """``KEY`` or ``GENERAL``."""
    reasons: list[dict[str, Any]] = ABSENT
    """Each: ``code``, ``message``, ``since``, ``until``, ``fact_ids``."""
    evaluated_on: dt.date = ABSENT
    trigger: str = ABSENT
    """``FACT_RECORDED``, ``FACT_WITHDRAWN``, ``STANDING_CHANGED``, ``PERIODIC_REVIEW``, ``ENTERPRISE_CHANGED``."""
    previous: dict[str, Any] | None = ABSENT
    """``classified``: ``{key, source_class, reasons}``; ``labelled``: the labels before; null the first time."""
    # ``labelled`` only: every setting of the risk labels.
    labels: dict[str, Any] = ABSENT
    """``overall_risk``, ``water_risk``, ``air_risk``, ``noise_risk``, ``hazardous_waste_risk``,
    ``management_grade``, ``social_risk``, ``environmental_risk`` (null when unassessed)."""
    changed: list[str] = ABSENT
    """The names of the labels that changed."""
    required_inspections_per_year: int | None = ABSENT
    reinspected_on: dt.date | None = ABSENT
    labelled_by: str = ABSENT

    @classmethod
    def of(cls, row: EnterpriseRow) -> EnterpriseChanged:
        """The master data of ``row`` (``registered``, ``updated``)."""
        return cls.from_attributes(
            row,
            *("id", "credit_code", "name", "jurisdiction_id", "industry_code", "latitude", "longitude"),
            permit_category=str(row.permit_category),
            status=str(row.status),
        )

    @classmethod
    def status_changed(cls, row: EnterpriseRow, previous: str, reason: str) -> EnterpriseChanged:
        return cls(**{**cls.of(row).__dict__, "from_status": str(previous), "reason": reason})


def enterprise_account(enterprise: EnterpriseRow) -> AccountSpec:
    """The enterprise's own account (企业账号): username = its credit code, password change at first login."""
    return AccountSpec(
        username=enterprise.credit_code.lower(),
        role=Role.ENTERPRISE_USER.value,
        attributes={"enterprise_id": str(enterprise.id)},
        email=None,
        first_name=enterprise.name[:100],
        last_name="企业账号",
        require_password_change=True,
    )


async def on_own_enterprise_event(uow: UnitOfWork, event: EventEnvelope) -> None:
    if event.type not in ("archive.enterprise.registered", "archive.enterprise.status_changed"):
        return
    enterprise = await uow.session.get(EnterpriseRow, uuid.UUID(event.subject))
    if enterprise is None:
        return
    if enterprise.status == SourceStatus.CLOSED:
        await request_disable(uow.session, ACCOUNTS, enterprise.credit_code.lower())
    else:
        await request_account(uow.session, ACCOUNTS, enterprise_account(enterprise))


SUBSCRIPTIONS = [
    Subscription.to_family("enterprise-accounts", "archive.enterprise", on_own_enterprise_event),
]
