"""Gateway overhead: the same query direct to a subgraph and through Hive Gateway.

Starts its own embedded stack (SQLite, demo data, separate ports) unless BENCH_USE_RUNNING=1, in
which case it uses a stack started by ``make up``. 20 concurrent clients; prints p50/p95 and req/s
for both paths and their ratio (target: gateway p50 ≤ 1.5× direct), then a two-subgraph query's p95
(target < 50 ms on 2 cores with warm caches).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass

import httpx

from bench.stack import bench_stack
from ecosteward.devstack.components import password_token

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "20"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
SINGLE = "query Single { jurisdictions(first: 20) { totalCount edges { node { id code name kind } } } }"
CROSS = "query Cross { enterprises(first: 20) { totalCount edges { node { id name jurisdiction { name code } } } } }"


@dataclass
class Figures:
    label: str
    p50_ms: float
    p95_ms: float
    rps: float

    def line(self) -> str:
        return (
            f"{self.label:<34} p50 {self.p50_ms:7.2f} ms   p95 {self.p95_ms:7.2f} ms   {self.rps:8.1f} req/s"
        )


async def _load(url: str, query: str, token: str, label: str) -> Figures:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(REQUESTS):
        queue.put_nowait(i)
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        for _ in range(50):  # warm caches (JWKS, connection pools, query plans)
            (await client.post(url, json={"query": query}, headers=headers)).raise_for_status()

        async def worker() -> None:
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                response = await client.post(url, json={"query": query}, headers=headers)
                latencies.append(time.perf_counter() - started)
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"{label}: {response.status_code} {body}")

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return Figures(label, cuts[49] * 1000, cuts[94] * 1000, len(latencies) / elapsed)


def main() -> None:
    with bench_stack() as ports:
        token = password_token(f"http://127.0.0.1:{ports.keycloak}", "demo-bureau", "demo1234")
        gateway = f"http://127.0.0.1:{ports.gateway}/graphql"
        direct = f"http://127.0.0.1:{ports.service('registry')}/graphql"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # demo enterprises arrive through events
            body = httpx.post(
                gateway, json={"query": CROSS}, headers={"authorization": f"Bearer {token}"}
            ).json()
            if body.get("data") and body["data"]["enterprises"]["totalCount"] >= 3:
                break
            time.sleep(1)
        print(f"gateway benchmark: {CLIENTS} concurrent clients, {REQUESTS} requests each run")
        direct_fig = asyncio.run(_load(direct, SINGLE, token, "single subgraph, direct"))
        gateway_fig = asyncio.run(_load(gateway, SINGLE, token, "single subgraph, via gateway"))
        cross_fig = asyncio.run(_load(gateway, CROSS, token, "two subgraphs, via gateway"))
        for figures in (direct_fig, gateway_fig, cross_fig):
            print(figures.line())
        ratio = gateway_fig.p50_ms / direct_fig.p50_ms
        print(f"gateway/direct p50 ratio: {ratio:.2f}x (target <= 1.5x)")
        print(f"two-subgraph p95: {cross_fig.p95_ms:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
