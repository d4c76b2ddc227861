"""Classification use cases on SQLite with the real unit of work and the archive's migrations:
evaluate, the periodic re-classification, facts, standing attributes, risk labels (moved from the
unit tests; the pure rules stay in ``tests/unit/archive/test_classification_domain.py``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ecosteward.clock import china_today
from ecosteward.errors import Conflict, NotFound, ValidationFailed
from services.archive.base import TABLES
from services.archive.classification import service
from services.archive.classification.domain import FactKind, last_day_counted
from services.archive.classification.models import (
    ClassificationChangeRow,
    ClassificationStateRow,
    EnterpriseFactRow,
    RiskLabelChangeRow,
)
from services.archive.enterprises.models import EnterpriseRow
from tests.service.support import ServiceDb, service_db
from tests.unit.strategies import user

D = dt.date


# ------------------------------------------------------------------------------------------ use cases (SQLite)

TOWN, OTHER_TOWN = uuid.UUID(int=11), uuid.UUID(int=12)
BUREAU = user("bureau_officer")
TOWN_OFFICER = user("town_officer", jurisdiction=TOWN)
OTHER_TOWN_OFFICER = user("town_officer", jurisdiction=OTHER_TOWN)


Runtime = ServiceDb
"""What the periodic job needs of a running service: sessions and units of work."""


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with service_db("archive", TABLES, tmp_path) as db:
        yield db


async def add_enterprise(rt: Runtime, permit: str = "REGISTRATION", town: uuid.UUID = TOWN) -> uuid.UUID:
    async with rt.unit_of_work() as uow:
        row = EnterpriseRow(
            credit_code=uuid.uuid4().hex[:18].upper(),
            name="企业",
            jurisdiction_id=town,
            permit_category=permit,
            status="OPERATING",
        )
        uow.session.add(row)
        await uow.session.flush()
        return row.id


async def classified_events(rt: Runtime, enterprise_id: uuid.UUID) -> list[dict[str, Any]]:
    async with rt.sessions() as session:
        rows = await session.execute(
            sa.select(TABLES.outbox.c.envelope)
            .where(TABLES.outbox.c.event_type == "archive.enterprise.classified")
            .order_by(TABLES.outbox.c.seq)
        )
        return [e["data"] for e in rows.scalars() if e["subject"] == str(enterprise_id)]


async def history(rt: Runtime, enterprise_id: uuid.UUID) -> list[ClassificationChangeRow]:
    async with rt.sessions() as session:
        rows = await session.execute(
            sa.select(ClassificationChangeRow)
            .where(ClassificationChangeRow.enterprise_id == enterprise_id)
            .order_by(ClassificationChangeRow.changed_at)
        )
        return list(rows.scalars())


async def key_source(rt: Runtime, enterprise_id: uuid.UUID) -> bool:
    async with rt.sessions() as session:
        row = await session.get(EnterpriseRow, enterprise_id)
        assert row is not None
        return row.key_source


async def test_first_evaluation_is_recorded_then_only_changes_are(runtime: Runtime) -> None:
    eid = await add_enterprise(runtime, "KEY")
    today = china_today()
    async with runtime.unit_of_work() as uow:
        assert await service.evaluate(uow, eid, today) is True
    async with runtime.unit_of_work() as uow:
        assert await service.evaluate(uow, eid, today) is False
    events = await classified_events(runtime, eid)
    assert len(events) == 1
    assert events[0]["key"] is True and events[0]["previous"] is None
    assert [r["code"] for r in events[0]["reasons"]] == ["PERMIT_KEY"]
    assert await key_source(runtime, eid) is True
    assert len(await history(runtime, eid)) == 1


async def test_a_fact_reclassifies_at_once_and_the_job_ages_it_out(runtime: Runtime) -> None:
    eid = await add_enterprise(runtime)
    today = china_today()
    occurred = today - dt.timedelta(days=10)
    async with runtime.unit_of_work() as uow:
        fact, changed = await service.record_fact(
            uow,
            TOWN_OFFICER,
            service.FactInput(eid, FactKind.PENALTY, occurred, reference="沪环罚〔2026〕1号"),
        )
    assert changed and await key_source(runtime, eid)
    async with runtime.sessions() as session:
        state = await session.get(ClassificationStateRow, eid)
        assert state is not None
        assert state.next_review_on == last_day_counted(occurred) + dt.timedelta(days=1)
    # Nothing is due before the penalty ages out; on that day the job makes the source general.
    assert await service.reclassify_due(runtime, state.next_review_on - dt.timedelta(days=1)) == 0
    assert await service.reclassify_due(runtime, state.next_review_on) == 1
    assert await key_source(runtime, eid) is False
    events = await classified_events(runtime, eid)
    assert [(e["key"], e["previous"] and e["previous"]["key"]) for e in events] == [
        (True, None),
        (False, True),
    ]
    assert events[-1]["trigger"] == "PERIODIC_REVIEW" and events[-1]["reasons"] == []
    assert [h.trigger for h in await history(runtime, eid)] == ["FACT_RECORDED", "PERIODIC_REVIEW"]
    assert fact.recorded_by == "u"


async def test_the_job_touches_only_enterprises_due_or_never_evaluated(runtime: Runtime) -> None:
    today = china_today()
    evaluated = [await add_enterprise(runtime) for _ in range(3)]
    for eid in evaluated:
        async with runtime.unit_of_work() as uow:
            await service.evaluate(uow, eid, today)
    fresh = await add_enterprise(runtime, "SIMPLIFIED")
    assert await service.reclassify_due(runtime, today) == 1
    assert await key_source(runtime, fresh) is True
    assert await service.reclassify_due(runtime, today + dt.timedelta(days=400)) == 0


async def test_withdrawing_a_fact_reclassifies_and_keeps_the_fact(runtime: Runtime) -> None:
    eid = await add_enterprise(runtime)
    today = china_today()
    facts = []
    for n in range(3):
        async with runtime.unit_of_work() as uow:
            data = service.FactInput(
                eid, FactKind.EXCEEDANCE, today - dt.timedelta(days=n), normal_production=True
            )
            fact, changed = await service.record_fact(uow, BUREAU, data)
            facts.append(fact)
    assert await key_source(runtime, eid)
    async with runtime.unit_of_work() as uow:
        _, changed = await service.withdraw_fact(uow, BUREAU, facts[0].id, "录入错误")
    assert changed and not await key_source(runtime, eid)
    with pytest.raises(Conflict):
        async with runtime.unit_of_work() as uow:
            await service.withdraw_fact(uow, BUREAU, facts[0].id, "again")
    async with runtime.sessions() as session:
        kept = await session.get(EnterpriseFactRow, facts[0].id)
        assert kept is not None and kept.withdrawn_reason == "录入错误" and kept.withdrawn_by == "u"
    keys = [e["key"] for e in await classified_events(runtime, eid)]
    assert keys == [False, True, False]  # first evaluation (general), the third exceedance, the withdrawal


async def test_writes_outside_scope_or_invalid_change_nothing(runtime: Runtime) -> None:
    eid = await add_enterprise(runtime)
    today = china_today()
    with pytest.raises(NotFound):  # another town's source answers like an unknown one (issue 7 item 11)
        async with runtime.unit_of_work() as uow:
            await service.record_fact(
                uow, OTHER_TOWN_OFFICER, service.FactInput(eid, FactKind.PENALTY, today)
            )
    with pytest.raises(ValidationFailed) as failed:
        async with runtime.unit_of_work() as uow:
            await service.record_fact(uow, BUREAU, service.FactInput(eid, FactKind.COMPLAINT, today))
    assert failed.value.extensions is not None
    assert [v["field"] for v in failed.value.extensions["violations"]] == ["verified"]
    with pytest.raises(NotFound):
        async with runtime.unit_of_work() as uow:
            await service.record_fact(uow, BUREAU, service.FactInput(uuid.uuid4(), FactKind.PENALTY, today))
    with pytest.raises(ValidationFailed):
        async with runtime.unit_of_work() as uow:
            await service.set_standing(uow, BUREAU, service.StandingInput(eid))
    async with runtime.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(EnterpriseFactRow)) == 0
    assert await classified_events(runtime, eid) == []


async def test_standing_attributes_make_a_key_source_and_back(runtime: Runtime) -> None:
    eid = await add_enterprise(runtime)
    since = china_today() - dt.timedelta(days=30)
    async with runtime.unit_of_work() as uow:
        row, changed = await service.set_standing(
            uow, TOWN_OFFICER, service.StandingInput(eid, key_solid_waste_producer=True, effective_on=since)
        )
    assert changed and row.key_solid_waste_producer_since == since
    async with runtime.unit_of_work() as uow:
        _, changed = await service.set_standing(
            uow, TOWN_OFFICER, service.StandingInput(eid, class_i_pollutant_unit=False)
        )
    assert not changed
    async with runtime.unit_of_work() as uow:
        _, changed = await service.set_standing(
            uow, TOWN_OFFICER, service.StandingInput(eid, key_solid_waste_producer=False)
        )
    assert changed
    events = await classified_events(runtime, eid)
    assert [[r["code"] for r in e["reasons"]] for e in events] == [["KEY_SOLID_WASTE_PRODUCER"], []]
    assert events[0]["reasons"][0]["since"] == since.isoformat()


async def test_risk_labels_keep_every_setting(runtime: Runtime) -> None:
    eid = await add_enterprise(runtime)
    async with runtime.unit_of_work() as uow:
        row = await service.set_risk_labels(
            uow,
            TOWN_OFFICER,
            service.LabelsInput(eid, "首次评估", labels={"overall_risk": "MAJOR", "water_risk": "HIGH"}),
        )
    assert row.overall_risk == "MAJOR"
    async with runtime.unit_of_work() as uow:
        row = await service.set_risk_labels(
            uow, BUREAU, service.LabelsInput(eid, "复核整改到位", labels={"overall_risk": "GENERAL"})
        )
    assert (row.overall_risk, row.water_risk, row.reason) == ("GENERAL", "HIGH", "复核整改到位")
    with pytest.raises(ValidationFailed):
        async with runtime.unit_of_work() as uow:
            await service.set_risk_labels(uow, BUREAU, service.LabelsInput(eid, " ", labels={}))
    async with runtime.sessions() as session:
        changes = list(
            (
                await session.execute(
                    sa.select(RiskLabelChangeRow)
                    .where(RiskLabelChangeRow.enterprise_id == eid)
                    .order_by(RiskLabelChangeRow.changed_at)
                )
            ).scalars()
        )
        labelled = (
            await session.execute(
                sa.select(TABLES.outbox.c.envelope).where(
                    TABLES.outbox.c.event_type == "archive.enterprise.labelled"
                )
            )
        ).scalars()
        events = [e["data"] for e in labelled]
    assert [c.changed_labels for c in changes] == [["overall_risk", "water_risk"], ["overall_risk"]]
    assert [c.changed_by for c in changes] == ["u", "u"]
    assert [e["required_inspections_per_year"] for e in events] == [2, 1]
    assert events[1]["previous"]["overall_risk"] == "MAJOR"
