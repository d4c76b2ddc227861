"""Archive self-service download through the real stack (issue #4 item 6; items 10/11, bad input).

An enterprise asks the gateway for a signed link, fetches its whole archive from the archive service
as one ZIP laid out by E.1 category and item with the cover sheet, and every download is in the log.
Tampered, expired and reused links are refused with 403 and stream nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import time
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from openpyxl import load_workbook

from ecosteward.demo import DEMO_ENTERPRISE_ID, DEMO_JURISDICTION_ID
from services.archive.documents.catalogue import catalogue
from services.archive.downloads.coversheet import HEADER_ROWS
from services.archive.downloads.domain import COVER_SHEET_NAME, sign_link
from services.archive.downloads.service import SECRET_FILE
from tests.e2e.archive.documents import REGISTER, REQUEST_DOWNLOAD
from tests.e2e.helpers import (
    DEMO_ENTERPRISE_IN_ARCHIVE,
    Api,
    archive_api,
    credit_code,
    db,
    db_value,
    wait_for_events,
)
from tests.e2e.users import BUREAU, ENTERPRISE, STAFF, TOWN
from tests.support import Infra, wait_for

DEMO = str(DEMO_ENTERPRISE_ID)
OTHER_DEMO = str(uuid.uuid5(uuid.NAMESPACE_URL, "ecosteward:enterprise:91310115MA1K4ABD2"))

REQUEST = REQUEST_DOWNLOAD
LOG = """query($filter: ArchiveDownloadFilter, $first: Int, $after: String) {
  archiveDownloads(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id enterpriseId requestedBy requestedByRole requestedAt expiresAt startedAt completedAt
      outcome bytesSent filesCount clientIp enterprise { id name }
    } }
  }
}"""


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    return archive_api(stack, DEMO_ENTERPRISE_IN_ARCHIVE)


def archive_base(stack: Infra) -> str:
    return f"http://127.0.0.1:{stack.ports.service('archive')}"


def local(stack: Infra, url: str) -> str:
    """Links point at the archive service that issued them (its real port)."""
    assert url.startswith(archive_base(stack) + "/archive/downloads/"), url
    return url


def request_link(api: Api, user: str, enterprise: str) -> dict[str, Any]:
    link: dict[str, Any] = api.ok(user, REQUEST, {"id": enterprise})["requestArchiveDownload"]
    return link


def fetch(stack: Infra, url: str) -> httpx.Response:
    return httpx.get(local(stack, url), timeout=120)


def download_row(stack: Infra, download_id: str) -> Any:
    rows = db(
        stack, "SELECT * FROM archive_downloads WHERE id = $1", uuid.UUID(download_id), database="e2e_archive"
    )
    return rows[0] if rows else None


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


def flip_last(text: str) -> str:
    return text[:-1] + ("A" if text[-1] != "A" else "B")


def link_parts(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path.rsplit("/", 1)[-1], {k: v[0] for k, v in parse_qs(parts.query).items()}


# ------------------------------------------------------------------------------------ filing documents


@dataclass
class Filed:
    id: str
    item_code: str
    file_name: str
    version: int
    data: bytes


PDF = b"%PDF-1.7\n"
JPEG = b"\xff\xd8\xff\xe0"
PNG = b"\x89PNG\r\n\x1a\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def file_document(
    api: Api, enterprise: str, item_code: str, file_name: str, data: bytes, content_type: str
) -> Filed:
    """Upload a document through the documents area's route (it becomes the item's current version)."""
    response = httpx.post(
        f"{archive_base(api.stack)}/archive/enterprises/{enterprise}/items/{item_code}/documents",
        files={"file": (file_name, data, content_type)},
        headers={"authorization": f"Bearer {api.token(BUREAU)}"},
        timeout=120,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    return Filed(body["id"], item_code, body["fileName"], body["version"], data)


def record_item(
    stack: Infra, enterprise: str, item_code: str, electronic: bool, paper: bool, reason: str
) -> None:
    db(
        stack,
        """INSERT INTO archive_items (id, enterprise_id, item_code, electronic, paper, missing_reason,
             updated_at, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, now(), 'e2e-downloads')
           ON CONFLICT (enterprise_id, item_code)
           DO UPDATE SET electronic = $4, paper = $5, missing_reason = $6""",
        uuid.uuid4(),
        uuid.UUID(enterprise),
        item_code,
        electronic,
        paper,
        reason,
        database="e2e_archive",
    )


def live_versions(stack: Infra, enterprise: str) -> list[Any]:
    return db(
        stack,
        """SELECT id, item_code, version, file_name, size, sha256 FROM document_versions
           WHERE enterprise_id = $1 AND superseded_at IS NULL AND withdrawn_at IS NULL""",
        uuid.UUID(enterprise),
        database="e2e_archive",
    )


@pytest.fixture(scope="module")
def demo_files(api: Api, stack: Infra) -> dict[str, Filed]:
    """The demo enterprise's archive: a licence uploaded twice (v1 superseded), a permit, a photo, a
    monitoring spreadsheet; item 5 recorded missing with its reason, 3-1's paper copy recorded."""
    e = DEMO
    files = {
        "licence-old": file_document(api, e, "1", "营业执照.pdf", PDF + b"old licence", "application/pdf"),
        "licence": file_document(api, e, "1", "营业执照.pdf", PDF + os.urandom(300_000), "application/pdf"),
        "permit": file_document(
            api, e, "3-1", "排污许可证正本.pdf", PDF + os.urandom(120_000), "application/pdf"
        ),
        "photo": file_document(api, e, "9-11", "车间.jpg", JPEG + os.urandom(50_000), "image/jpeg"),
        "ledger": file_document(
            api,
            e,
            "8-2",
            "2026年自行监测.xls",
            OLE2 + "日期,COD\n".encode() * 5000,
            "application/vnd.ms-excel",
        ),
    }
    # Item states are recorded straight in the database (the documents area owns their API).
    record_item(stack, e, "5", False, False, "非清洁生产审核强制企业，未开展审核")
    record_item(stack, e, "3-1", True, True, "")
    return files


