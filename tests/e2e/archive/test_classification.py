"""Key / general classification and risk labels (issue #4 items 2 and 3) through the Hive gateway.

Every test registers its own enterprises (fresh credit codes) and checks what really happened: the
GraphQL answers, rows in PostgreSQL (``e2e_archive``) and ``enterprise.classified`` /
``enterprise.labelled`` events on JetStream (``ECOSTEWARD_ARCHIVE``) — exactly one per change.
Dates are relative to ``china_today()``, so the three-year edge is tested on the real calendar.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
import uuid
from typing import Any

import pytest

from ecosteward.clock import china_today
from ecosteward.demo import DEMO_ENTERPRISE_ID
from ecosteward.events import EventEnvelope
from services.archive.classification.domain import add_years, last_day_counted, window_start
from tests.e2e.archive.documents import CREATE_JURISDICTION, REGISTER
from tests.e2e.helpers import (
    Api,
    archive_value,
    credit_code,
    db,
    events,
    iso,
    outbox_count,
    unique,
    violations,
    wait_for_events,
)
from tests.e2e.users import BUREAU, DEMO_ENTERPRISE, DEMO_J, ENTERPRISE, PROCUREMENT, STAFF, TOWN
from tests.support import Infra, wait_for

DEMO_E = DEMO_ENTERPRISE


REASON = "code message since until factIds"
CLASSIFICATION = f"""
fragment C on EnterpriseClassification {{
  enterpriseId key sourceClass asOf nextReviewOn recorded recordedAt
  reasons {{ {REASON} }}
  standing {{ keyDischargeUnit keyDischargeUnitSince classIPollutantUnit keySolidWasteProducer updatedBy note }}
}}"""
FACT = """
fragment F on EnterpriseFact {
  id kind occurredOn verified normalProduction assessmentResult reference description
  qualifies countsUntil counting recordedBy withdrawn withdrawnBy withdrawnReason
}"""
CLASSIFY = "query($id: ID!) { enterpriseClassification(enterpriseId: $id) { ...C } }" + CLASSIFICATION
RECORD = (
    "mutation($input: RecordEnterpriseFactInput!) { recordEnterpriseFact(input: $input) "
    "{ fact { ...F } classification { ...C } classificationChanged } }" + FACT + CLASSIFICATION
)
WITHDRAW = (
    "mutation($id: ID!, $reason: String!) { withdrawEnterpriseFact(id: $id, reason: $reason) "
    "{ fact { ...F } classification { ...C } classificationChanged } }" + FACT + CLASSIFICATION
)
FACTS = (
    """
query($id: ID!, $filter: EnterpriseFactFilter, $first: Int, $after: String) {
  enterpriseFacts(enterpriseId: $id, filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { ...F } }
  }
}"""
    + FACT
)
HISTORY = f"""
query($id: ID!, $first: Int, $after: String) {{
  classificationHistory(enterpriseId: $id, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{
      id key sourceClass previousKey previousSourceClass evaluatedOn changedAt trigger triggeredBy
      reasons {{ {REASON} }} previousReasons {{ code }}
    }} }}
  }}
}}"""
STANDING = (
    "mutation($input: SetEnterpriseStandingAttributesInput!) { setEnterpriseStandingAttributes(input: $input) "
    "{ ...C } }" + CLASSIFICATION
)
LABEL_FIELDS = """
fragment L on RiskLabels {
  enterpriseId overallRisk requiredInspectionsPerYear mediumRisks { medium level }
  managementGrade socialRisk environmentalRisk reinspectedOn reason setBy setAt
}"""
SET_LABELS = "mutation($input: SetRiskLabelsInput!) { setRiskLabels(input: $input) { ...L } }" + LABEL_FIELDS
LABELS = "query($id: ID!) { riskLabels(enterpriseId: $id) { ...L } }" + LABEL_FIELDS
LABEL_HISTORY = (
    """
