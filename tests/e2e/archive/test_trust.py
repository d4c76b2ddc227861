"""Archive trust (issue 7 items 1, 3, 11 and 12) on the whole stack.

* A contract's scope counts only inside its managing jurisdiction: a crafted
  ``registry.contract.signed`` event published straight to JetStream (what a registry bug or a
  forged message would deliver) naming another town's enterprise or jurisdiction opens nothing to the
  agency — not through the gateway, not at the subgraph, not over the archive's HTTP routes — and
  neither does a stored scope row kept from an older event (no managing jurisdiction).
* ``_entities`` on the archive subgraph answers exactly like ``enterprise(id)``, per role.
* "Not yours" and "not there" get the same answer on every by-id GraphQL field and HTTP route.
* Links handed out by GraphQL are absolute URLs on the archive service's own origin.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from ecosteward.clock import china_today
from ecosteward.demo import DEMO_AGENCY_ID, DEMO_JURISDICTION_ID
from ecosteward.events import EventEnvelope
from services.archive.documents.catalogue import catalogue
from tests.e2e.archive.documents import REGISTER
from tests.e2e.helpers import (
    Api,
    archive_api,
    archive_town,
    archive_value,
    credit_code,
    db,
    publish_event,
    wait_for_value,
)
from tests.e2e.users import ADMIN, BUREAU, DEMO_ENTERPRISE, DEMO_J, ENTERPRISE, PROCUREMENT, STAFF, TOWN
from tests.support import Infra, error_codes

DEMO_E = DEMO_ENTERPRISE

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

ENTERPRISE_Q = "query($id: ID!) { enterprise(id: $id) { id name creditCode address } }"
ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Enterprise { id name creditCode address } } }"""
LIST = """query($filter: EnterpriseFilter) {
  enterprises(filter: $filter, first: 100) { totalCount edges { node { id } } } }"""
ARCHIVE = "query($id: ID!) { enterpriseArchive(enterpriseId: $id) { enterpriseId items { code } } }"
COMPLETENESS = "query($id: ID!) { archiveCompleteness(enterpriseId: $id) { accounted } }"
VERSION = "query($id: ID!) { documentVersion(id: $id) { id fileName } }"
CLASSIFY = "query($id: ID!) { enterpriseClassification(enterpriseId: $id) { key } }"
FACTS = "query($id: ID!) { enterpriseFacts(enterpriseId: $id) { totalCount } }"
HISTORY = "query($id: ID!) { classificationHistory(enterpriseId: $id) { totalCount } }"
LABELS = "query($id: ID!) { riskLabels(enterpriseId: $id) { overallRisk } }"
LABEL_HISTORY = "query($id: ID!) { riskLabelHistory(enterpriseId: $id) { totalCount } }"
REQUEST = "mutation($id: ID!) { requestArchiveDownload(enterpriseId: $id) { url downloadId } }"
UPDATE = 'mutation($id: ID!) { updateEnterprise(id: $id, input: {address: "越权"}) { id } }'
STATUS = 'mutation($id: ID!) { changeEnterpriseStatus(id: $id, status: RELOCATING, reason: "越权") { id } }'
SET_STATE = """mutation($id: ID!) { setArchiveItemState(input: {enterpriseId: $id, itemCode: "2-1",
  electronic: false, paper: false, missingReason: "越权"}) { code } }"""
WITHDRAW_VERSION = 'mutation($id: ID!) { withdrawDocumentVersion(id: $id, reason: "越权") { id } }'
RECORD_FACT = """mutation($id: ID!, $on: Date!) { recordEnterpriseFact(input: {enterpriseId: $id,
  kind: PENALTY, occurredOn: $on}) { fact { id } } }"""
WITHDRAW_FACT = 'mutation($id: ID!) { withdrawEnterpriseFact(id: $id, reason: "越权") { fact { id } } }'
SET_LABELS = """mutation($id: ID!) { setRiskLabels(input: {enterpriseId: $id, reason: "越权",
  overallRisk: MAJOR}) { overallRisk } }"""
STANDING = """mutation($id: ID!) { setEnterpriseStandingAttributes(input: {enterpriseId: $id,
  keyDischargeUnit: true}) { key } }"""