# ------------------------------------------------------------------------------------ the download


def test_an_enterprise_downloads_its_own_archive_as_one_zip(
    api: Api, stack: Infra, demo_files: dict[str, Filed]
) -> None:
    link = request_link(api, ENTERPRISE, DEMO)
    expires = dt.datetime.fromisoformat(link["expiresAt"])
    assert 0 < (expires - dt.datetime.now(dt.UTC)).total_seconds() <= 300
    assert link["url"].split("?")[0].endswith(f"/archive/downloads/{link['downloadId']}")

    response = fetch(stack, link["url"])
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/zip"
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[0] == COVER_SHEET_NAME
    # Layout: <category no> <category name>/<item code> <item name>/<file name>.
    assert "1 企业基本信息/1 营业执照/营业执照.pdf" in names
    assert "3 排污许可执行情况/3-1 排污许可证正本（副本）/排污许可证正本.pdf" in names
    assert "9 图片资料/9-11 重点区域照片/车间.jpg" in names
    assert "8 内部环保管理制度及其他文件资料/8-2 环境监测类报告/2026年自行监测.xls" in names
    # Only the latest live version: the old licence is not in the ZIP.
    assert archive.read("1 企业基本信息/1 营业执照/营业执照.pdf") == demo_files["licence"].data
    ledger = archive.getinfo("8 内部环保管理制度及其他文件资料/8-2 环境监测类报告/2026年自行监测.xls")
    assert ledger.compress_type == zipfile.ZIP_DEFLATED and ledger.compress_size < ledger.file_size
    assert archive.getinfo("9 图片资料/9-11 重点区域照片/车间.jpg").compress_type == zipfile.ZIP_STORED
    # Every live version of the enterprise (whoever filed it) is in, byte for byte.
    live = live_versions(stack, DEMO)
    contents = {hashlib.sha256(archive.read(name)).hexdigest() for name in names if name != COVER_SHEET_NAME}
    assert len(names) == len(live) + 1
    assert {row["sha256"] for row in live} == contents
    assert all(len(name.split("/")) == 3 for name in names[1:])

    # The cover sheet: one row per E.1 item, what is filed and what is missing and why.
    sheet = load_workbook(io.BytesIO(archive.read(COVER_SHEET_NAME))).active
    assert sheet is not None
    rows = {
        str(row[1]): row
        for row in sheet.iter_rows(min_row=HEADER_ROWS + 2, values_only=True)
        if row[1] is not None
    }
    assert len(rows) >= len(catalogue())
    assert sheet["B3"].value == db_value(
        stack, "SELECT credit_code FROM enterprises WHERE id = $1", DEMO_ENTERPRISE_ID, database="e2e_archive"
    )
    licence = rows["1"]
    assert licence[3] == "是 yes"
    licence_sha = hashlib.sha256(demo_files["licence"].data).hexdigest()
    assert (
        f"营业执照.pdf · v{demo_files['licence'].version} · {len(demo_files['licence'].data)} B" in licence[5]
    )
    assert licence_sha in licence[5]
    assert rows["3-1"][3:5] == ("是 yes", "是 yes") and not rows["3-1"][6]
    assert rows["5"][3] == "否 no" and rows["5"][4] == "否 no"
    assert "非清洁生产审核强制企业，未开展审核" in rows["5"][6]
    assert rows["2-2"][3] == "否 no" and "未说明原因" in rows["2-2"][6]

    # The log: who, when, what went out — bytes are the bytes the client received.
    row = wait_for(
        lambda: (r := download_row(stack, link["downloadId"])) is not None and r["completed_at"] and r,
        timeout=15,
        what="download logged",
    )
    assert row["outcome"] == "COMPLETED"
    assert row["bytes_sent"] == len(response.content)
    assert row["files_count"] == len(live)
    assert row["requested_by"] == ENTERPRISE and row["requested_by_role"] == "enterprise_user"
    assert row["client_ip"] == "127.0.0.1"
    assert row["started_at"] <= row["completed_at"]
    wait_for_events(stack, "download.requested", link["downloadId"], service="archive")
    (event,) = wait_for_events(stack, "download.completed", link["downloadId"], service="archive")
    assert event.data["bytes_sent"] == len(response.content)
    assert event.data["enterprise_id"] == DEMO

    # A link is used once.
    again = fetch(stack, link["url"])
    assert again.status_code == 403 and error_code(again) == "DOWNLOAD_LINK_INVALID"
    assert download_row(stack, link["downloadId"])["bytes_sent"] == len(response.content)


