"""Classification use cases: each runs inside the caller's unit of work (change + events commit together).

* :func:`evaluate` classifies one enterprise on a day, stores the result, keeps
  ``EnterpriseRow.key_source`` in step and, when the result changed (key/general or the set of reason
  codes), adds a history row and emits ``enterprise.classified``. The enterprise core calls it after
  registering an enterprise or changing its permit category.
* Recording or withdrawing a fact and changing standing attributes re-evaluate at once.
* :func:`reclassify_due` (the periodic job) re-evaluates only enterprises never evaluated or whose
  ``next_review_on`` has come — cheap however many enterprises there are.
* Risk labels are set after a re-inspection (复核), each setting kept with who/when/why, event
  ``enterprise.labelled``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.clock import china_today
from ecosteward.db import utcnow
from ecosteward.errors import Conflict, NotFound, ValidationFailed
from ecosteward.identity import Principal
from ecosteward.outbox import UnitOfWork
from services.archive import access
from services.archive.access import enterprise_not_found
from services.archive.classification import domain
from services.archive.classification.domain import Classification, Fact, FactKind, Reason, RiskLevel, Standing
from services.archive.classification.models import (
    ClassificationChangeRow,
    ClassificationStateRow,
    EnterpriseFactRow,
    RiskLabelChangeRow,
    RiskLabelsRow,
    StandingAttributesChangeRow,
    StandingAttributesRow,
)
from services.archive.enterprises.events import EnterpriseChanged
from services.archive.enterprises.models import EnterpriseRow

log = logging.getLogger(__name__)

SYSTEM = "system"
BATCH = 200
"""Enterprises re-evaluated per transaction by the periodic job."""
MAX_BATCHES = 500
"""Batches per job run at most (100k enterprises); the next run goes on where this one stopped."""


class Trigger(StrEnum):
    """What caused an evaluation (kept with every history row and event)."""

    FACT_RECORDED = "FACT_RECORDED"
    FACT_WITHDRAWN = "FACT_WITHDRAWN"
    STANDING_CHANGED = "STANDING_CHANGED"
    PERIODIC_REVIEW = "PERIODIC_REVIEW"
    ENTERPRISE_CHANGED = "ENTERPRISE_CHANGED"


def actor(user: Principal) -> str:
    return user.username or user.subject


def check_scope(user: Principal, enterprise: EnterpriseRow, missing: NotFound | None = None) -> None:
    """The archive's classification-write rule (:func:`services.archive.access.check_can_classify`)."""
    access.check_can_classify(user, enterprise, missing)


async def enterprise_for_update(session: AsyncSession, enterprise_id: uuid.UUID) -> EnterpriseRow:
    """The live enterprise, locked for the transaction (PostgreSQL) so evaluations never interleave."""
    row = (
        await session.execute(
            sa.select(EnterpriseRow).where(EnterpriseRow.id == enterprise_id).with_for_update()
        )
    ).scalar_one_or_none()
    if row is None or row.deleted_at is not None:
        raise enterprise_not_found(enterprise_id)
    return row


# ------------------------------------------------------------------------------------------ conversions


def to_fact(row: EnterpriseFactRow) -> Fact:
    return Fact(
        kind=FactKind(row.kind),
        occurred_on=row.occurred_on,
        verified=row.verified,
        normal_production=row.normal_production,
        assessment_result=RiskLevel(row.assessment_result) if row.assessment_result else None,
        id=str(row.id),
    )


def to_standing(enterprise: EnterpriseRow, row: StandingAttributesRow | None) -> Standing:
    if row is None:
        return Standing(permit_category=enterprise.permit_category)
    return Standing(
        permit_category=enterprise.permit_category,
        key_discharge_unit_since=row.key_discharge_unit_since,
        class_i_pollutant_unit_since=row.class_i_pollutant_unit_since,
        key_solid_waste_producer_since=row.key_solid_waste_producer_since,
    )


def reason_to_dict(reason: Reason) -> dict[str, Any]:
    return {
        "code": reason.code.value,
        "message": reason.message,
        "since": reason.since.isoformat() if reason.since else None,
        "until": reason.until.isoformat() if reason.until else None,
        "fact_ids": list(reason.fact_ids),
    }


