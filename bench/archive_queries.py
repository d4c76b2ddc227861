"""The enterprise list and the map at district-plus scale, through the gateway.

Seeds 100,000 enterprises and 1,000,000 document versions into the archive's database (the embedded
SQLite default), then measures through the gateway: a page of 50 of the list (with and without
filters) and a map bounding box holding at most ~500 sources. Target: p95 < 150 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
import sqlalchemy as sa

from bench.stack import bench_data_dir, bench_stack, wait_for_data
from ecosteward.clock import china_today
from ecosteward.db import utcnow
from ecosteward.demo import DEMO_JURISDICTION_ID
from ecosteward.devstack.components import password_token
from ecosteward.identifiers import ALPHABET, with_check_character
from services.archive.documents.models import DocumentVersionRow
from services.archive.models import EnterpriseRow, KnownJurisdictionRow

ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES", "100000"))
DOCUMENTS = int(os.environ.get("BENCH_DOCUMENTS", "1000000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
ITEMS = ["1", "2-1", "3-1", "4-1", "6-1", "8-2", "9-3", "9-10"]


def _insert_in_batches(conn: sa.Connection, table: Any, rows: Iterable[dict[str, Any]], size: int) -> None:
    """Insert ``rows`` ``size`` at a time (a million rows would not fit one statement's memory)."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            conn.execute(sa.insert(table), batch)
            batch = []
    if batch:
        conn.execute(sa.insert(table), batch)


def seed(database: str) -> tuple[float, float]:
    """Insert the rows; returns the seconds spent on enterprises and on documents."""
    engine = sa.create_engine(f"sqlite:///{database}")
    rng = random.Random(11)
    with engine.begin() as conn:
        towns = [r[0] for r in conn.execute(sa.select(KnownJurisdictionRow.id))]
        started = time.perf_counter()
        ids = [uuid.uuid4() for _ in range(ENTERPRISES)]
        now = utcnow()
        enterprises = (
            {
                "id": enterprise_id,
                "credit_code": with_check_character("".join(rng.choice(ALPHABET) for _ in range(17))),
                "name": f"基准企业{i:06d}",
                "address": "",
                # Half in the demo town so a town officer's list is realistic too.
                "jurisdiction_id": DEMO_JURISDICTION_ID if i % 2 else rng.choice(towns),
                "industry_code": rng.choice(["C2614", "C3360", "C2710", "C3985", "D4411"]),
                # Spread over the Shanghai area (~1.2 × 1.2 degrees).
                "latitude": 30.7 + rng.random() * 1.2,
                "longitude": 120.9 + rng.random() * 1.2,
                "permit_category": rng.choice(["KEY", "SIMPLIFIED", "REGISTRATION"]),
                "status": "OPERATING",
                "status_changed_at": now,
                "key_source": rng.random() < 0.3,
                "created_at": now,
                "updated_at": now,
            }
            for i, enterprise_id in enumerate(ids)
        )
        _insert_in_batches(conn, EnterpriseRow.__table__, enterprises, 5000)
        enterprises_seconds = time.perf_counter() - started
        started = time.perf_counter()
        today = china_today()
        documents = (
            {
                "id": uuid.uuid4(),
                "enterprise_id": ids[n % len(ids)],
                "item_code": ITEMS[(n // len(ids)) % len(ITEMS)],
                "version": 1 + n // (len(ids) * len(ITEMS)),
                "file_name": f"doc{n}.pdf",
                "content_type": "application/pdf",
                "size": 1000 + n % 5000,
                "sha256": "0" * 64,
                "storage_key": f"bench/{n}",
                "uploaded_by": "bench",
                "uploaded_at": now,
                "withdrawn_reason": "",
                "retain_until": today.replace(year=today.year + 5),
            }
            for n in range(DOCUMENTS)
        )
        _insert_in_batches(conn, DocumentVersionRow.__table__, documents, 20000)
        documents_seconds = time.perf_counter() - started
    engine.dispose()
    return enterprises_seconds, documents_seconds


async def _measure(
    url: str, token: str, query: str, variables: dict[str, Any], clients: int
) -> tuple[float, float, int]:
    latencies: list[float] = []
    sizes: list[int] = []
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(5):
            (
                await client.post(url, json={"query": query, "variables": variables}, headers=headers)
            ).raise_for_status()

        async def worker() -> None:
            for _ in range(max(1, REQUESTS // clients)):
                started = time.perf_counter()
                response = await client.post(
                    url, json={"query": query, "variables": variables}, headers=headers
                )
                latencies.append(time.perf_counter() - started)
                body = response.json()
                if body.get("errors"):
                    raise RuntimeError(response.text)
                data = next(iter(body["data"].values()))
                rows = data if isinstance(data, list) else data.get("edges", data.get("features", []))
                sizes.append(len(rows))

        await asyncio.gather(*(worker() for _ in range(clients)))
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49] * 1000, cuts[94] * 1000, max(sizes)


# A box of about 500 sources (0.084° square) in the demo district.
MAP_BOX = {
    "f": {
        "boundingBox": {
            "minLatitude": 31.0,
            "minLongitude": 121.2,
            "maxLatitude": 31.084,
            "maxLongitude": 121.284,
        }
    }
}
QUERIES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "list page 50, bureau",
        "demo-bureau",
        "{ enterprises(first: 50) { totalCount edges { node { id name creditCode status keySource } } } }",
        {},
    ),
    (
        "list page 50, filtered",
        "demo-bureau",
        "query($f: EnterpriseFilter) { enterprises(first: 50, filter: $f) { totalCount edges { node { id name } } } }",
        {"f": {"keySource": True, "permitCategory": "KEY", "industryCode": "C26"}},
    ),
    (
        "list page 50, town",
        "demo-town",
        "{ enterprises(first: 50) { totalCount edges { node { id name } } } }",
        {},
    ),
    (
        "map box (~500 sources)",
        "demo-bureau",
        "query($f: EnterpriseFilter) { enterpriseMap(filter: $f) { id name latitude longitude keySource } }",
        MAP_BOX,
    ),
    (
        "map box as GeoJSON",
        "demo-bureau",
        "query($f: EnterpriseFilter) { enterprisesGeoJson(filter: $f) }",
        MAP_BOX,
    ),
]


def main() -> None:
    with bench_stack() as ports:
        url = f"http://127.0.0.1:{ports.gateway}/graphql"
        keycloak = f"http://127.0.0.1:{ports.keycloak}"
        bureau = password_token(keycloak, "demo-bureau", "demo1234")
        # the directory arrives at the archive through events
        wait_for_data(
            url, bureau, "{ enterprises { totalCount } }", lambda d: d["enterprises"]["totalCount"] >= 3, 90
        )
        seconds = seed(str(bench_data_dir() / "archive.db"))
        print(
            f"archive benchmark: seeded {ENTERPRISES} enterprises in {seconds[0]:.1f} s, {DOCUMENTS} documents in {seconds[1]:.1f} s"
        )
        for label, user, query, variables in QUERIES:
            token = password_token(keycloak, user, "demo1234")
            p50, p95, size = asyncio.run(_measure(url, token, query, variables, 1))
            c50, c95, _ = asyncio.run(_measure(url, token, query, variables, 10))
            print(
                f"  {label:<26} ({size:>3} rows) 1 client p50 {p50:6.1f} p95 {p95:6.1f} ms | 10 clients p50 {c50:6.1f} p95 {c95:6.1f} ms"
            )
        print("target: p95 < 150 ms for a page of 50 or a bounding box of <= 500 sources")


if __name__ == "__main__":
    main()