def test_a_link_for_one_enterprise_never_serves_another(api: Api, stack: Infra) -> None:
    mine = request_link(api, BUREAU, DEMO)
    theirs = request_link(api, BUREAU, OTHER_DEMO)
    my_id, my_query = link_parts(mine["url"])
    their_id, _ = link_parts(theirs["url"])
    # A's link with B's enterprise id.
    response = fetch(stack, with_query(mine["url"], enterprise=OTHER_DEMO))
    assert response.status_code == 403 and error_code(response) == "DOWNLOAD_LINK_INVALID"
    assert "PK" not in response.text
    # A's signature on B's download.
    response = fetch(stack, mine["url"].replace(my_id, their_id))
    assert response.status_code == 403 and error_code(response) == "DOWNLOAD_LINK_INVALID"
    # Tampered signature, a later expiry, no signature at all, a made-up id.
    for changed in (
        with_query(mine["url"], signature=flip_last(my_query["signature"])),
        with_query(mine["url"], expires=str(int(my_query["expires"]) + 3600)),
        mine["url"].split("?")[0],
        mine["url"].replace(my_id, str(uuid.uuid4())),
        mine["url"].replace(my_id, "not-a-download"),
    ):
        response = fetch(stack, changed)
        assert response.status_code == 403 and error_code(response) == "DOWNLOAD_LINK_INVALID", changed
    # Refusals stream nothing and log nothing: both downloads are still pending and unused.
    for download_id in (my_id, their_id):
        row = download_row(stack, download_id)
        assert row["outcome"] == "PENDING" and row["started_at"] is None and row["bytes_sent"] == 0
    # A HEAD (a link preview) checks the link without using it up.
    head = httpx.head(local(stack, mine["url"]), timeout=10)
    assert head.status_code == 200 and head.headers["content-type"] == "application/zip"
    assert download_row(stack, my_id)["outcome"] == "PENDING"
    # The genuine link still works, for A only.
    response = fetch(stack, mine["url"])
    assert response.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist()[0] == COVER_SHEET_NAME