def reason_from_dict(raw: dict[str, Any]) -> Reason:
    return Reason(
        code=domain.ReasonCode(raw["code"]),
        message=str(raw.get("message", "")),
        since=dt.date.fromisoformat(raw["since"]) if raw.get("since") else None,
        until=dt.date.fromisoformat(raw["until"]) if raw.get("until") else None,
        fact_ids=tuple(raw.get("fact_ids") or ()),
    )


def classification_dict(key: bool, reasons: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"key": key, "source_class": "KEY" if key else "GENERAL", "reasons": list(reasons)}


# ------------------------------------------------------------------------------------------ reading


async def live_facts(
    session: AsyncSession, enterprise_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Fact]]:
    """The facts (not withdrawn) of each enterprise, by enterprise id."""
    found: dict[uuid.UUID, list[Fact]] = {i: [] for i in enterprise_ids}
    if not enterprise_ids:
        return found
    rows = await session.execute(
        sa.select(EnterpriseFactRow).where(
            EnterpriseFactRow.enterprise_id.in_(enterprise_ids), EnterpriseFactRow.withdrawn_at.is_(None)
        )
    )
    for row in rows.scalars():
        found[row.enterprise_id].append(to_fact(row))
    return found


async def rows_by_enterprise(
    session: AsyncSession, model: Any, enterprise_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    """Rows of a table keyed by ``enterprise_id`` (standing, state, labels) for these enterprises."""
    if not enterprise_ids:
        return {}
    rows = await session.execute(sa.select(model).where(model.enterprise_id.in_(enterprise_ids)))
    return {row.enterprise_id: row for row in rows.scalars()}


@dataclass(frozen=True)
class ClassificationView:
    """An enterprise's classification on a day, computed from its current facts, and what was recorded."""

    enterprise: EnterpriseRow
    standing: StandingAttributesRow | None
    result: Classification
    as_of: dt.date
    next_review_on: dt.date | None
    state: ClassificationStateRow | None

    @property
    def recorded(self) -> bool:
        """Whether this result is the one last recorded (history and ``key_source`` agree with it)."""
        return (
            self.state is not None
            and self.state.key == self.result.key
            and list(self.state.reason_codes) == [c.value for c in self.result.codes]
        )


async def classification_views(
    session: AsyncSession, enterprises: Sequence[EnterpriseRow], today: dt.date
) -> list[ClassificationView]:
    """The classification of each enterprise on ``today``: three queries for any number of them."""
    ids = [e.id for e in enterprises]
    facts = await live_facts(session, ids)
    standings = await rows_by_enterprise(session, StandingAttributesRow, ids)
    states = await rows_by_enterprise(session, ClassificationStateRow, ids)
    views = []
    for enterprise in enterprises:
        standing = standings.get(enterprise.id)
        own = facts[enterprise.id]
        views.append(
            ClassificationView(
                enterprise=enterprise,
                standing=standing,
                result=domain.classify(to_standing(enterprise, standing), own, today),
                as_of=today,
                next_review_on=domain.next_change(own, today),
                state=states.get(enterprise.id),
            )
        )
    return views


# ------------------------------------------------------------------------------------------ evaluate


async def evaluate(
    uow: UnitOfWork,
    enterprise_id: uuid.UUID,
    today: dt.date,
    *,
    trigger: Trigger = Trigger.ENTERPRISE_CHANGED,
    by: str = SYSTEM,
) -> bool:
    """Classify the enterprise on ``today`` and store it; True when the result changed.

    The first evaluation of an enterprise always counts as a change (from "not yet classified").
    A change is a flip between key and general or a different set of reason codes; it is kept as a
    history row and announced as ``enterprise.classified``. The reasons' details (dates, supporting
    facts) and ``next_review_on`` are refreshed on every evaluation.
    """
    session = uow.session
    enterprise = await enterprise_for_update(session, enterprise_id)
    await session.flush()
    facts = (await live_facts(session, [enterprise_id]))[enterprise_id]
    standing = await session.get(StandingAttributesRow, enterprise_id)
    result = domain.classify(to_standing(enterprise, standing), facts, today)
    reasons = [reason_to_dict(r) for r in result.reasons]
    codes = [c.value for c in result.codes]
    state = await session.get(ClassificationStateRow, enterprise_id)
    now = utcnow()
    previous = None if state is None else classification_dict(state.key, state.reasons)
    changed = state is None or state.key != result.key or list(state.reason_codes) != codes
    if state is None:
        state = ClassificationStateRow(enterprise_id=enterprise_id, key=result.key, changed_at=now)
        session.add(state)
    elif changed:
        state.changed_at = now
    state.key, state.reason_codes, state.reasons = result.key, codes, reasons
    state.evaluated_on, state.evaluated_at = today, now
    state.next_review_on = domain.next_change(facts, today)
    if enterprise.key_source != result.key:
        enterprise.key_source = result.key
    if not changed:
        return False
    session.add(
        ClassificationChangeRow(
            enterprise_id=enterprise_id,
            key=result.key,
            reasons=reasons,
            previous_key=None if previous is None else previous["key"],
            previous_reasons=None if previous is None else previous["reasons"],
            evaluated_on=today,
            changed_at=now,
            trigger=trigger.value,
            triggered_by=by,
        )
    )
    uow.publish(
        "classified",
        EnterpriseChanged(
            id=enterprise_id,
            jurisdiction_id=enterprise.jurisdiction_id,
            key=result.key,
            source_class=classification_dict(result.key, reasons)["source_class"],
            reasons=list(reasons),
            previous=previous,
            evaluated_on=today,
            trigger=trigger.value,
        ),
        subject=enterprise_id,
    )
    return True


class Runtime(Protocol):
    """What the periodic re-classification needs of a running service (a ``ServiceRuntime``)."""

    sessions: async_sessionmaker[AsyncSession]

    def unit_of_work(self) -> contextlib.AbstractAsyncContextManager[UnitOfWork]: ...


async def reclassify_due(runtime: Runtime, today: dt.date | None = None) -> int:
    """Re-evaluate the enterprises never evaluated or whose ``next_review_on`` has come; returns how many.

    Runs in batches of :data:`BATCH` (one transaction each). An enterprise that fails is logged and
    skipped for this run, so it never holds the others back.
    """
    day = today or china_today()
    done = 0
    failed: set[uuid.UUID] = set()
    for _ in range(MAX_BATCHES):
        async with runtime.sessions() as session:
            ids = await _due(session, day, failed)
        if not ids:
            break
        try:
            async with runtime.unit_of_work() as uow:
                for enterprise_id in ids:
                    await evaluate(uow, enterprise_id, day, trigger=Trigger.PERIODIC_REVIEW)
            done += len(ids)
        except Exception:
            log.warning("re-classification batch failed; retrying its enterprises one by one", exc_info=True)
            for enterprise_id in ids:
                try:
                    async with runtime.unit_of_work() as uow:
                        await evaluate(uow, enterprise_id, day, trigger=Trigger.PERIODIC_REVIEW)
                    done += 1
                except Exception:
                    log.exception("could not re-classify enterprise %s", enterprise_id)
                    failed.add(enterprise_id)
    return done


async def _due(session: AsyncSession, today: dt.date, skip: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Up to :data:`BATCH` enterprises to evaluate: those whose review day has come (by the
    ``next_review_on`` index), then those never evaluated."""
    skipped = list(skip)
    state = ClassificationStateRow
    due = (
        sa.select(state.enterprise_id)
        .join(EnterpriseRow, EnterpriseRow.id == state.enterprise_id)
        .where(state.next_review_on <= today, EnterpriseRow.deleted_at.is_(None))
        .order_by(state.next_review_on, state.enterprise_id)
        .limit(BATCH)
    )
    never = (
        sa.select(EnterpriseRow.id)
        .where(
            EnterpriseRow.deleted_at.is_(None),
            ~sa.exists().where(state.enterprise_id == EnterpriseRow.id),
        )
        .order_by(EnterpriseRow.id)
        .limit(BATCH)
    )
    if skipped:
        due = due.where(state.enterprise_id.not_in(skipped))
        never = never.where(EnterpriseRow.id.not_in(skipped))
    found = list((await session.execute(due)).scalars().all())
    if len(found) < BATCH:
        found += (await session.execute(never.limit(BATCH - len(found)))).scalars().all()
    return found


# ------------------------------------------------------------------------------------------ facts


@dataclass
class FactInput:
    enterprise_id: uuid.UUID
    kind: FactKind
    occurred_on: dt.date
    verified: bool | None = None
    normal_production: bool | None = None
    assessment_result: RiskLevel | None = None
    reference: str = ""
    description: str = ""


async def record_fact(uow: UnitOfWork, user: Principal, data: FactInput) -> tuple[EnterpriseFactRow, bool]:
    """Record a dated fact and re-evaluate; returns the fact and whether the classification changed."""
    enterprise = await enterprise_for_update(uow.session, data.enterprise_id)
    check_scope(user, enterprise)
    today = china_today()
    problems = domain.fact_violations(
        data.kind,
        data.occurred_on,
        today,
        verified=data.verified,
        normal_production=data.normal_production,
        assessment_result=data.assessment_result,
        reference=data.reference.strip(),
        description=data.description.strip(),
    )
    if problems:
        raise ValidationFailed("The fact is not valid (事实信息有误).", problems)
    row = EnterpriseFactRow(
        enterprise_id=enterprise.id,
        kind=data.kind.value,
        occurred_on=data.occurred_on,
        verified=data.verified,
        normal_production=data.normal_production,
        assessment_result=data.assessment_result.value if data.assessment_result else None,
        reference=data.reference.strip(),
        description=data.description.strip(),
        recorded_at=utcnow(),
        recorded_by=actor(user),
    )
    uow.session.add(row)
    await uow.session.flush()
    changed = await evaluate(uow, enterprise.id, today, trigger=Trigger.FACT_RECORDED, by=actor(user))
    return row, changed


async def withdraw_fact(
    uow: UnitOfWork, user: Principal, fact_id: uuid.UUID, reason: str
) -> tuple[EnterpriseFactRow, bool]:
    """Withdraw a fact recorded in error (it stays, marked withdrawn with the reason) and re-evaluate."""
    row = await uow.session.get(EnterpriseFactRow, fact_id)
    missing = NotFound(
        f"Fact {fact_id} does not exist or is outside your scope (事实记录不存在).", id=str(fact_id)
    )
    if row is None:
        raise missing
    enterprise = await enterprise_for_update(uow.session, row.enterprise_id)
    check_scope(user, enterprise, missing)
    if row.withdrawn_at is not None:
        raise Conflict("The fact has already been withdrawn (已撤销).", code="ALREADY_WITHDRAWN")
    problems = domain.reason_violations(reason)
    if problems:
        raise ValidationFailed("A reason is required to withdraw a fact (须填写撤销原因).", problems)
    row.withdrawn_at, row.withdrawn_by, row.withdrawn_reason = utcnow(), actor(user), reason.strip()
    await uow.session.flush()
    changed = await evaluate(
        uow, enterprise.id, china_today(), trigger=Trigger.FACT_WITHDRAWN, by=actor(user)
    )
    return row, changed


# ------------------------------------------------------------------------------------------ standing


@dataclass
class StandingInput:
    enterprise_id: uuid.UUID
    key_discharge_unit: bool | None = None
    class_i_pollutant_unit: bool | None = None
    key_solid_waste_producer: bool | None = None
    effective_on: dt.date | None = None
    note: str = ""


STANDING_FIELDS = {
    "key_discharge_unit": "key_discharge_unit_since",
    "class_i_pollutant_unit": "class_i_pollutant_unit_since",
    "key_solid_waste_producer": "key_solid_waste_producer_since",
}


async def set_standing(
    uow: UnitOfWork, user: Principal, data: StandingInput
) -> tuple[StandingAttributesRow, bool]:
    """Change standing designations (unset ones stay) and re-evaluate; the change is kept as history.

    A designation newly made takes effect on ``effective_on`` (default today); one already made keeps
    its date.
    """
    session = uow.session
    enterprise = await enterprise_for_update(session, data.enterprise_id)
    check_scope(user, enterprise)
    today = china_today()
    wanted = {name: getattr(data, name) for name in STANDING_FIELDS}
    problems: list[domain.Violation] = []
    if all(value is None for value in wanted.values()):
        problems.append({"field": "input", "message": "Set at least one attribute (至少设置一项)."})
    if data.effective_on is not None and data.effective_on > today:
        problems.append(
            {
                "field": "effectiveOn",
                "message": "A designation cannot take effect in the future (生效日期不能晚于今天).",
            }
        )
    if len(data.note) > domain.MAX_TEXT:
        problems.append({"field": "note", "message": f"At most {domain.MAX_TEXT} characters (内容过长)."})
    if problems:
        raise ValidationFailed("The standing attributes are not valid (属性信息有误).", problems)
    row = await session.get(StandingAttributesRow, enterprise.id)
    if row is None:
        row = StandingAttributesRow(enterprise_id=enterprise.id, updated_by=actor(user))
        session.add(row)
    for name, column in STANDING_FIELDS.items():
        value = wanted[name]
        if value is True and getattr(row, column) is None:
            setattr(row, column, data.effective_on or today)
        elif value is False:
            setattr(row, column, None)
    now = utcnow()
    row.updated_at, row.updated_by, row.note = now, actor(user), data.note.strip()
    session.add(
        StandingAttributesChangeRow(
            enterprise_id=enterprise.id,
            key_discharge_unit_since=row.key_discharge_unit_since,
            class_i_pollutant_unit_since=row.class_i_pollutant_unit_since,
            key_solid_waste_producer_since=row.key_solid_waste_producer_since,
            changed_at=now,
            changed_by=actor(user),
            note=row.note,
        )
    )
    await session.flush()
    changed = await evaluate(uow, enterprise.id, today, trigger=Trigger.STANDING_CHANGED, by=actor(user))
    return row, changed


# ------------------------------------------------------------------------------------------ risk labels


@dataclass
class LabelsInput:
    enterprise_id: uuid.UUID
    reason: str
    reinspected_on: dt.date | None = None
    labels: dict[str, str | None] | None = None
    """Label name (``domain.LABEL_NAMES``) → new value; names left out keep their value."""
    violations: list[domain.Violation] = field(default_factory=list)
    """Problems the caller found in the input already (reported together with the others)."""


def labels_of(row: RiskLabelsRow | None) -> dict[str, str | None] | None:
    return None if row is None else {name: getattr(row, name) for name in domain.LABEL_NAMES}


async def set_risk_labels(uow: UnitOfWork, user: Principal, data: LabelsInput) -> RiskLabelsRow:
    """Set risk labels after a re-inspection (复核); every setting is kept with who, when and why."""
    session = uow.session
    enterprise = await enterprise_for_update(session, data.enterprise_id)
    check_scope(user, enterprise)
    today = china_today()
    given = {k: v for k, v in (data.labels or {}).items() if v is not None}
    problems = [*data.violations, *domain.reason_violations(data.reason)]
    if not given:
        problems.append({"field": "input", "message": "Set at least one label (至少设置一项)."})
    if data.reinspected_on is not None and data.reinspected_on > today:
        problems.append(
            {
                "field": "reinspectedOn",
                "message": "A re-inspection cannot be in the future (复查日期不能晚于今天).",
            }
        )
    if problems:
        raise ValidationFailed("The risk labels are not valid (风险标签有误).", problems)
    row = await session.get(RiskLabelsRow, enterprise.id)
    previous = labels_of(row)
    now = utcnow()
    if row is None:
        row = RiskLabelsRow(enterprise_id=enterprise.id)
        session.add(row)
    for name, value in given.items():
        setattr(row, name, value)
    row.reinspected_on = data.reinspected_on or today
    row.reason, row.set_at, row.set_by = data.reason.strip(), now, actor(user)
    labels = {name: getattr(row, name) for name in domain.LABEL_NAMES}
    changed = domain.changed_labels(previous, labels)
    session.add(
        RiskLabelChangeRow(
            enterprise_id=enterprise.id,
            labels=labels,
            previous=previous,
            changed_labels=changed,
            reinspected_on=row.reinspected_on,
            reason=row.reason,
            changed_at=now,
            changed_by=row.set_by,
        )
    )
    overall = domain.OverallRisk(row.overall_risk) if row.overall_risk else None
    uow.publish(
        "labelled",
        EnterpriseChanged(
            id=enterprise.id,
            jurisdiction_id=enterprise.jurisdiction_id,
            labels=labels,
            previous=previous,
            changed=changed,
            required_inspections_per_year=domain.required_inspections_per_year(overall),
            reinspected_on=row.reinspected_on,
            reason=row.reason,
            labelled_by=row.set_by,
        ),
        subject=enterprise.id,
    )
    await session.flush()
    return row