query($id: ID!, $first: Int, $after: String) {
  riskLabelHistory(enterpriseId: $id, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id changedLabels changedAt changedBy reason labels { ...L } } }
  }
}"""
    + LABEL_FIELDS
)


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    archive = Api(stack, "archive")

    def demo_loaded() -> bool:
        body = archive.call(BUREAU, "{ enterprises(first: 5) { totalCount } }")
        return bool(body.get("data")) and body["data"]["enterprises"]["totalCount"] >= 3

    wait_for(demo_loaded, timeout=120, what="demo enterprises")
    return archive


def register(api: Api, permit: str = "REGISTRATION", jurisdiction: str = DEMO_J, user: str = BUREAU) -> str:
    data = api.ok(
        user,
        REGISTER,
        {
            "input": {
                "creditCode": credit_code(),
                "name": f"分类测试企业{uuid.uuid4().hex[:6]}",
                "jurisdictionId": jurisdiction,
                "permitCategory": permit,
            }
        },
    )
    return str(data["registerEnterprise"]["id"])


def fact(enterprise_id: str, kind: str, on: dt.date, **details: Any) -> dict[str, Any]:
    return {"input": {"enterpriseId": enterprise_id, "kind": kind, "occurredOn": iso(on), **details}}


def record(api: Api, variables: dict[str, Any], user: str = BUREAU) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(user, RECORD, variables)["recordEnterpriseFact"]
    return result


def codes(classification: dict[str, Any]) -> list[str]:
    return [r["code"] for r in classification["reasons"]]


def classified(stack: Infra, enterprise_id: str) -> list[EventEnvelope]:
    return events(stack, "enterprise.classified", enterprise_id, service="archive")


def outbox(stack: Infra, event_type: str, enterprise_id: str) -> int:
    return outbox_count(stack, event_type, enterprise_id, database="e2e_archive")


def exactly_once(stack: Infra, entity_verb: str, enterprise_id: str) -> list[EventEnvelope]:
    """Every committed event of the enterprise is on JetStream once: none lost, none doubled."""
    committed = outbox(stack, f"archive.{entity_verb}", enterprise_id)
    found = wait_for_events(stack, entity_verb, enterprise_id, count=committed, service="archive")
    time.sleep(1.0)  # anything extra would have arrived by now
    found = events(stack, entity_verb, enterprise_id, service="archive")
    assert len(found) == committed, [e.data for e in found]
    assert len({e.id for e in found}) == len(found)
    return found


def key_source(stack: Infra, enterprise_id: str) -> bool:
    return bool(
        archive_value(stack, "SELECT key_source FROM enterprises WHERE id = $1", uuid.UUID(enterprise_id))
    )


# ------------------------------------------------------------------------------------------ facts


def test_facts_change_the_classification_with_reasons_history_and_one_event_per_change(
    stack: Infra, api: Api
) -> None:
    today = china_today()
    eid = register(api)
    start = api.ok(TOWN, CLASSIFY, {"id": eid})["enterpriseClassification"]
    assert (start["key"], start["sourceClass"], start["reasons"], start["asOf"]) == (
        False,
        "GENERAL",
        [],
        iso(today),
    )

    # Two exceedances in normal production and one outside it, an unverified complaint: still general.
    x1 = record(api, fact(eid, "EXCEEDANCE", today - dt.timedelta(days=300), normalProduction=True))
    record(api, fact(eid, "EXCEEDANCE", today - dt.timedelta(days=200), normalProduction=True), user=TOWN)
    outside = record(api, fact(eid, "EXCEEDANCE", today - dt.timedelta(days=150), normalProduction=False))
    assert outside["fact"]["qualifies"] is False and outside["fact"]["counting"] is False
    heard = record(api, fact(eid, "COMPLAINT", today - dt.timedelta(days=10), verified=False))
    assert heard["classificationChanged"] is False and heard["classification"]["key"] is False
    assert x1["fact"]["countsUntil"] == iso(add_years(today - dt.timedelta(days=300), 3))

    # The third exceedance in normal production makes a key source.
    third_day = today - dt.timedelta(days=5)
    third = record(
        api, fact(eid, "EXCEEDANCE", third_day, normalProduction=True, reference="监测报告2026-77")
    )
    assert third["classificationChanged"] is True
    result = third["classification"]
    assert (result["key"], result["sourceClass"], codes(result)) == (True, "KEY", ["EXCEEDANCES"])
    (reason,) = result["reasons"]
    assert reason["since"] == iso(third_day)
    assert reason["until"] == iso(add_years(today - dt.timedelta(days=300), 3))
    assert len(reason["factIds"]) == 3 and third["fact"]["id"] in reason["factIds"]
    assert result["recorded"] is True and result["nextReviewOn"] is not None
    assert key_source(stack, eid) is True

    # A penalty three years ago (the oldest date still counting: today is its last day, except on
    # 29 Feb) still counts; one a day older has aged out.
    edge_day = window_start(today)
    edge = record(api, fact(eid, "PENALTY", edge_day, reference="沪环罚〔2023〕1号"))
    assert edge["fact"]["counting"] is True and edge["fact"]["countsUntil"] >= iso(today)
    assert edge["classificationChanged"] is True
    assert codes(edge["classification"]) == ["PENALTY", "EXCEEDANCES"]
    aged = record(api, fact(eid, "PENALTY", edge_day - dt.timedelta(days=1)))
    assert aged["fact"]["counting"] is False and aged["classificationChanged"] is False
    next_review = last_day_counted(edge_day) + dt.timedelta(days=1)
    assert aged["classification"]["nextReviewOn"] == iso(next_review)
    if edge_day == add_years(today, -3):
        assert next_review == today + dt.timedelta(days=1)

    # Withdrawing: the fact stays, marked, and the classification follows.
    gone = api.ok(BUREAU, WITHDRAW, {"id": third["fact"]["id"], "reason": "监测数据录入错误"})[
        "withdrawEnterpriseFact"
    ]
    assert gone["fact"]["withdrawn"] is True and gone["fact"]["withdrawnReason"] == "监测数据录入错误"
    assert gone["fact"]["withdrawnBy"] == BUREAU
    assert gone["classificationChanged"] is True and codes(gone["classification"]) == ["PENALTY"]
    last = api.ok(TOWN, WITHDRAW, {"id": edge["fact"]["id"], "reason": "处罚已撤销"})[
        "withdrawEnterpriseFact"
    ]
    assert last["classification"]["key"] is False and last["classification"]["reasons"] == []
    assert key_source(stack, eid) is False
    body = api.call(BUREAU, WITHDRAW, {"id": edge["fact"]["id"], "reason": "again"})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["ALREADY_WITHDRAWN"]

    # Facts: never deleted; filters by kind, withdrawn, counting today.
    listed = api.ok(TOWN, FACTS, {"id": eid})["enterpriseFacts"]
    assert listed["totalCount"] == 5
    every = api.ok(TOWN, FACTS, {"id": eid, "filter": {"includeWithdrawn": True}})["enterpriseFacts"]
    assert every["totalCount"] == 7
    counting = api.ok(TOWN, FACTS, {"id": eid, "filter": {"countingOnly": True}})["enterpriseFacts"]
    assert {n["node"]["kind"] for n in counting["edges"]} <= {"EXCEEDANCE", "PENALTY"}
    assert all(n["node"]["counting"] for n in counting["edges"])
    penalties = api.ok(TOWN, FACTS, {"id": eid, "filter": {"kinds": ["PENALTY"], "includeWithdrawn": True}})
    assert penalties["enterpriseFacts"]["totalCount"] == 2
    assert (
        archive_value(stack, "SELECT count(*) FROM enterprise_facts WHERE enterprise_id = $1", uuid.UUID(eid))
        == 7
    )

    # One event per change, exactly once on JetStream; the history has the same changes.
    found = exactly_once(stack, "enterprise.classified", eid)
    changes = [e.data for e in found if e.data["previous"] is not None]
    expected = [(True, ["EXCEEDANCES"]), (True, ["PENALTY", "EXCEEDANCES"]), (True, ["PENALTY"]), (False, [])]
    assert [(c["key"], [r["code"] for r in c["reasons"]]) for c in changes] == expected
    for before, after in itertools.pairwise(found):
        assert after.data["previous"]["key"] == before.data["key"]
        assert after.data["previous"]["reasons"] == before.data["reasons"]
    assert all(e.data["id"] == eid and e.data["jurisdiction_id"] == DEMO_J for e in found)

    first_page = api.ok(TOWN, HISTORY, {"id": eid, "first": 2})["classificationHistory"]
    assert first_page["totalCount"] == len(found)
    assert first_page["pageInfo"]["hasNextPage"] is True
    newest = first_page["edges"][0]["node"]
    assert (newest["key"], newest["trigger"]) == (found[-1].data["key"], "FACT_WITHDRAWN")
    assert newest["triggeredBy"] == TOWN
    rest = api.ok(TOWN, HISTORY, {"id": eid, "first": 50, "after": first_page["pageInfo"]["endCursor"]})
    nodes = [e["node"] for e in first_page["edges"] + rest["classificationHistory"]["edges"]]
    assert [n["key"] for n in reversed(nodes)] == [e.data["key"] for e in found]
    exceedances = next(n for n in reversed(nodes) if [r["code"] for r in n["reasons"]] == ["EXCEEDANCES"])
    assert (exceedances["previousKey"], exceedances["previousSourceClass"]) == (False, "GENERAL")
    assert exceedances["triggeredBy"] == BUREAU and exceedances["trigger"] == "FACT_RECORDED"


def test_verified_complaints_high_risk_and_standing_attributes_make_key_sources(
    stack: Infra, api: Api
) -> None:
    today = china_today()
    eid = register(api)
    complained = record(api, fact(eid, "COMPLAINT", today - dt.timedelta(days=30), verified=True))
    assert codes(complained["classification"]) == ["VERIFIED_COMPLAINT"]
    assessed = record(api, fact(eid, "RISK_ASSESSMENT", today, assessmentResult="MEDIUM"))
    assert assessed["classificationChanged"] is False and assessed["fact"]["qualifies"] is False
    high = record(api, fact(eid, "RISK_ASSESSMENT", today, assessmentResult="HIGH"))
    assert codes(high["classification"]) == ["VERIFIED_COMPLAINT", "HIGH_RISK_ASSESSMENT"]
    named = record(api, fact(eid, "NAMED_OR_VIOLATION", today - dt.timedelta(days=400)), user=TOWN)
    assert "NAMED_OR_VIOLATION" in codes(named["classification"])

    designated = api.ok(
        TOWN,
        STANDING,
        {
            "input": {
                "enterpriseId": eid,
                "keyDischargeUnit": True,
                "effectiveOn": "2024-01-01",
                "note": "2024年重点排污单位名录",
            }
        },
    )["setEnterpriseStandingAttributes"]
    assert codes(designated)[0] == "KEY_DISCHARGE_UNIT"
    assert designated["reasons"][0]["since"] == "2024-01-01" and designated["reasons"][0]["until"] is None
    assert designated["standing"]["keyDischargeUnit"] is True and designated["standing"]["updatedBy"] == TOWN
    assert designated["standing"]["note"] == "2024年重点排污单位名录"
    body = api.call(BUREAU, STANDING, {"input": {"enterpriseId": eid}})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION_FAILED"]

    # A key or simplified permit makes a key source by itself; a registration permit does not.
    simplified = register(api, "SIMPLIFIED")
    assert codes(api.ok(BUREAU, CLASSIFY, {"id": simplified})["enterpriseClassification"]) == [
        "PERMIT_SIMPLIFIED"
    ]
    demo = api.ok(ENTERPRISE, CLASSIFY, {"id": DEMO_E})["enterpriseClassification"]
    assert demo["key"] is True and "PERMIT_KEY" in codes(demo)
    exactly_once(stack, "enterprise.classified", eid)


# ------------------------------------------------------------------------------------------ labels


def test_risk_labels_are_set_after_reinspection_with_history_and_events(stack: Infra, api: Api) -> None:
    today = china_today()
    eid = register(api)
    assert api.ok(TOWN, LABELS, {"id": eid})["riskLabels"] is None
    first = api.ok(
        TOWN,
        SET_LABELS,
        {
            "input": {
                "enterpriseId": eid,
                "reason": "首次环保体检",
                "reinspectedOn": iso(today - dt.timedelta(days=1)),
                "overallRisk": "MAJOR",
                "mediumRisks": [{"medium": "WATER", "level": "HIGH"}, {"medium": "AIR", "level": "LOW"}],
                "managementGrade": "C",
                "socialRisk": "II",
                "environmentalRisk": "RED",
            }
        },
    )["setRiskLabels"]
    assert (first["overallRisk"], first["requiredInspectionsPerYear"], first["setBy"]) == ("MAJOR", 2, TOWN)
    assert first["mediumRisks"] == [{"medium": "WATER", "level": "HIGH"}, {"medium": "AIR", "level": "LOW"}]
    assert (first["managementGrade"], first["socialRisk"], first["environmentalRisk"]) == ("C", "II", "RED")

    second = api.ok(
        BUREAU,
        SET_LABELS,
        {
            "input": {
                "enterpriseId": eid,
                "reason": "复核：整改到位",
                "overallRisk": "MINOR",
                "mediumRisks": [{"medium": "WATER", "level": "MEDIUM"}],
            }
        },
    )["setRiskLabels"]
    assert (second["overallRisk"], second["requiredInspectionsPerYear"]) == ("MINOR", 1)
    assert second["mediumRisks"] == [
        {"medium": "WATER", "level": "MEDIUM"},
        {"medium": "AIR", "level": "LOW"},
    ]
    assert (second["managementGrade"], second["reinspectedOn"]) == ("C", iso(today))

    # Bad input changes nothing.
    body = api.call(
        BUREAU,
        SET_LABELS,
        {
            "input": {
                "enterpriseId": eid,
                "reason": " ",
                "reinspectedOn": iso(today + dt.timedelta(days=3)),
                "mediumRisks": [{"medium": "NOISE", "level": "LOW"}, {"medium": "NOISE", "level": "HIGH"}],
            }
        },
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION_FAILED"]
    assert violations(body) == ["mediumRisks.1.medium", "reason", "reinspectedOn"]

    current = api.ok(TOWN, LABELS, {"id": eid})["riskLabels"]
    assert current == second
    history = api.ok(TOWN, LABEL_HISTORY, {"id": eid, "first": 1})["riskLabelHistory"]
    assert history["totalCount"] == 2 and history["pageInfo"]["hasNextPage"] is True
    newest = history["edges"][0]["node"]
    assert newest["changedLabels"] == ["OVERALL_RISK", "WATER_RISK"]
    assert (newest["changedBy"], newest["reason"]) == (BUREAU, "复核：整改到位")
    older = api.ok(TOWN, LABEL_HISTORY, {"id": eid, "after": history["pageInfo"]["endCursor"]})[
        "riskLabelHistory"
    ]
    oldest = older["edges"][0]["node"]
    assert oldest["changedBy"] == TOWN and oldest["labels"]["overallRisk"] == "MAJOR"
    assert oldest["changedLabels"] == [
        "OVERALL_RISK",
        "WATER_RISK",
        "AIR_RISK",
        "MANAGEMENT_GRADE",
        "SOCIAL_RISK",
        "ENVIRONMENTAL_RISK",
    ]

    labelled = exactly_once(stack, "enterprise.labelled", eid)
    assert [e.data["labels"]["overall_risk"] for e in labelled] == ["MAJOR", "MINOR"]
    assert [e.data["required_inspections_per_year"] for e in labelled] == [2, 1]
    assert labelled[0].data["previous"] is None
    assert labelled[1].data["previous"]["overall_risk"] == "MAJOR"
    assert labelled[1].data["changed"] == ["overall_risk", "water_risk"]
    assert labelled[1].data["labelled_by"] == BUREAU


# ------------------------------------------------------------------------------------------ who may


def other_town_enterprise(api: Api) -> str:
    registry = Api(api.stack)
    created = registry.ok(
        BUREAU,
        CREATE_JURISDICTION,
        {"input": {"code": unique("C"), "name": f"分类测试镇{uuid.uuid4().hex[:4]}", "kind": "TOWN"}},
    )
    jurisdiction = str(created["createJurisdiction"]["id"])

    def registered() -> str | None:
        body = api.call(
            BUREAU,
            REGISTER,
            {
                "input": {
                    "creditCode": credit_code(),
                    "name": f"外镇企业{uuid.uuid4().hex[:6]}",
                    "jurisdictionId": jurisdiction,
                    "permitCategory": "REGISTRATION",
                }
            },
        )
        return None if body.get("errors") else str(body["data"]["registerEnterprise"]["id"])

    found: str = wait_for(registered, timeout=60, what="the archive knows the new town")
    return found


def test_who_may_read_and_write(stack: Infra, api: Api) -> None:
    today = china_today()
    outside = other_town_enterprise(api)
    own = register(api)
    penalty = fact(outside, "PENALTY", today)
    labels = {"input": {"enterpriseId": outside, "reason": "复核", "overallRisk": "MAJOR"}}
    standing = {"input": {"enterpriseId": outside, "keyDischargeUnit": True}}

    # A town officer: its own jurisdiction only, for reads and writes.
    # Another town's source answers like an unknown one (issue 7 item 11).
    for query in (CLASSIFY, FACTS, HISTORY, LABELS, LABEL_HISTORY):
        assert api.codes(TOWN, query, {"id": outside}) == ["NOT_FOUND"]
        assert "errors" not in api.call(TOWN, query, {"id": own})
    assert api.codes(TOWN, RECORD, penalty) == ["NOT_FOUND"]
    assert api.codes(TOWN, SET_LABELS, labels) == ["NOT_FOUND"]
    assert api.codes(TOWN, STANDING, standing) == ["NOT_FOUND"]
    assert "errors" not in api.call(BUREAU, RECORD, penalty)  # the bureau may
    fact_id = api.ok(BUREAU, FACTS, {"id": outside})["enterpriseFacts"]["edges"][0]["node"]["id"]
    assert api.codes(TOWN, WITHDRAW, {"id": fact_id, "reason": "越权"}) == ["NOT_FOUND"]

    # An enterprise reads its own file only and writes nothing.
    for query in (CLASSIFY, FACTS, HISTORY, LABELS, LABEL_HISTORY):
        assert "errors" not in api.call(ENTERPRISE, query, {"id": DEMO_E})
        assert api.codes(ENTERPRISE, query, {"id": own}) == ["NOT_FOUND"]
    assert api.codes(ENTERPRISE, RECORD, fact(DEMO_E, "PENALTY", today)) == ["FORBIDDEN"]
    assert api.codes(
        ENTERPRISE, SET_LABELS, {"input": {"enterpriseId": DEMO_E, "reason": "x", "overallRisk": "MINOR"}}
    ) == ["FORBIDDEN"]
    # Roles without an enterprise scope read nothing; agency staff do not write (yet).
    assert api.codes(PROCUREMENT, CLASSIFY, {"id": own}) == ["FORBIDDEN"]
    assert api.codes(STAFF, RECORD, fact(own, "PENALTY", today)) == ["FORBIDDEN"]

    # Nothing was written by the refused calls.
    written = db(
        stack,
        "SELECT enterprise_id, count(*) AS n FROM enterprise_facts WHERE enterprise_id = ANY($1::uuid[]) GROUP BY 1",
        [uuid.UUID(outside), uuid.UUID(own), DEMO_ENTERPRISE_ID],
        database="e2e_archive",
    )
    assert {str(r["enterprise_id"]): r["n"] for r in written} == {outside: 1}
    assert outbox(stack, "archive.enterprise.labelled", outside) == 0
    assert (
        archive_value(
            stack, "SELECT count(*) FROM enterprise_risk_labels WHERE enterprise_id = $1", DEMO_ENTERPRISE_ID
        )
        == 0
    )


def test_bad_input_gets_coded_errors_and_changes_nothing(stack: Infra, api: Api) -> None:
    today = china_today()
    eid = register(api)
    body = api.call(
        BUREAU,
        RECORD,
        fact(eid, "COMPLAINT", today + dt.timedelta(days=1), normalProduction=True, reference="x" * 121),
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION_FAILED"]
    assert violations(body) == ["occurredOn", "verified", "normalProduction", "reference"]
    body = api.call(BUREAU, RECORD, fact(eid, "RISK_ASSESSMENT", today))
    assert violations(body) == ["assessmentResult"]
    assert api.codes(BUREAU, RECORD, fact(str(uuid.uuid4()), "PENALTY", today)) == ["NOT_FOUND"]
    assert api.codes(BUREAU, RECORD, fact("not-an-id", "PENALTY", today)) == ["BAD_USER_INPUT"]
    assert api.codes(BUREAU, CLASSIFY, {"id": str(uuid.uuid4())}) == ["NOT_FOUND"]
    assert api.codes(BUREAU, WITHDRAW, {"id": str(uuid.uuid4()), "reason": "x"}) == ["NOT_FOUND"]
    kept = record(api, fact(eid, "PENALTY", today - dt.timedelta(days=1)))
    body = api.call(BUREAU, WITHDRAW, {"id": kept["fact"]["id"], "reason": "  "})
    assert violations(body) == ["reason"]
    assert api.codes(BUREAU, HISTORY, {"id": eid, "first": 1000}) == ["BAD_USER_INPUT"]
    rumour = {"input": {"enterpriseId": eid, "kind": "RUMOUR", "occurredOn": iso(today)}}
    assert api.call(BUREAU, RECORD, rumour).get("data") is None  # not a kind: refused by the gateway
    rows = db(
        stack,
        "SELECT kind, withdrawn_at FROM enterprise_facts WHERE enterprise_id = $1",
        uuid.UUID(eid),
        database="e2e_archive",
    )
    assert [(r["kind"], r["withdrawn_at"]) for r in rows] == [("PENALTY", None)]
    assert outbox(stack, "archive.enterprise.classified", eid) >= 1
    assert key_source(stack, eid) is True