LINKS = """query($id: ID!) { enterpriseArchive(enterpriseId: $id) {
  items { code uploadUrl current { id contentPath contentUrl } } } }"""

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# ------------------------------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    return archive_api(
        stack,
        (
            "the demo contracts announced to the archive with their managing jurisdiction",
            "SELECT count(*) FROM contract_scopes WHERE agency_id = $1 AND managing_jurisdiction_id = $2",
            DEMO_AGENCY_ID,
            DEMO_JURISDICTION_ID,
        ),
    )


@pytest.fixture(scope="module")
def other_town(api: Api) -> str:
    """A town that is not the demo town's (the demo agency has no contract there)."""
    return archive_town(api, "信任测试镇")


def archive_url(stack: Infra, path: str = "") -> str:
    return f"http://127.0.0.1:{stack.ports.service('archive')}{path}"


def register(api: Api, jurisdiction: str, name: str = "信任测试企业") -> str:
    data = {
        "creditCode": credit_code(),
        "name": f"{name}{uuid.uuid4().hex[:6]}",
        "jurisdictionId": jurisdiction,
        "permitCategory": "SIMPLIFIED",
        "address": "保密地址 1 号",
    }
    enterprise_id: str = api.ok(BUREAU, REGISTER, {"input": data})["registerEnterprise"]["id"]
    return enterprise_id


def upload(
    stack: Infra, token: str | None, enterprise: str, item: str = "2-1", url: str | None = None
) -> httpx.Response:
    boundary = f"----eco{uuid.uuid4().hex}"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="环评批复.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + uuid.uuid4().bytes
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    target = url or archive_url(stack, f"/archive/enterprises/{enterprise}/items/{item}/documents")
    return httpx.post(target, content=body, headers=headers, timeout=60)


def filed_version(api: Api, enterprise: str) -> str:
    """A document the bureau files for ``enterprise``; its version id."""
    response = upload(api.stack, api.token(BUREAU), enterprise)
    assert response.status_code == 201, response.text
    version: str = response.json()["id"]
    return version