def test_an_expired_link_is_refused(api: Api, stack: Infra) -> None:
    link = request_link(api, ENTERPRISE, DEMO)
    download_id, _ = link_parts(link["url"])
    secret = (stack.work_dir / "e2e-data" / SECRET_FILE).read_text().strip().encode()
    # The same link, genuinely signed, with an expiry one second in the past.
    past = int(time.time()) - 1
    signature = sign_link(secret, uuid.UUID(download_id), DEMO_ENTERPRISE_ID, past)
    response = fetch(stack, with_query(link["url"], expires=str(past), signature=signature))
    assert response.status_code == 403 and error_code(response) == "DOWNLOAD_LINK_EXPIRED"
    assert download_row(stack, download_id)["outcome"] == "PENDING"
    # Cutting the expiry short in the log expires the real link (revocation).
    db(
        stack,
        "UPDATE archive_downloads SET expires_at = now() - interval '1 second' WHERE id = $1",
        uuid.UUID(download_id),
        database="e2e_archive",
    )
    response = fetch(stack, link["url"])
    assert response.status_code == 403 and error_code(response) == "DOWNLOAD_LINK_EXPIRED"
    row = download_row(stack, download_id)
    assert row["outcome"] == "PENDING" and row["bytes_sent"] == 0
    # The log shows such a link as expired.
    nodes = [
        e["node"]
        for e in api.ok(BUREAU, LOG, {"filter": {"enterpriseId": DEMO}, "first": 200})["archiveDownloads"][
            "edges"
        ]
    ]
    assert next(n for n in nodes if n["id"] == download_id)["outcome"] == "EXPIRED"


# ------------------------------------------------------------------------------------ who may download


def test_only_your_own_archive_or_your_scope(api: Api, stack: Infra) -> None:
    before = int(db_value(stack, "SELECT count(*) FROM archive_downloads", database="e2e_archive"))
    # Another's source and an unknown id answer alike (issue 7 item 11).
    assert api.codes(ENTERPRISE, REQUEST, {"id": OTHER_DEMO}) == ["NOT_FOUND"]
    assert api.codes(ENTERPRISE, REQUEST, {"id": str(uuid.uuid4())}) == ["NOT_FOUND"]
    assert api.codes(STAFF, REQUEST, {"id": DEMO}) == ["FORBIDDEN"]
    assert api.codes("demo-procurement", REQUEST, {"id": DEMO}) == ["FORBIDDEN"]
    assert int(db_value(stack, "SELECT count(*) FROM archive_downloads", database="e2e_archive")) == before
    # A town for its own jurisdiction's sources; the bureau for any.
    assert request_link(api, TOWN, OTHER_DEMO)["downloadId"]
    elsewhere = register_elsewhere(api, stack)
    assert api.codes(TOWN, REQUEST, {"id": elsewhere}) == ["NOT_FOUND"]
    assert request_link(api, BUREAU, elsewhere)["downloadId"]


def register_elsewhere(api: Api, stack: Infra) -> str:
    """A source in another jurisdiction than the demo town's."""
    other_town = db_value(
        stack,
        "SELECT id FROM known_jurisdictions WHERE id <> $1 ORDER BY code LIMIT 1",
        DEMO_JURISDICTION_ID,
        database="e2e_archive",
    )
    assert other_town is not None
    body = api.ok(
        BUREAU,
        REGISTER,
        {
            "input": {
                "creditCode": credit_code(),
                "name": f"下载测试企业{uuid.uuid4().hex[:6]}",
                "jurisdictionId": str(other_town),
                "permitCategory": "REGISTRATION",
            }
        },
    )
    enterprise: str = body["registerEnterprise"]["id"]
    return enterprise


def test_bad_input_is_refused_with_a_code(api: Api, stack: Infra) -> None:
    assert api.codes(BUREAU, REQUEST, {"id": "not-an-id"}) == ["BAD_USER_INPUT"]
    assert api.codes(BUREAU, REQUEST, {"id": str(uuid.uuid4())}) == ["NOT_FOUND"]
    assert api.codes(BUREAU, LOG, {"first": 1000}) == ["BAD_USER_INPUT"]
    assert api.codes(BUREAU, LOG, {"after": "garbage"}) == ["BAD_USER_INPUT"]
    assert api.codes(
        BUREAU, LOG, {"filter": {"from": "2026-02-01T00:00:00+08:00", "to": "2026-01-01T00:00:00+08:00"}}
    ) == ["BAD_USER_INPUT"]
    assert api.codes(BUREAU, LOG, {"filter": {"enterpriseId": "x"}}) == ["BAD_USER_INPUT"]
    assert api.codes(STAFF, LOG) == ["FORBIDDEN"]
    response = httpx.get(f"{archive_base(stack)}/archive/downloads/{uuid.uuid4()}?expires=abc", timeout=10)
    assert response.status_code == 403 and error_code(response) == "DOWNLOAD_LINK_INVALID"


