"""The archive's documents as their users meet them (issue #4 items 4 and 5): uploads over HTTP to the
archive service, the archive, history and completeness through the gateway.

Each test makes its own enterprise (registered by the bureau) unless it is about the demo enterprise's
own account, and checks what really happened: rows in PostgreSQL (``e2e_archive``), events in the
outbox and on JetStream (``ECOSTEWARD_ARCHIVE``), and files in the stack's blob directory. Every
refused upload must leave no row, no event and no file behind.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from ecosteward.clock import china_date
from ecosteward.demo import DEMO_AGENCY_ID
from services.archive.documents.catalogue import catalogue
from tests.e2e.archive.documents import REGISTER
from tests.e2e.helpers import (
    DEMO_ENTERPRISE_IN_ARCHIVE,
    DEMO_TOWN_IN_ARCHIVE,
    Api,
    archive_api,
    archive_town,
    credit_code,
    db,
    db_value,
    violations,
    wait_for_events,
    wait_for_value,
)
from tests.e2e.users import ADMIN, BUREAU, DEMO_ENTERPRISE, DEMO_J, ENTERPRISE, PROCUREMENT, STAFF, TOWN
from tests.support import Infra

DEMO_E = DEMO_ENTERPRISE

MiB = 1 << 20
LIMIT = 50 * MiB  # the default ECOSTEWARD_ARCHIVE_MAX_UPLOAD_BYTES

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
DOCX = b"PK\x03\x04\x14\x00\x06\x00"

VERSION_FIELDS = """
fragment V on DocumentVersion {
  id enterpriseId itemCode version fileName contentType size sha256 uploadedBy uploadedAt
  supersededAt withdrawnAt withdrawnReason withdrawnBy retainUntil status contentPath
}"""
ARCHIVE = (
    """query($id: ID!, $withdrawn: Boolean) { enterpriseArchive(enterpriseId: $id) {
  enterpriseId
  completeness { accounted total ratio complete missingItemCodes }
  items { code categoryNo categoryName name nameEn requiredWhen electronic paper missingReason accounted
    current { ...V }
    versions(includeWithdrawn: $withdrawn) { totalCount edges { node { ...V } } } }
} }"""
    + VERSION_FIELDS
)
CATALOGUE = "{ archiveCatalogue { code categoryNo categoryName name nameEn requiredWhen } }"
COMPLETENESS = "query($id: ID!) { archiveCompleteness(enterpriseId: $id) { enterpriseId accounted total ratio complete missingItemCodes } }"
JURISDICTION_COMPLETENESS = """query($id: ID!) { jurisdictionArchiveCompleteness(jurisdictionId: $id) {
  jurisdictionId enterprises completeEnterprises accounted total ratio jurisdiction { id name } } }"""
SET_STATE = """mutation($input: SetArchiveItemStateInput!) { setArchiveItemState(input: $input) {
  code electronic paper missingReason accounted current { id } } }"""
WITHDRAW = (
    "mutation($id: ID!, $reason: String!) { withdrawDocumentVersion(id: $id, reason: $reason) { ...V } }"
    + VERSION_FIELDS
)
VERSION = "query($id: ID!) { documentVersion(id: $id) { ...V } }" + VERSION_FIELDS


# ------------------------------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    return archive_api(stack, DEMO_TOWN_IN_ARCHIVE, DEMO_ENTERPRISE_IN_ARCHIVE)


def archive_url(stack: Infra, path: str) -> str:
    return f"http://127.0.0.1:{stack.ports.service('archive')}{path}"


def blob_root(stack: Infra) -> Path:
    return stack.work_dir / "e2e-data" / "blobs"


def register(api: Api, jurisdiction: str = DEMO_J) -> str:
    data = {
        "creditCode": credit_code(),
        "name": f"档案测试企业{uuid.uuid4().hex[:6]}",
        "jurisdictionId": jurisdiction,
        "permitCategory": "SIMPLIFIED",
    }
    enterprise_id: str = api.ok(BUREAU, REGISTER, {"input": data})["registerEnterprise"]["id"]
    return enterprise_id


def new_town(api: Api) -> str:
    return archive_town(api, "档案镇")


def multipart(file_name: str, content_type: str | None, data: bytes, boundary: str) -> tuple[bytes, bytes]:
    """The bytes before and after the file's content of a one-file multipart/form-data body."""
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'.encode()
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n".encode()
    return head + b"\r\n", f"\r\n--{boundary}--\r\n".encode()