def get(stack: Infra, token: str | None, path: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(archive_url(stack, path), headers=headers, timeout=60)


def content_path(version: str) -> str:
    return f"/archive/documents/{version}/content"


def versions_of(stack: Infra, enterprise: str) -> int:
    return int(
        archive_value(
            stack, "SELECT count(*) FROM document_versions WHERE enterprise_id = $1", uuid.UUID(enterprise)
        )
    )


def normalised(body: dict[str, Any]) -> str:
    """The body with every id replaced, to compare the answers for two different ids."""
    return UUID_TEXT.sub("<id>", json.dumps(body, sort_keys=True, ensure_ascii=False))


def publish_contract(
    stack: Infra,
    contract_id: str,
    managing: str,
    *,
    jurisdictions: list[str] | None = None,
    enterprises: list[str] | None = None,
    verb: str = "signed",
    status: str = "SIGNED",
) -> None:
    """Publish a registry contract event straight to JetStream (bypassing the registry's own checks)
    and wait until the archive's contract-scope consumer has applied it."""
    year = china_today().year
    envelope = EventEnvelope.new(
        "registry",
        "contract",
        verb,
        contract_id,
        {
            "id": contract_id,
            "title": "伪造的合同事件",
            "agency_id": DEMO_AGENCY_ID,
            "jurisdiction_id": managing,
            "price": "1000.00",
            "starts_on": dt.date(year, 1, 1),
            "ends_on": dt.date(year, 12, 31),
            "status": status,
            "service_mode": "REMOTE",
            "contracted_tasks": 1,
            "scope_jurisdiction_ids": jurisdictions or [],
            "scope_enterprise_ids": enterprises or [],
            "signed_on": china_today(),
        },
    )

    publish_event(stack, envelope)
    wait_for_value(
        stack,
        "SELECT count(*) FROM inbox_events WHERE consumer = 'archive--contract-scopes' AND event_id = $1",
        envelope.id,
        database="e2e_archive",
        timeout=30,
        what=f"contract event {verb} for {contract_id} applied by the archive",
    )


def sees(api: Api, user: str, enterprise: str, url: str | None = None) -> bool:
    body = api.call(user, ENTERPRISE_Q, {"id": enterprise}, url=url)
    if body.get("errors"):
        assert error_codes(body) == ["NOT_FOUND"], body
        return False
    return bool(body["data"]["enterprise"]["id"] == enterprise)


def assert_hidden_from_the_agency(api: Api, enterprise: str, version: str, jurisdiction: str) -> None:
    """Nothing of ``enterprise`` reaches the demo agency, by any way in."""
    stack = api.stack
    for user in (STAFF, ADMIN):
        for url in (api.gateway, api.subgraph):
            assert not sees(api, user, enterprise, url), (user, url)
            listed = api.ok(user, LIST, {"filter": {"jurisdictionId": jurisdiction}}, url=url)["enterprises"]
            assert listed["totalCount"] == 0 and listed["edges"] == []
            for query, variables in (
                (ARCHIVE, {"id": enterprise}),
                (COMPLETENESS, {"id": enterprise}),
                (CLASSIFY, {"id": enterprise}),
                (VERSION, {"id": version}),
            ):
                assert api.codes(user, query, variables, url=url) == ["NOT_FOUND"], (user, query)
        rep = {"r": [{"__typename": "Enterprise", "id": enterprise}]}
        assert api.codes(user, ENTITIES, rep, url=api.subgraph) == ["NOT_FOUND"]
        got = get(stack, api.token(user), content_path(version))
        assert got.status_code == 404 and PDF not in got.content, got.text
    before = versions_of(stack, enterprise)
    refused = upload(stack, api.token(STAFF), enterprise)
    assert refused.status_code == 404, refused.text
    assert versions_of(stack, enterprise) == before


# ------------------------------------------------------------------------------------------ item 1


def test_a_contract_event_reaching_outside_its_managing_jurisdiction_opens_nothing(
    api: Api, other_town: str
) -> None:
    stack = api.stack
    victim = register(api, other_town, "外镇机密企业")
    version = filed_version(api, victim)
    assert_hidden_from_the_agency(api, victim, version, other_town)

    # demo-town's own contract (managed by 张江镇) naming the other town's enterprise and the other town.
    publish_contract(stack, str(uuid.uuid4()), DEMO_J, jurisdictions=[DEMO_J], enterprises=[victim])
    publish_contract(stack, str(uuid.uuid4()), DEMO_J, jurisdictions=[other_town])
    publish_contract(
        stack, str(uuid.uuid4()), DEMO_J, jurisdictions=[DEMO_J, other_town], enterprises=[victim]
    )
    assert_hidden_from_the_agency(api, victim, version, other_town)
    # The agency keeps what the same kind of contract rightly gives it: its own town's sources.
    assert sees(api, STAFF, DEMO_E) and sees(api, ADMIN, DEMO_E)

    # The same event managed by the other town itself does open it (the pipeline works), until it ends.
    legit = str(uuid.uuid4())
    publish_contract(stack, legit, other_town, enterprises=[victim])
    assert sees(api, STAFF, victim) and sees(api, ADMIN, victim, api.subgraph)
    got = get(stack, api.token(STAFF), content_path(version))
    assert got.status_code == 200 and got.content.startswith(PDF)
    publish_contract(stack, legit, other_town, enterprises=[victim], verb="terminated", status="TERMINATED")
    assert not sees(api, STAFF, victim)


def test_the_district_reaches_the_whole_district_and_a_row_without_a_managing_jurisdiction_nothing(
    api: Api, other_town: str
) -> None:
    stack = api.stack
    district = archive_value(stack, "SELECT id FROM known_jurisdictions WHERE kind = 'DISTRICT'")
    assert district is not None, "the archive records the jurisdictions' kinds"
    assert (
        archive_value(stack, "SELECT kind FROM known_jurisdictions WHERE id = $1", uuid.UUID(other_town))
        == "TOWN"
    )

    # A bureau (district-managed) contract may name any enterprise of the district.
    by_bureau = register(api, other_town, "区级合同企业")
    contract = str(uuid.uuid4())
    publish_contract(stack, contract, str(district), enterprises=[by_bureau])
    assert sees(api, STAFF, by_bureau)
    publish_contract(
        stack, contract, str(district), enterprises=[by_bureau], verb="terminated", status="TERMINATED"
    )
    assert not sees(api, STAFF, by_bureau)

    # A scope row kept from an older event (no managing jurisdiction recorded) grants nothing ...
    legacy_victim = register(api, other_town, "旧事件企业")
    version = filed_version(api, legacy_victim)
    row = uuid.uuid4()
    db(
        stack,
        "INSERT INTO contract_scopes (id, agency_id, status, jurisdiction_ids, enterprise_ids) "
        "VALUES ($1, $2, 'ACTIVE', $3::json, $4::json)",
        row,
        DEMO_AGENCY_ID,
        json.dumps([other_town]),
        json.dumps([legacy_victim]),
        database="e2e_archive",
    )
    try:
        assert_hidden_from_the_agency(api, legacy_victim, version, other_town)
        # ... nor does one managed by a jurisdiction the archive has never heard of.
        db(
            stack,
            "UPDATE contract_scopes SET managing_jurisdiction_id = $2 WHERE id = $1",
            row,
            uuid.uuid4(),
            database="e2e_archive",
        )
        assert_hidden_from_the_agency(api, legacy_victim, version, other_town)
        # Managed by the other town, the same row does grant it (the check is not vacuous).
        db(
            stack,
            "UPDATE contract_scopes SET managing_jurisdiction_id = $2 WHERE id = $1",
            row,
            uuid.UUID(other_town),
            database="e2e_archive",
        )
        assert sees(api, STAFF, legacy_victim)
    finally:
        db(stack, "DELETE FROM contract_scopes WHERE id = $1", row, database="e2e_archive")


# ------------------------------------------------------------------------------------------ item 3


@dataclass(frozen=True)
class Targets:
    own: str  # a source of the demo town (covered by the demo agency's contracts)
    elsewhere: str  # a source of another town, never in any contract
    elsewhere_version: str
    unknown: str


@pytest.fixture(scope="module")
def targets(api: Api, other_town: str) -> Targets:
    elsewhere = register(api, other_town, "别处企业")
    return Targets(
        own=register(api, DEMO_J, "本镇企业"),
        elsewhere=elsewhere,
        elsewhere_version=filed_version(api, elsewhere),
        unknown=str(uuid.uuid4()),
    )


SEES, HIDDEN, REFUSED = "sees", "NOT_FOUND", "FORBIDDEN"
EXPECTED = {
    BUREAU: {"demo": SEES, "own": SEES, "elsewhere": SEES, "unknown": HIDDEN},
    TOWN: {"demo": SEES, "own": SEES, "elsewhere": HIDDEN, "unknown": HIDDEN},
    ADMIN: {"demo": SEES, "own": SEES, "elsewhere": HIDDEN, "unknown": HIDDEN},
    STAFF: {"demo": SEES, "own": SEES, "elsewhere": HIDDEN, "unknown": HIDDEN},
    ENTERPRISE: {"demo": SEES, "own": HIDDEN, "elsewhere": HIDDEN, "unknown": HIDDEN},
    PROCUREMENT: {"demo": REFUSED, "own": REFUSED, "elsewhere": REFUSED, "unknown": REFUSED},
}


def outcome(body: dict[str, Any], field: str, enterprise: str) -> str:
    if body.get("errors"):
        codes = error_codes(body)
        assert len(codes) == 1, body
        return codes[0]
    node = body["data"][field]
    node = node[0] if isinstance(node, list) else node
    assert node["id"] == enterprise and node["name"] and node["creditCode"], body
    return SEES


@pytest.mark.parametrize("user", list(EXPECTED))
def test_the_enterprise_reference_resolver_applies_the_by_id_rule(
    api: Api, targets: Targets, user: str
) -> None:
    ids = {"demo": DEMO_E, "own": targets.own, "elsewhere": targets.elsewhere, "unknown": targets.unknown}
    answers: dict[str, str] = {}
    for name, enterprise in ids.items():
        by_id = api.call(user, ENTERPRISE_Q, {"id": enterprise}, url=api.subgraph)
        through_gateway = api.call(user, ENTERPRISE_Q, {"id": enterprise})
        entities = api.call(
            user, ENTITIES, {"r": [{"__typename": "Enterprise", "id": enterprise}]}, url=api.subgraph
        )
        found = outcome(by_id, "enterprise", enterprise)
        assert outcome(through_gateway, "enterprise", enterprise) == found, (user, name)
        assert outcome(entities, "_entities", enterprise) == found, (user, name, entities)
        answers[name] = found
        if found != SEES:  # and the very same message, whichever way it was asked
            assert [e["message"] for e in entities["errors"]] == [e["message"] for e in by_id["errors"]]
    assert answers == EXPECTED[user]


# ------------------------------------------------------------------------------------------ item 11

ENTERPRISE_READS = [ENTERPRISE_Q, ARCHIVE, COMPLETENESS, CLASSIFY, FACTS, HISTORY, LABELS, LABEL_HISTORY]


def same_answer(api: Api, user: str, query: str, forbidden: dict[str, Any], unknown: dict[str, Any]) -> None:
    """``query`` with an id of ``user``'s' reach and with an unknown id: one NOT_FOUND, same body."""
    refused = api.call(user, query, forbidden)
    missing = api.call(user, query, unknown)
    assert error_codes(refused) == ["NOT_FOUND"], (user, query, refused)
    assert normalised(refused) == normalised(missing), (user, query, refused, missing)


@pytest.mark.parametrize("user", [TOWN, ENTERPRISE, STAFF])
def test_by_id_reads_answer_not_found_alike(api: Api, targets: Targets, user: str) -> None:
    for query in ENTERPRISE_READS:
        same_answer(api, user, query, {"id": targets.elsewhere}, {"id": targets.unknown})
    same_answer(api, user, VERSION, {"id": targets.elsewhere_version}, {"id": str(uuid.uuid4())})


def test_by_id_writes_answer_not_found_alike(stack: Infra, api: Api, targets: Targets) -> None:
    today = str(china_today())
    writes: list[tuple[str, str, dict[str, Any]]] = [
        (TOWN, UPDATE, {}),
        (TOWN, STATUS, {}),
        (TOWN, SET_STATE, {}),
        (TOWN, RECORD_FACT, {"on": today}),
        (TOWN, SET_LABELS, {}),
        (TOWN, STANDING, {}),
        (TOWN, REQUEST, {}),
        (ENTERPRISE, SET_STATE, {}),
        (ENTERPRISE, REQUEST, {}),
        (STAFF, SET_STATE, {}),
    ]
    for user, query, extra in writes:
        same_answer(api, user, query, {"id": targets.elsewhere, **extra}, {"id": targets.unknown, **extra})
    for user in (TOWN, ENTERPRISE, STAFF):
        same_answer(api, user, WITHDRAW_VERSION, {"id": targets.elsewhere_version}, {"id": str(uuid.uuid4())})
    fact = api.ok(BUREAU, RECORD_FACT, {"id": targets.elsewhere, "on": today})["recordEnterpriseFact"][
        "fact"
    ]["id"]
    same_answer(api, TOWN, WITHDRAW_FACT, {"id": fact}, {"id": str(uuid.uuid4())})
    # Nothing was written by the refused calls.
    assert versions_of(stack, targets.elsewhere) == 1
    assert (
        archive_value(
            stack,
            "SELECT count(*) FROM enterprise_facts WHERE enterprise_id = $1 AND withdrawn_at IS NULL",
            uuid.UUID(targets.elsewhere),
        )
        == 1
    )
    assert api.ok(BUREAU, ENTERPRISE_Q, {"id": targets.elsewhere})["enterprise"]["address"] == "保密地址 1 号"
    # Refusals by role stay FORBIDDEN, whatever the id.
    for enterprise in (targets.elsewhere, targets.unknown):
        assert api.codes(PROCUREMENT, ENTERPRISE_Q, {"id": enterprise}) == ["FORBIDDEN"]
        assert api.codes(STAFF, REQUEST, {"id": enterprise}) == ["FORBIDDEN"]


@pytest.mark.parametrize("user", [TOWN, ENTERPRISE, STAFF, ADMIN])
def test_document_content_answers_404_alike(api: Api, targets: Targets, user: str) -> None:
    stack = api.stack
    token = api.token(user)
    refused = get(stack, token, content_path(targets.elsewhere_version))
    missing = get(stack, token, content_path(str(uuid.uuid4())))
    assert refused.status_code == missing.status_code == 404, refused.text
    assert normalised(refused.json()) == normalised(missing.json())
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for path in (content_path(targets.elsewhere_version), content_path(str(uuid.uuid4()))):
        assert get(stack, None, path).status_code == 401


@pytest.mark.parametrize("user", [TOWN, ENTERPRISE, STAFF])
def test_uploads_answer_404_alike(api: Api, targets: Targets, user: str) -> None:
    stack = api.stack
    refused = upload(stack, api.token(user), targets.elsewhere)
    missing = upload(stack, api.token(user), targets.unknown)
    assert refused.status_code == missing.status_code == 404, refused.text
    assert normalised(refused.json()) == normalised(missing.json())
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert versions_of(stack, targets.elsewhere) == 1


def test_upload_refusals_by_role_or_token_do_not_depend_on_the_id(api: Api, targets: Targets) -> None:
    stack = api.stack
    for token, status in ((api.token(PROCUREMENT), 403), (api.token(ADMIN), 403), (None, 401)):
        refused = upload(stack, token, targets.elsewhere)
        missing = upload(stack, token, targets.unknown)
        assert refused.status_code == missing.status_code == status, refused.text
        assert normalised(refused.json()) == normalised(missing.json())
    assert versions_of(stack, targets.elsewhere) == 1


def test_download_links_answer_alike_for_unknown_and_tampered_ids(api: Api, targets: Targets) -> None:
    link = api.ok(BUREAU, REQUEST, {"id": targets.elsewhere})["requestArchiveDownload"]
    parts = urlsplit(link["url"])
    tampered = httpx.get(
        f"{archive_url(api.stack, parts.path)}?{parts.query.replace('signature=', 'signature=0')}"
    )
    unknown = httpx.get(archive_url(api.stack, f"/archive/downloads/{uuid.uuid4()}?{parts.query}"))
    assert tampered.status_code == unknown.status_code
    assert normalised(tampered.json()) == normalised(unknown.json())
    assert b"PK" not in tampered.content


# ------------------------------------------------------------------------------------------ item 12


@pytest.fixture
def own_filed(api: Api, targets: Targets) -> Iterator[str]:
    yield filed_version(api, targets.own)


def test_links_are_absolute_urls_on_the_archive_service(api: Api, targets: Targets, own_filed: str) -> None:
    stack = api.stack
    base = archive_url(stack)  # no ECOSTEWARD_ARCHIVE_PUBLIC_URL in the test stack: its own address
    archive = api.ok(BUREAU, LINKS, {"id": targets.own}, url=api.subgraph)["enterpriseArchive"]
    items = {i["code"]: i for i in archive["items"]}
    assert len(items) == len(catalogue())
    for code, item in items.items():
        assert item["uploadUrl"] == f"{base}/archive/enterprises/{targets.own}/items/{code}/documents"
    current = items["2-1"]["current"]
    assert current["id"] == own_filed
    assert current["contentUrl"] == base + current["contentPath"]
    assert urlsplit(current["contentUrl"]).scheme == "http" and urlsplit(current["contentUrl"]).netloc

    # The links work as handed out: upload to uploadUrl, read from contentUrl.
    posted = upload(stack, api.token(TOWN), targets.own, url=items["9-10"]["uploadUrl"])
    assert posted.status_code == 201, posted.text
    content_url = posted.json()["contentUrl"]
    assert content_url.startswith(base + "/archive/documents/")
    got = httpx.get(content_url, headers={"authorization": f"Bearer {api.token(TOWN)}"}, timeout=30)
    assert got.status_code == 200 and got.content.startswith(PDF)

    # The ZIP link, through the gateway as well.
    link = api.ok(TOWN, REQUEST, {"id": targets.own})["requestArchiveDownload"]["url"]
    assert link.startswith(f"{base}/archive/downloads/")
    zipped = httpx.get(link, timeout=60)
    assert zipped.status_code == 200 and zipped.content.startswith(b"PK")
