"""The archive's enterprise core through the gateway (issue #4 items 1, 7, 9, 10).

Registration with validated master data, status history, the enterprise's own Keycloak account,
agency visibility by contract scope (kept from registry events), the map and its GeoJSON.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ecosteward.clock import china_today
from ecosteward.demo import DEMO_AGENCY_ID, DEMO_ENTERPRISE_ID
from services.archive.documents.catalogue import catalogue
from tests.e2e.helpers import (
    Api,
    Keycloak,
    archive_town,
    credit_code,
    db_value,
    violations,
    wait_for_events,
)
from tests.e2e.users import ADMIN, BUREAU, DEMO_J, ENTERPRISE, PROCUREMENT, STAFF, TOWN
from tests.support import Infra, error_codes, wait_for

FIELDS = """
fragment E on Enterprise {
  id creditCode name address industryCode latitude longitude permitCategory status keySource
  jurisdiction { id name }
  statusHistory { fromStatus toStatus reason changedBy }
}"""
REGISTER = (
    "mutation($input: RegisterEnterpriseInput!) { registerEnterprise(input: $input) { ...E } }" + FIELDS
)
ENTERPRISE_Q = "query($id: ID!) { enterprise(id: $id) { ...E } }" + FIELDS
LIST = "query($filter: EnterpriseFilter) { enterprises(filter: $filter, first: 100) { totalCount edges { node { id } } } }"
STATUS = (
    """mutation($id: ID!, $status: SourceStatus!, $reason: String!) {
  changeEnterpriseStatus(id: $id, status: $status, reason: $reason) { ...E } }"""
    + FIELDS
)
MAP = "query($filter: EnterpriseFilter) { enterpriseMap(filter: $filter) { id latitude longitude } }"
GEOJSON = "query($filter: EnterpriseFilter) { enterprisesGeoJson(filter: $filter) }"
CONTRACT = """mutation($input: CreateContractInput!) { createServiceContract(input: $input) { id } }"""
SIGN = "mutation($id: ID!, $on: Date!) { signServiceContract(id: $id, signedOn: $on) { id status } }"


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    return Api(stack, service="archive")


@pytest.fixture
def accounts(stack: Infra) -> Iterator[list[str]]:
    """Enterprise accounts a test provisions; removed from Keycloak at the end."""
    names: list[str] = []
    yield names
    keycloak = Keycloak(stack)
    for name in names:
        wait_for(
            lambda n=name: (
                db_value(
                    stack,
                    "SELECT count(*) FROM keycloak_accounts WHERE username = $1 AND status = 'PENDING'",
                    n,
                    database="e2e_archive",
                )
                == 0
            ),
            timeout=20,
            what="account sync settled",
        )
        for user in keycloak.users(name):
            keycloak.delete(user["id"])


def source(jurisdiction: str = DEMO_J, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "creditCode": credit_code(),
        "name": f"测试企业{uuid.uuid4().hex[:6]}",
        "jurisdictionId": jurisdiction,
        "permitCategory": "SIMPLIFIED",
        "address": "张江路 1 号",
        "industryCode": "C2614",
        "latitude": 31.21,
        "longitude": 121.60,
    }
    data.update(changes)
    return data


def register(api: Api, user: str = BUREAU, **changes: Any) -> dict[str, Any]:
    created: dict[str, Any] = api.ok(user, REGISTER, {"input": source(**changes)})["registerEnterprise"]
    return created


def enterprise_count(stack: Infra) -> int:
    return int(db_value(stack, "SELECT count(*) FROM enterprises", database="e2e_archive"))


def new_town(api: Api) -> str:
    return archive_town(api, "测试镇")


def test_registration_validates_master_data_and_keeps_history(
    stack: Infra, api: Api, accounts: list[str]
) -> None:
    created = register(api, TOWN)
    accounts.append(created["creditCode"].lower())
    assert created["industryCode"] == "C2614" and created["status"] == "OPERATING"
    assert created["jurisdiction"]["name"] == "张江镇"
    assert [h["toStatus"] for h in created["statusHistory"]] == ["OPERATING"]
    before = enterprise_count(stack)
    bad_inputs = [
        (
            {"creditCode": created["creditCode"][:-1] + ("0" if created["creditCode"][-1] != "0" else "1")},
            "creditCode",
        ),
        ({"creditCode": "91310115MA1K4ABC1"}, "creditCode"),
        ({"industryCode": "Z12"}, "industryCode"),
        ({"industryCode": "C9899"}, "industryCode"),
        ({"latitude": 31.2, "longitude": None}, "latitude"),
        ({"latitude": 60.0, "longitude": 10.0}, "latitude"),
        ({"name": "  "}, "name"),
    ]
    for changes, field in bad_inputs:
        body = api.call(BUREAU, REGISTER, {"input": source(**changes)})
        assert error_codes(body) == ["VALIDATION_FAILED"], (changes, body)
        assert field in violations(body)
    duplicate = api.call(BUREAU, REGISTER, {"input": source(creditCode=created["creditCode"])})
    assert error_codes(duplicate) == ["CONFLICT"]
    unknown = api.call(BUREAU, REGISTER, {"input": source(jurisdiction=str(uuid.uuid4()))})
    assert error_codes(unknown) == ["UNKNOWN_JURISDICTION"]
    assert enterprise_count(stack) == before  # nothing written
    closed = api.ok(TOWN, STATUS, {"id": created["id"], "status": "CLOSED", "reason": "停产关闭"})[
        "changeEnterpriseStatus"
    ]
    assert [(h["fromStatus"], h["toStatus"], h["reason"]) for h in closed["statusHistory"]] == [
        (None, "OPERATING", "registered"),
        ("OPERATING", "CLOSED", "停产关闭"),
    ]
    assert api.codes(TOWN, STATUS, {"id": created["id"], "status": "RELOCATING", "reason": "x"}) == [
        "INVALID_TRANSITION"
    ]
    assert api.codes(TOWN, STATUS, {"id": created["id"], "status": "OPERATING", "reason": " "}) == [
        "VALIDATION_FAILED"
    ]
    wait_for_events(stack, "enterprise.status_changed", created["id"], service="archive")


def test_registering_creates_the_enterprise_account_and_closing_disables_it(
    stack: Infra, api: Api, accounts: list[str]
) -> None:
    created = register(api)
    username = created["creditCode"].lower()
    accounts.append(username)
    keycloak = Keycloak(stack)
    user = wait_for(lambda: keycloak.user(username), timeout=30, what="enterprise account in Keycloak")
    assert user["enabled"] is True
    assert user["attributes"]["enterprise_id"] == [created["id"]]
    assert "UPDATE_PASSWORD" in user["requiredActions"]  # password change at first login
    assert keycloak.realm_roles(user["id"]) >= {"enterprise_user"}
    api.ok(BUREAU, STATUS, {"id": created["id"], "status": "CLOSED", "reason": "关停"})
    wait_for(lambda: keycloak.user(username)["enabled"] is False, timeout=30, what="account disabled")  # type: ignore[index]
    api.ok(BUREAU, STATUS, {"id": created["id"], "status": "OPERATING", "reason": "复产"})
    wait_for(lambda: keycloak.user(username)["enabled"] is True, timeout=30, what="account enabled again")  # type: ignore[index]
    assert len(keycloak.users(username)) == 1  # idempotent: still one account


def test_agency_staff_see_the_sources_their_contracts_cover(
    stack: Infra, api: Api, accounts: list[str]
) -> None:
    # The demo agency's live contracts cover the whole of 张江镇.
    inside = register(api)
    town = new_town(api)
    outside = register(api, jurisdiction=town)
    accounts.extend([inside["creditCode"].lower(), outside["creditCode"].lower()])
    seen = {e["node"]["id"] for e in api.ok(STAFF, LIST)["enterprises"]["edges"]}
    assert inside["id"] in seen and outside["id"] not in seen
    # What the agency sees of a source includes its classification (another area of the archive).
    classified = api.ok(
        STAFF,
        "query($id: ID!) { enterprise(id: $id) { classification { __typename } } }",
        {"id": inside["id"]},
    )
    assert classified["enterprise"]["classification"]
    assert api.codes(STAFF, ENTERPRISE_Q, {"id": outside["id"]}) == ["NOT_FOUND"]  # issue 7 item 11
    # A contract that names the outside enterprise explicitly (分片区) opens it to the agency.
    contract = api.ok(
        BUREAU,
        CONTRACT,
        {
            "input": {
                "title": "点名企业服务",
                "agencyId": str(DEMO_AGENCY_ID),
                "jurisdictionId": town,
                "price": "50000.00",
                "startsOn": str(dt.date(china_today().year, 1, 1)),
                "endsOn": str(dt.date(china_today().year, 12, 31)),
                "serviceMode": "REMOTE",
                "contractedTasks": 4,
                "scopeEnterpriseIds": [outside["id"]],
            }
        },
    )["createServiceContract"]["id"]
    # A draft gives no access; signing does.
    assert api.codes(STAFF, ENTERPRISE_Q, {"id": outside["id"]}) == ["NOT_FOUND"]
    api.ok(BUREAU, SIGN, {"id": contract, "on": str(china_today())})
    wait_for(
        lambda: not api.codes(STAFF, ENTERPRISE_Q, {"id": outside["id"]}),
        timeout=20,
        what="contract scope applied",
    )
    assert api.ok(ADMIN, ENTERPRISE_Q, {"id": outside["id"]})["enterprise"]["id"] == outside["id"]


@pytest.mark.parametrize(
    ("user", "allowed"),
    [(BUREAU, True), (TOWN, True), (ADMIN, True), (STAFF, True), (ENTERPRISE, True), (PROCUREMENT, False)],
)
def test_who_may_list_sources(api: Api, user: str, allowed: bool) -> None:
    body = api.call(user, LIST)
    if allowed:
        assert "errors" not in body, body
    else:
        assert error_codes(body) == ["FORBIDDEN"]


def test_an_enterprise_sees_itself_only_directly_and_through_the_gateway(api: Api) -> None:
    for url in (api.gateway, api.subgraph):
        ids = {e["node"]["id"] for e in api.ok(ENTERPRISE, LIST, url=url)["enterprises"]["edges"]}
        assert ids == {str(DEMO_ENTERPRISE_ID)}
    other = next(
        e["node"]["id"]
        for e in api.ok(BUREAU, LIST)["enterprises"]["edges"]
        if e["node"]["id"] != str(DEMO_ENTERPRISE_ID)
    )
    assert api.codes(ENTERPRISE, ENTERPRISE_Q, {"id": other}) == ["NOT_FOUND"]  # issue 7 item 11
    assert api.codes(
        ENTERPRISE, STATUS, {"id": str(DEMO_ENTERPRISE_ID), "status": "CLOSED", "reason": "x"}
    ) == ["FORBIDDEN"]


def test_the_map_returns_sources_in_a_box_and_as_geojson(api: Api, accounts: list[str]) -> None:
    far = register(api, latitude=39.9, longitude=116.4)  # Beijing: outside the Pudong box
    near = register(api, latitude=31.2222, longitude=121.5555)
    accounts.extend([far["creditCode"].lower(), near["creditCode"].lower()])
    box = {
        "boundingBox": {
            "minLatitude": 31.0,
            "minLongitude": 121.3,
            "maxLatitude": 31.4,
            "maxLongitude": 121.9,
        }
    }
    points = {p["id"]: p for p in api.ok(BUREAU, MAP, {"filter": box})["enterpriseMap"]}
    assert near["id"] in points and far["id"] not in points
    assert all(31.0 <= p["latitude"] <= 31.4 for p in points.values())
    collection = api.ok(BUREAU, GEOJSON, {"filter": box})["enterprisesGeoJson"]
    assert collection["type"] == "FeatureCollection"
    feature = next(f for f in collection["features"] if f["id"] == near["id"])
    assert feature["geometry"] == {"type": "Point", "coordinates": [121.5555, 31.2222]}
    assert feature["properties"]["creditCode"] == near["creditCode"]
    inverted = {
        "boundingBox": {
            "minLatitude": 32.0,
            "minLongitude": 121.3,
            "maxLatitude": 31.0,
            "maxLongitude": 121.9,
        }
    }
    assert api.codes(BUREAU, MAP, {"filter": inverted}) == ["BAD_USER_INPUT"]
    # A town's map shows only its jurisdiction.
    town_points = {p["id"] for p in api.ok(TOWN, MAP, {"filter": box})["enterpriseMap"]}
    assert near["id"] in town_points
    assert len(api.ok(ENTERPRISE, MAP)["enterpriseMap"]) == 1


def test_the_demo_enterprise_finds_its_own_file_filled_in(api: Api) -> None:
    query = """query($id: ID!) { enterprise(id: $id) { name classification { __typename } archive {
      completeness { accounted total }
      item(code: "1") { current { fileName sha256 } }
      cleaner: item(code: "5") { electronic missingReason } } } }"""

    def filled() -> dict[str, Any] | None:
        found: dict[str, Any] = api.ok(ENTERPRISE, query, {"id": str(DEMO_ENTERPRISE_ID)})["enterprise"][
            "archive"
        ]
        return found if found["item"]["current"] else None

    archive = wait_for(filled, timeout=60, what="demo documents loaded")
    assert archive["item"]["current"]["fileName"] == "营业执照.pdf"
    assert archive["cleaner"] == {
        "electronic": False,
        "missingReason": "未纳入强制性清洁生产审核 (not subject to a mandatory audit)",
    }
    assert archive["completeness"]["accounted"] >= 4 and archive["completeness"]["total"] == len(catalogue())