def upload(
    stack: Infra,
    token: str | None,
    enterprise: str,
    item: str,
    file_name: str,
    data: bytes,
    content_type: str | None = "application/pdf",
    chunked: bool = False,
) -> httpx.Response:
    """POST one file as multipart/form-data (``chunked``: streamed without a Content-Length)."""
    boundary = f"----eco{uuid.uuid4().hex}"
    head, tail = multipart(file_name, content_type, data, boundary)
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    url = archive_url(stack, f"/archive/enterprises/{enterprise}/items/{item}/documents")

    def pieces() -> Iterator[bytes]:
        yield head
        for start in range(0, len(data), MiB):
            yield data[start : start + MiB]
        yield tail

    content: Any = pieces() if chunked else head + data + tail
    return httpx.post(url, content=content, headers=headers, timeout=120)


def ok_upload(
    stack: Infra, token: str, enterprise: str, item: str, name: str, data: bytes, **kw: Any
) -> dict[str, Any]:
    response = upload(stack, token, enterprise, item, name, data, **kw)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def content(stack: Infra, token: str | None, path: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(archive_url(stack, path), headers=headers, timeout=60)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def versions_in_db(stack: Infra, enterprise: str) -> list[Any]:
    return db(
        stack,
        "SELECT * FROM document_versions WHERE enterprise_id = $1 ORDER BY item_code, version",
        uuid.UUID(enterprise),
        database="e2e_archive",
    )


def uploaded_events(stack: Infra, enterprise: str) -> int:
    return int(
        db_value(
            stack,
            "SELECT count(*) FROM outbox_events WHERE event_type = 'archive.document.uploaded'"
            " AND envelope->'data'->>'enterprise_id' = $1",
            enterprise,
            database="e2e_archive",
        )
    )


def stray_files(stack: Infra, enterprise: str) -> list[Path]:
    """Files of this enterprise in the blob store, and temporary files anywhere in it."""
    root = blob_root(stack)
    mine = (
        list((root / "enterprises" / enterprise).rglob("*"))
        if (root / "enterprises" / enterprise).exists()
        else []
    )
    temps = [p for p in root.rglob(".tmp-*")] if root.exists() else []
    return mine + temps


def item_of(archive: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in archive["items"] if i["code"] == code)
    return found


# ------------------------------------------------------------------------------------------ tests


def test_the_catalogue_is_table_e1(api: Api) -> None:
    items = api.ok(ENTERPRISE, CATALOGUE)["archiveCatalogue"]
    assert len(items) == len(catalogue())
    assert [i["code"] for i in items[:9]] == ["1", "2-1", "2-2", "2-3", "3-1", "3-2", "4-1", "4-2", "5"]
    assert items[-1] == {
        "code": "9-14",
        "categoryNo": 9,
        "categoryName": "图片资料",
        "name": "污染痕迹照片（若有）",
        "nameEn": "Photos of pollution traces (if any)",
        "requiredWhen": "if any",
    }


def test_upload_supersede_withdraw_and_history(stack: Infra, api: Api) -> None:
    enterprise = register(api)
    town = api.token(TOWN)
    first = PDF + os.urandom(300_000)
    v1 = ok_upload(stack, town, enterprise, "1", "营业执照（正本）.pdf", first)
    assert v1["version"] == 1 and v1["itemCode"] == "1" and v1["status"] == "CURRENT"
    assert v1["fileName"] == "营业执照（正本）.pdf" and v1["contentType"] == "application/pdf"
    assert v1["size"] == len(first) and v1["sha256"] == hashlib.sha256(first).hexdigest()
    assert v1["uploadedBy"] == TOWN and v1["supersededVersionId"] is None
    assert v1["contentPath"] == f"/archive/documents/{v1['id']}/content"
    # The bytes are in the blob store under a key made of ids only.
    stored = blob_root(stack) / "enterprises" / enterprise / "1" / v1["id"]
    assert stored.read_bytes() == first

    # A second upload (as the bureau, a large file streamed without Content-Length) supersedes the first.
    second = PDF + os.urandom(20 * MiB)
    v2 = ok_upload(stack, api.token(BUREAU), enterprise, "1", "licence-2026.pdf", second, chunked=True)
    assert v2["version"] == 2 and v2["supersededVersionId"] == v1["id"]
    assert v2["sha256"] == hashlib.sha256(second).hexdigest() and v2["size"] == len(second)
    rows = {str(r["id"]): r for r in versions_in_db(stack, enterprise)}
    assert rows[v1["id"]]["superseded_at"] is not None and rows[v2["id"]]["superseded_at"] is None
    assert (rows[v2["id"]]["retain_until"] - china_date(rows[v2["id"]]["uploaded_at"])).days >= 5 * 365
    item = db(
        stack,
        "SELECT electronic, paper FROM archive_items WHERE enterprise_id = $1 AND item_code = '1'",
        uuid.UUID(enterprise),
        database="e2e_archive",
    )
    assert [tuple(r) for r in item] == [(True, None)]

    # The archive through the gateway: the current version and the history, newest first.
    archive = api.ok(TOWN, ARCHIVE, {"id": enterprise})["enterpriseArchive"]
    licence = item_of(archive, "1")
    assert licence["electronic"] is True and licence["accounted"] is True
    assert licence["current"]["id"] == v2["id"] and licence["current"]["uploadedBy"] == BUREAU
    history = [e["node"] for e in licence["versions"]["edges"]]
    assert [(v["version"], v["status"]) for v in history] == [(2, "CURRENT"), (1, "SUPERSEDED")]
    assert (
        archive["completeness"]["accounted"] == 1 and "1" not in archive["completeness"]["missingItemCodes"]
    )

    # Each version's content streams back with its name.
    got = content(stack, town, v1["contentPath"])
    assert got.status_code == 200 and got.content == first
    assert got.headers["content-type"] == "application/pdf"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "营业执照（正本）.pdf"
    assert content(stack, town, v2["contentPath"]).content == second
    inline = content(stack, town, v2["contentPath"] + "?inline=1")
    assert inline.headers["content-disposition"].startswith("inline;")

    # Withdrawing the current version: soft, with a reason; the item has no current version any more.
    assert violations(api.call(TOWN, WITHDRAW, {"id": v2["id"], "reason": "  "})) == ["reason"]
    withdrawn = api.ok(TOWN, WITHDRAW, {"id": v2["id"], "reason": "上传错误：非本企业执照"})[
        "withdrawDocumentVersion"
    ]
    assert withdrawn["status"] == "WITHDRAWN" and withdrawn["withdrawnBy"] == TOWN
    assert withdrawn["withdrawnReason"] == "上传错误：非本企业执照"
    assert api.codes(TOWN, WITHDRAW, {"id": v2["id"], "reason": "again"}) == ["ALREADY_WITHDRAWN"]
    archive = api.ok(TOWN, ARCHIVE, {"id": enterprise, "withdrawn": False})["enterpriseArchive"]
    licence = item_of(archive, "1")
    assert licence["current"] is None and licence["electronic"] is None and not licence["accounted"]
    assert [e["node"]["version"] for e in licence["versions"]["edges"]] == [1]
    archive = api.ok(BUREAU, ARCHIVE, {"id": enterprise})["enterpriseArchive"]
    assert [e["node"]["status"] for e in item_of(archive, "1")["versions"]["edges"]] == [
        "WITHDRAWN",
        "SUPERSEDED",
    ]
    # Nothing is deleted: both rows and both files stay; the withdrawn one is for the bureau only.
    assert len(versions_in_db(stack, enterprise)) == 2 and stored.exists()
    refused = content(stack, town, v2["contentPath"])
    assert refused.status_code == 403 and error_code(refused) == "FORBIDDEN"
    assert content(stack, api.token(BUREAU), v2["contentPath"]).content == second
    assert api.ok(BUREAU, VERSION, {"id": v2["id"]})["documentVersion"]["status"] == "WITHDRAWN"

    # The events: in the outbox with the change, and on JetStream.
    assert uploaded_events(stack, enterprise) == 2
    wait_for_events(stack, "document.uploaded", v2["id"], service="archive")
    [event] = wait_for_events(stack, "document.withdrawn", v2["id"], service="archive")
    assert event.data["withdrawn_reason"] == "上传错误：非本企业执照" and event.data["was_current"] is True


def test_item_states_and_completeness(stack: Infra, api: Api) -> None:
    enterprise = register(api)
    bureau = api.token(BUREAU)
    ok_upload(stack, bureau, enterprise, "1", "licence.pdf", PDF + b"x" * 100)
    ok_upload(stack, bureau, enterprise, "9-10", "gate.jpg", JPEG + b"x" * 100, content_type="image/jpeg")
    ok_upload(
        stack,
        bureau,
        enterprise,
        "8-1",
        "制度.docx",
        DOCX + b"x" * 100,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )

    def state(code: str, electronic: bool, paper: bool, reason: str | None = None) -> dict[str, Any]:
        data = {"enterpriseId": enterprise, "itemCode": code, "electronic": electronic, "paper": paper}
        if reason is not None:
            data["missingReason"] = reason
        return api.call(TOWN, SET_STATE, {"input": data})

    # A reason is required whenever a copy is missing; "electronic: yes" needs a filed version.
    assert violations(state("6-1", False, True)) == ["missingReason"]
    assert violations(state("6-1", False, False, "   ")) == ["missingReason"]
    assert violations(state("6-1", True, True)) == ["electronic"]
    assert violations(state("1", False, True, "lost")) == ["electronic"]
    assert api.codes(
        TOWN,
        SET_STATE,
        {
            "input": {
                "enterpriseId": enterprise,
                "itemCode": "6-9",
                "electronic": False,
                "paper": False,
                "missingReason": "x",
            }
        },
    ) == ["UNKNOWN_ITEM_CODE"]
    recorded = state("6-1", False, False, "非危险废物产生单位，不适用")["data"]["setArchiveItemState"]
    assert recorded == {
        "code": "6-1",
        "electronic": False,
        "paper": False,
        "missingReason": "非危险废物产生单位，不适用",
        "accounted": True,
        "current": None,
    }
    paper_missing = state("1", True, False, "纸质档在搬迁中遗失")["data"]["setArchiveItemState"]
    assert paper_missing["accounted"] and paper_missing["paper"] is False and paper_missing["current"]
    # Only the paper copy missing does not explain a missing electronic copy.
    assert not state("6-2", True, False, "x").get("data")

    figure = api.ok(TOWN, COMPLETENESS, {"id": enterprise})["archiveCompleteness"]
    assert (figure["accounted"], figure["total"], figure["complete"]) == (4, len(catalogue()), False)
    assert figure["ratio"] == pytest.approx(4 / len(catalogue()))
    assert {"1", "9-10", "8-1", "6-1"}.isdisjoint(figure["missingItemCodes"])
    assert len(figure["missingItemCodes"]) == 31
    assert (
        db_value(
            stack,
            "SELECT count(*) FROM outbox_events WHERE event_type = 'archive.archive_item.state_set'"
            " AND envelope->'data'->>'enterprise_id' = $1",
            enterprise,
            database="e2e_archive",
        )
        == 2
    )

    # Per jurisdiction: a town of its own, two sources (one closed sources would not count).
    town_id = new_town(api)
    first, second = register(api, town_id), register(api, town_id)
    for code in ("1", "2-1", "3-1"):
        ok_upload(stack, bureau, first, code, f"{code}.pdf", PDF + b"y")
    figure = api.ok(BUREAU, JURISDICTION_COMPLETENESS, {"id": town_id})["jurisdictionArchiveCompleteness"]
    assert figure["jurisdictionId"] == town_id and figure["jurisdiction"]["name"] == "档案镇"
    assert (figure["enterprises"], figure["completeEnterprises"], figure["accounted"], figure["total"]) == (
        2,
        0,
        3,
        70,
    )
    assert figure["ratio"] == pytest.approx(3 / 70)
    assert second
    # A town sees only its own jurisdiction's figure; an enterprise none.
    assert api.codes(TOWN, JURISDICTION_COMPLETENESS, {"id": town_id}) == ["FORBIDDEN"]
    assert (
        api.ok(TOWN, JURISDICTION_COMPLETENESS, {"id": DEMO_J})["jurisdictionArchiveCompleteness"][
            "enterprises"
        ]
        >= 1
    )
    assert api.codes(ENTERPRISE, JURISDICTION_COMPLETENESS, {"id": DEMO_J}) == ["FORBIDDEN"]
    assert api.codes(BUREAU, JURISDICTION_COMPLETENESS, {"id": str(uuid.uuid4())}) == ["UNKNOWN_JURISDICTION"]


def test_an_enterprise_files_its_own_archive_and_nobody_elses(stack: Infra, api: Api) -> None:
    token = api.token(ENTERPRISE)
    photo = JPEG + os.urandom(5000)
    mine = ok_upload(stack, token, DEMO_E, "9-10", "正门.jpg", photo, content_type="image/jpeg")
    assert mine["enterpriseId"] == DEMO_E and mine["uploadedBy"] == ENTERPRISE
    assert content(stack, token, mine["contentPath"]).content == photo
    archive = api.ok(ENTERPRISE, ARCHIVE, {"id": DEMO_E})["enterpriseArchive"]
    assert item_of(archive, "9-10")["current"]["id"] == mine["id"]

    other = register(api)
    theirs = ok_upload(stack, api.token(BUREAU), other, "1", "licence.pdf", PDF + b"z")
    before = uploaded_events(stack, other)
    refused = upload(stack, token, other, "1", "licence.pdf", PDF + b"mine now")
    assert refused.status_code == 404 and error_code(refused) == "NOT_FOUND"  # issue 7 item 11
    assert len(versions_in_db(stack, other)) == 1 and uploaded_events(stack, other) == before
    assert [p.name for p in stray_files(stack, other) if p.is_file()] == [theirs["id"]]
    # Nor may it read another's archive or files.
    assert api.codes(ENTERPRISE, ARCHIVE, {"id": other}) == ["NOT_FOUND"]
    assert api.codes(ENTERPRISE, COMPLETENESS, {"id": other}) == ["NOT_FOUND"]
    assert api.codes(ENTERPRISE, VERSION, {"id": theirs["id"]}) == ["NOT_FOUND"]
    got = content(stack, token, theirs["contentPath"])
    assert got.status_code == 404 and error_code(got) == "NOT_FOUND"
    assert api.codes(ENTERPRISE, WITHDRAW, {"id": theirs["id"], "reason": "x"}) == ["NOT_FOUND"]


def test_agency_staff_file_for_the_sources_their_contracts_cover(stack: Infra, api: Api) -> None:
    wait_for_value(
        stack,
        "SELECT count(*) FROM contract_scopes WHERE agency_id = $1",
        DEMO_AGENCY_ID,
        database="e2e_archive",
        timeout=60,
        what="the demo contract's scope announced to the archive",
    )
    covered = register(api)
    version = ok_upload(stack, api.token(STAFF), covered, "8-2", "监测报告.pdf", PDF + b"report")
    assert version["uploadedBy"] == STAFF
    elsewhere = register(api, new_town(api))
    refused = upload(stack, api.token(STAFF), elsewhere, "8-2", "监测报告.pdf", PDF + b"report")
    assert refused.status_code == 404 and error_code(refused) == "NOT_FOUND"  # issue 7 item 11
    # The agency's manager reads, but filing is field work; procurement neither.
    assert api.ok(ADMIN, COMPLETENESS, {"id": covered})["archiveCompleteness"]["accounted"] == 1
    for user in (ADMIN, PROCUREMENT):
        refused = upload(stack, api.token(user), covered, "8-2", "x.pdf", PDF)
        assert refused.status_code == 403 and error_code(refused) == "FORBIDDEN"
    assert api.codes(PROCUREMENT, ARCHIVE, {"id": covered}) == ["FORBIDDEN"]
    assert len(versions_in_db(stack, elsewhere)) == 0 and len(versions_in_db(stack, covered)) == 1


REFUSALS: list[tuple[str, dict[str, Any], int, str]] = [
    ("oversize, streamed", {"data": PDF + b"\0" * LIMIT, "chunked": True}, 413, "PAYLOAD_TOO_LARGE"),
    ("oversize, declared length", {"data": PDF + b"\0" * LIMIT}, 413, "PAYLOAD_TOO_LARGE"),
    (
        "html",
        {"content_type": "text/html", "name": "x.html", "data": b"<html></html>"},
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    ("png bytes declared as pdf", {"data": PNG + b"x" * 100}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    (
        "executable as octet-stream",
        {"content_type": "application/octet-stream", "name": "setup.exe", "data": b"MZ\x90\x00"},
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    (
        "pdf name, executable bytes",
        {"content_type": "application/octet-stream", "name": "a.pdf", "data": b"MZ\x90\x00" * 50},
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    ("path traversal", {"name": "../../etc/passwd"}, 400, "BAD_USER_INPUT"),
    ("absolute path", {"name": "/etc/passwd"}, 400, "BAD_USER_INPUT"),
    ("control characters", {"name": "licence\x01\x1b[2J.pdf"}, 400, "BAD_USER_INPUT"),
    ("empty file", {"data": b""}, 400, "BAD_USER_INPUT"),
    ("no token", {"token": None}, 401, "UNAUTHENTICATED"),
    ("bad token", {"token": "not.a.token"}, 401, "UNAUTHENTICATED"),
    ("unknown item code", {"item": "9-15"}, 400, "UNKNOWN_ITEM_CODE"),
    ("another enterprise's account", {"token": ENTERPRISE}, 404, "NOT_FOUND"),  # issue 7 item 11
    ("procurement role", {"token": PROCUREMENT}, 403, "FORBIDDEN"),
]


@pytest.mark.parametrize(("what", "changes", "status", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_uploads_write_nothing(
    stack: Infra, api: Api, what: str, changes: dict[str, Any], status: int, code: str
) -> None:
    enterprise = register(api)
    token = changes.get("token", TOWN)
    sent = dict(
        token=api.token(token) if token in (TOWN, ENTERPRISE, PROCUREMENT) else token,
        enterprise=enterprise,
        item=changes.get("item", "2-1"),
        file_name=changes.get("name", "环评批复.pdf"),
        data=changes.get("data", PDF + b"content"),
        content_type=changes.get("content_type", "application/pdf"),
        chunked=changes.get("chunked", False),
    )
    response = upload(stack, **sent)
    assert response.status_code == status, (what, response.text)
    assert error_code(response) == code, response.text
    assert response.json()["errors"][0]["message"]
    assert versions_in_db(stack, enterprise) == []
    assert uploaded_events(stack, enterprise) == 0
    assert (
        db_value(
            stack,
            "SELECT count(*) FROM archive_items WHERE enterprise_id = $1",
            uuid.UUID(enterprise),
            database="e2e_archive",
        )
        == 0
    )
    assert stray_files(stack, enterprise) == []


def test_other_malformed_requests(stack: Infra, api: Api) -> None:
    enterprise = register(api)
    token = api.token(BUREAU)
    url = archive_url(stack, f"/archive/enterprises/{enterprise}/items/1/documents")
    auth = {"authorization": f"Bearer {token}"}
    not_multipart = httpx.post(url, json={"file": "x"}, headers=auth, timeout=30)
    assert not_multipart.status_code == 415 and error_code(not_multipart) == "UNSUPPORTED_MEDIA_TYPE"
    no_file = httpx.post(url, data={"note": "x"}, files={"other": ("a.pdf", PDF)}, headers=auth, timeout=30)
    assert no_file.status_code == 400 and error_code(no_file) == "BAD_USER_INPUT"
    unknown = upload(stack, token, str(uuid.uuid4()), "1", "a.pdf", PDF)
    assert unknown.status_code == 404 and error_code(unknown) == "NOT_FOUND"
    bad_id = upload(stack, token, "not-an-id", "1", "a.pdf", PDF)
    assert bad_id.status_code == 400 and error_code(bad_id) == "BAD_USER_INPUT"
    # A standard client (httpx's own multipart encoder) works, with extra fields ignored.
    ok = httpx.post(
        url,
        data={"note": "from a form"},
        files={"file": ("营业执照.pdf", PDF + b"1", "application/pdf")},
        headers=auth,
        timeout=30,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["fileName"] == "营业执照.pdf"
    # Content: no token, unknown version, malformed id.
    path = ok.json()["contentPath"]
    assert content(stack, None, path).status_code == 401
    assert content(stack, token, f"/archive/documents/{uuid.uuid4()}/content").status_code == 404
    assert content(stack, token, "/archive/documents/nope/content").status_code == 400
    assert versions_in_db(stack, enterprise)[0]["file_name"] == "营业执照.pdf"


PAGE = """query($id: ID!, $first: Int, $after: String) { enterpriseArchive(enterpriseId: $id) {
  item(code: "4-1") { current { version } versions(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { version status } } } } } }"""


def test_concurrent_uploads_of_one_item_get_consecutive_versions(stack: Infra, api: Api) -> None:
    enterprise = register(api)
    token = api.token(BUREAU)
    files = [PDF + f"plan {n}".encode() + os.urandom(50_000) for n in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(
            pool.map(lambda data: upload(stack, token, enterprise, "4-1", "应急预案.pdf", data), files)
        )
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    rows = versions_in_db(stack, enterprise)
    assert sorted(r["version"] for r in rows) == [1, 2, 3, 4, 5, 6]
    live = [r for r in rows if r["superseded_at"] is None]
    assert len(live) == 1 and live[0]["version"] == 6
    assert {r["sha256"] for r in rows} == {hashlib.sha256(f).hexdigest() for f in files}
    assert uploaded_events(stack, enterprise) == 6

    # The history pages like every list.
    item = api.ok(TOWN, PAGE, {"id": enterprise, "first": 4})["enterpriseArchive"]["item"]
    assert item["current"]["version"] == 6
    page = item["versions"]
    assert page["totalCount"] == 6 and page["pageInfo"]["hasNextPage"]
    assert [e["node"]["version"] for e in page["edges"]] == [6, 5, 4, 3]
    after = page["pageInfo"]["endCursor"]
    rest = api.ok(TOWN, PAGE, {"id": enterprise, "first": 4, "after": after})["enterpriseArchive"]["item"]
    assert [e["node"]["version"] for e in rest["versions"]["edges"]] == [2, 1]
    assert not rest["versions"]["pageInfo"]["hasNextPage"]