# ------------------------------------------------------------------------------------ the log


def test_the_download_log_by_role(api: Api, stack: Infra, demo_files: dict[str, Filed]) -> None:
    by_enterprise = request_link(api, ENTERPRISE, DEMO)
    assert fetch(stack, by_enterprise["url"]).status_code == 200
    by_bureau = request_link(api, BUREAU, DEMO)
    wait_for(
        lambda: download_row(stack, by_enterprise["downloadId"])["outcome"] == "COMPLETED",
        timeout=15,
        what="download completed",
    )

    def ids(user: str, variables: dict[str, Any]) -> set[str]:
        data = api.ok(user, LOG, {"first": 200, **variables})["archiveDownloads"]
        return {e["node"]["id"] for e in data["edges"]}

    # The bureau sees everything, filtered by enterprise and requester.
    mine = api.ok(BUREAU, LOG, {"filter": {"enterpriseId": DEMO, "requestedBy": ENTERPRISE}, "first": 200})[
        "archiveDownloads"
    ]
    node = next(e["node"] for e in mine["edges"] if e["node"]["id"] == by_enterprise["downloadId"])
    row = download_row(stack, by_enterprise["downloadId"])
    assert node["outcome"] == "COMPLETED" and node["bytesSent"] == row["bytes_sent"] > 0
    assert node["filesCount"] == len(live_versions(stack, DEMO))
    assert node["requestedBy"] == ENTERPRISE and node["requestedByRole"] == "enterprise_user"
    assert node["enterprise"]["id"] == DEMO and node["clientIp"] == "127.0.0.1"
    assert {e["node"]["requestedBy"] for e in mine["edges"]} == {ENTERPRISE}
    assert by_bureau["downloadId"] in ids(BUREAU, {"filter": {"enterpriseId": DEMO}})
    # Newest first, with a time window.
    window = {"from": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()}
    recent = api.ok(BUREAU, LOG, {"filter": window, "first": 200})["archiveDownloads"]["edges"]
    stamps = [e["node"]["requestedAt"] for e in recent]
    assert stamps == sorted(stamps, reverse=True) and by_bureau["downloadId"] in {
        e["node"]["id"] for e in recent
    }
    future = {"from": (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()}
    assert api.ok(BUREAU, LOG, {"filter": future})["archiveDownloads"]["totalCount"] == 0
    # Paging.
    page = api.ok(BUREAU, LOG, {"first": 1})["archiveDownloads"]
    assert len(page["edges"]) == 1 and page["pageInfo"]["hasNextPage"] and page["totalCount"] >= 2
    # The demo town sees its jurisdiction's downloads; the enterprise only its own accounts' ones.
    assert {by_enterprise["downloadId"], by_bureau["downloadId"]} <= ids(TOWN, {})
    enterprise_sees = ids(ENTERPRISE, {})
    assert by_enterprise["downloadId"] in enterprise_sees and by_bureau["downloadId"] not in enterprise_sees
    assert ids(ENTERPRISE, {"filter": {"enterpriseId": OTHER_DEMO}}) == set()


def test_a_client_that_goes_away_is_logged_as_aborted(api: Api, stack: Infra) -> None:
    enterprise = register_elsewhere(api, stack)
    big = file_document(api, enterprise, "9-3", "平面布置图.png", PNG + os.urandom(40 << 20), "image/png")
    link = request_link(api, BUREAU, enterprise)
    received = 0
    with httpx.Client(timeout=60) as client, client.stream("GET", local(stack, link["url"])) as response:
        assert response.status_code == 200
        for chunk in response.iter_raw(64 << 10):
            received += len(chunk)
            if received >= 1 << 20:
                break
    row = wait_for(
        lambda: (r := download_row(stack, link["downloadId"]))["completed_at"] is not None and r,
        timeout=20,
        what="aborted download logged",
    )
    assert row["outcome"] == "ABORTED"
    assert received <= row["bytes_sent"] < len(big.data)
    assert row["files_count"] == 1
