"""The bureau's filings inbox with 10k contracts, through the gateway.

Seeds 10,000 signed contracts with filings in every standing into the registry's database (the
embedded SQLite default), then sends inbox queries (a page of 50 with filters) through the gateway:
p50/p95 sequentially and with 10 concurrent clients (target: p95 < 100 ms).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import statistics
import time
import uuid
from decimal import Decimal

import httpx
import sqlalchemy as sa

from bench.stack import bench_data_dir, bench_stack, wait_for_data
from ecosteward.clock import china_today
from ecosteward.db import utcnow
from ecosteward.demo import DEMO_AGENCY_ID, DEMO_JURISDICTION_ID
from ecosteward.devstack.components import password_token
from services.registry.contracts.models import FilingRow, ServiceContractRow
from services.registry.jurisdictions.models import JurisdictionRow

CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", "10000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
QUERIES = {
    "overdue, page 1": "{ filings(first: 50, filter: {standing: OVERDUE}) { totalCount edges { node { dueOn standing workingDaysLeft contract { title } } } } }",
    "one town, due soon": '{ filings(first: 50, filter: {jurisdictionId: "%s", dueWithinWorkingDays: 10}) { totalCount edges { node { dueOn standing } } } }',
    "filed late, sorted": "{ filings(first: 50, sort: SIGNED_ON, direction: DESC, filter: {filedLate: true}) { totalCount edges { node { dueOn filedLate } } } }",
    "counts": "{ filingCounts { total awaiting dueSoon overdue filedOnTime filedLate } }",
}


def seed(database: str) -> list[uuid.UUID]:
    engine = sa.create_engine(f"sqlite:///{database}")
    today = china_today()
    rng = random.Random(7)
    with engine.begin() as conn:
        towns = [r[0] for r in conn.execute(sa.select(JurisdictionRow.id))]
        contracts, filings = [], []
        for i in range(CONTRACTS):
            contract_id = uuid.uuid4()
            town = rng.choice(towns)
            signed = today - dt.timedelta(days=rng.randint(0, 400))
            due = signed + dt.timedelta(days=14)
            filed = signed + dt.timedelta(days=rng.randint(1, 30)) if rng.random() < 0.7 else None
            if filed is not None and filed > today:
                filed = None
            now = utcnow()
            contracts.append(
                {
                    "id": contract_id,
                    "title": f"基准合同 {i}",
                    "agency_id": DEMO_AGENCY_ID,
                    "jurisdiction_id": town,
                    "price": Decimal("100000.00"),
                    "starts_on": signed,
                    "ends_on": signed + dt.timedelta(days=365),
                    "service_mode": "ON_SITE",
                    "contracted_tasks": 10,
                    "scope_jurisdiction_ids": [str(town)],
                    "scope_enterprise_ids": [],
                    "catalogue_codes": ["B1-8"],
                    "attachments": [],
                    "status": "FILED" if filed else "SIGNED",
                    "signed_on": signed,
                    "closed_reason": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            filings.append(
                {
                    "id": uuid.uuid4(),
                    "contract_id": contract_id,
                    "jurisdiction_id": town,
                    "agency_id": DEMO_AGENCY_ID,
                    "signed_on": signed,
                    "due_on": due,
                    "due_provisional": False,
                    "status": "FILED" if filed else "PENDING",
                    "first_filed_on": filed,
                    "filed_late": (filed > due) if filed else None,
                    "return_reason": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        conn.execute(sa.insert(ServiceContractRow.__table__), contracts)  # type: ignore[arg-type]
        conn.execute(sa.insert(FilingRow.__table__), filings)  # type: ignore[arg-type]
    engine.dispose()
    return towns


async def _run(url: str, token: str, query: str, clients: int) -> tuple[float, float]:
    latencies: list[float] = []
    per_client = max(1, REQUESTS // clients)
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(10):
            (await client.post(url, json={"query": query}, headers=headers)).raise_for_status()

        async def worker() -> None:
            for _ in range(per_client):
                started = time.perf_counter()
                response = await client.post(url, json={"query": query}, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.json().get("errors"):
                    raise RuntimeError(response.text)

        await asyncio.gather(*(worker() for _ in range(clients)))
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49] * 1000, cuts[94] * 1000


def main() -> None:
    with bench_stack() as ports:
        token = password_token(f"http://127.0.0.1:{ports.keycloak}", "demo-bureau", "demo1234")
        url = f"http://127.0.0.1:{ports.gateway}/graphql"
        # the demo data goes in once the registry has started
        wait_for_data(url, token, "{ filingCounts { total } }", lambda d: d["filingCounts"]["total"] >= 5, 60)
        started = time.perf_counter()
        seed(str(bench_data_dir() / "registry.db"))
        print(
            f"filings inbox benchmark: seeded {CONTRACTS} contracts in {time.perf_counter() - started:.1f} s"
        )
        for label, template in QUERIES.items():
            query = template % DEMO_JURISDICTION_ID if "%s" in template else template
            p50, p95 = asyncio.run(_run(url, token, query, 1))
            c50, c95 = asyncio.run(_run(url, token, query, 10))
            print(
                f"  {label:<22} 1 client p50 {p50:6.1f} ms p95 {p95:6.1f} ms | 10 clients p50 {c50:6.1f} ms p95 {c95:6.1f} ms"
            )
        print("target: p95 < 100 ms for a page of 50 with filters")


if __name__ == "__main__":
    main()
