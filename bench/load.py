"""``python -m bench load``: the front end's queries under load, direct to a subgraph and through the gateway.

Honest by construction:

* the load comes from wrk (a separate C process, :mod:`bench.wrk`), never from this process;
* every request differs: variables (cursors, filters, sort, direction, ids) and users' tokens (several
  demo users, several tokens each) are drawn from a pool, so no layer can de-duplicate them;
* the mixes are the front end's: a filtered list on one subgraph, one entity with nested data, a list
  joined across subgraphs, and a write (a real ``updateEnterprise`` with a new address each request);
* for each scenario the subgraph and the gateway are measured one after the other in the same run;
* errors count non-2xx answers, GraphQL ``errors`` in 2xx bodies and socket errors;
* the RSS (and CPU) of every process of the stack is read from /proc while the load runs.

Runs on the embedded default (SQLite) and on PostgreSQL (``--db postgres``; ``--db both``). The figures
are printed with the issue's targets and whether each is met; nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.procs import Peak, StackProcesses, machine_busy_seconds
from bench.stack import Database, bench_ports, bench_stack, database_url, use_running
from bench.wrk import (
    SEQUENCE_MARKER,
    PoolRequest,
    WrkResult,
    lua_script,
    parse_wrk_output,
    wrk_argv,
    wrk_binary,
    wrk_version,
)
from ecosteward import SERVICES
from ecosteward.demo import DEMO_JURISDICTION_ID, DEMO_PASSWORD
from ecosteward.devstack.components import Ports, password_token

BUREAU, TOWN = "demo-bureau", "demo-town"
ALL_USERS = (
    "demo-bureau",
    "demo-town",
    "demo-agency-admin",
    "demo-agency-staff",
    "demo-procurement",
    "demo-enterprise",
)
PAGE = 20
SEED_NAME_PREFIX = "基准企业"
INDUSTRIES = ("C2614", "C3360", "C2710", "C3985", "D4411", "C2319")
CATEGORIES = ("重点管理", "简化管理", "登记管理")  # KEY, SIMPLIFIED, REGISTRATION as a file holds them

# ------------------------------------------------------------------------------------------- queries
# The front end's queries. Where the gateway answers from several subgraphs, the direct call asks the
# entry subgraph for its own part only (its references as ids): the cost of the first hop alone.

JURISDICTIONS = """query JurisdictionList($first: Int, $after: String, $sort: JurisdictionSortField!, $direction: SortDirection!) {
  jurisdictions(first: $first, after: $after, sort: $sort, direction: $direction) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id code name nameEn kind } }
  }
}"""

ENTERPRISES = """query EnterpriseList($first: Int, $after: String, $filter: EnterpriseFilter, $sort: EnterpriseSortField!, $direction: SortDirection!) {
  enterprises(first: $first, after: $after, filter: $filter, sort: $sort, direction: $direction) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id name creditCode address industryCode permitCategory status keySource } }
  }
}"""


def _enterprises_with(jurisdiction: str) -> str:
    return f"""query EnterprisesWithJurisdiction($first: Int, $after: String, $filter: EnterpriseFilter, $sort: EnterpriseSortField!, $direction: SortDirection!) {{
  enterprises(first: $first, after: $after, filter: $filter, sort: $sort, direction: $direction) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ id name creditCode permitCategory status keySource jurisdiction {{ {jurisdiction} }} }} }}
  }}
}}"""


def _enterprise_detail(federated: bool) -> str:
    jurisdiction = "id code name kind" if federated else "id"
    inspections = "inspections(first: 5) { totalCount edges { node { id } } }" if federated else ""
    return f"""query EnterpriseDetail($id: ID!) {{
  enterprise(id: $id) {{
    id name creditCode address industryCode latitude longitude permitCategory status statusChangedAt keySource
    jurisdiction {{ {jurisdiction} }}
    classification {{ key sourceClass asOf nextReviewOn reasons {{ code message since until }} }}
    riskLabels {{ overallRisk requiredInspectionsPerYear managementGrade }}
    archive {{ completeness {{ accounted total ratio complete missingItemCodes }}
               items {{ code categoryNo name electronic paper missingReason accounted }} }}
    statusHistory {{ fromStatus toStatus reason changedAt }}
    {inspections}
  }}
}}"""


UPDATE_ENTERPRISE = """mutation UpdateEnterprise($id: ID!, $input: UpdateEnterpriseInput!) {
  updateEnterprise(id: $id, input: $input) { id address }
}"""

ENTERPRISE_FILTERS: dict[str, list[dict[str, Any]]] = {
    BUREAU: [
        {},
        {"permitCategory": "KEY"},
        {"permitCategory": "SIMPLIFIED"},
        {"permitCategory": "REGISTRATION"},
        {"keySource": True},
        {"keySource": False},
        {"status": "OPERATING"},
        {"industryCode": "C"},
        {"jurisdictionId": str(DEMO_JURISDICTION_ID)},
        {"search": SEED_NAME_PREFIX},
    ],
    TOWN: [{}, {"status": "OPERATING"}, {"keySource": False}, {"search": SEED_NAME_PREFIX}],
}


# ------------------------------------------------------------------------------------------ fixtures


@dataclass
class Fixtures:
    """What the request pools are drawn from, read through the API before measuring."""

    jurisdiction_pages: list[dict[str, Any]] = field(default_factory=list)
    """Variables of jurisdiction pages that hold a full page (sort, direction, after)."""
    enterprise_pages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per user: variables of enterprise pages that hold a full page (filter, sort, direction, after)."""
    enterprise_ids: dict[str, list[str]] = field(default_factory=dict)
    """Per user: the enterprises that user may read and edit."""


Variables = dict[str, Any]
Builder = Callable[[Fixtures], list[tuple[str, Variables]]]


def _jurisdiction_requests(fixtures: Fixtures) -> list[tuple[str, Variables]]:
    return [(user, page) for user in ALL_USERS for page in fixtures.jurisdiction_pages]


def _enterprise_list_requests(fixtures: Fixtures) -> list[tuple[str, Variables]]:
    return [(user, page) for user, pages in fixtures.enterprise_pages.items() for page in pages]


def _detail_requests(fixtures: Fixtures) -> list[tuple[str, Variables]]:
    return [(user, {"id": id_}) for user, ids in fixtures.enterprise_ids.items() for id_ in ids]


def _write_requests(fixtures: Fixtures) -> list[tuple[str, Variables]]:
    # A fresh address on every request (the marker becomes <thread>-<n>): each one really writes a
    # row and an outbox event; harmless, since only seeded sources (never the demo ones) are touched.
    return [
        (user, {"id": id_, "input": {"address": f"基准路 {SEQUENCE_MARKER} 号 ({user})"}})
        for user, ids in fixtures.enterprise_ids.items()
        for id_ in ids
    ]


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    service: str
    """The subgraph called directly."""
    gateway_query: str
    direct_query: str
    build: Builder
    connections: tuple[int, ...] = (10,)
    subgraphs: int = 1
    """How many subgraphs the gateway's plan touches."""

    @property
    def direct_note(self) -> str:
        return "" if self.direct_query == self.gateway_query else " (own part)"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "jurisdictions",
        "single-subgraph list of 20: jurisdictions, varied cursor/sort/direction, 6 users",
        "registry",
        JURISDICTIONS,
        JURISDICTIONS,
        _jurisdiction_requests,
        connections=(1, 10),
    ),
    Scenario(
        "enterprises",
        "single-subgraph list of 20 with filters: enterprises, varied filter/cursor/sort",
        "archive",
        ENTERPRISES,
        ENTERPRISES,
        _enterprise_list_requests,
    ),
    Scenario(
        "enterprises-jurisdiction",
        "two-subgraph list of 20: enterprises with their jurisdiction (archive + registry)",
        "archive",
        _enterprises_with("id code name kind"),
        _enterprises_with("id"),
        _enterprise_list_requests,
        subgraphs=2,
    ),
    Scenario(
        "enterprise-detail",
        "one entity with nested data: an enterprise, its classification, archive, history, inspections",
        "archive",
        _enterprise_detail(federated=True),
        _enterprise_detail(federated=False),
        _detail_requests,
        subgraphs=3,
    ),
    Scenario(
        "update-enterprise",
        "write: updateEnterprise with a new address each request (row + outbox event)",
        "archive",
        UPDATE_ENTERPRISE,
        UPDATE_ENTERPRISE,
        _write_requests,
    ),
)
SCENARIO_KEYS = tuple(s.key for s in SCENARIOS)


def request_pool(
    requests: Sequence[tuple[str, Variables]],
    query: str,
    users: Sequence[str],
    tokens_per_user: int,
    size: int,
    seed: int = 2026,
) -> list[PoolRequest]:
    """Shuffled bodies (at most ``size``), each with one of its user's tokens (round-robin per user).

    Tokens are laid out user by user: user ``u``'s ``k``-th token is ``u * tokens_per_user + k``.
    """
    index = {user: n for n, user in enumerate(users)}
    rng = random.Random(seed)
    chosen = list(requests)
    rng.shuffle(chosen)
    chosen = chosen[:size]
    turn = dict.fromkeys(users, 0)
    pool = []
    for user, variables in chosen:
        token = index[user] * tokens_per_user + turn[user] % tokens_per_user
        turn[user] += 1
        pool.append(PoolRequest(token, json.dumps({"query": query, "variables": variables})))
    return pool


# ------------------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Row:
    """One measured run: a scenario on one path at one connection count."""

    scenario: str
    path: str  # "direct" or "gateway"
    connections: int
    result: WrkResult
    entry_rss_mb: float = 0.0


@dataclass(frozen=True)
class TargetCheck:
    name: str
    target: str
    figure: str
    met: bool | None  # None: not measured in this run

    def line(self) -> str:
        verdict = {True: "MET ", False: "MISS", None: "n/a "}[self.met]
        return f"  [{verdict}] {self.name:<58} target {self.target:<26} measured {self.figure}"


SINGLE_SCENARIO = "jurisdictions"
TWO_SUBGRAPH_SCENARIO = "enterprises-jurisdiction"
RATIO_TARGET = 1.2
SINGLE_RPS, SINGLE_P99_MS = 600.0, 50.0
TWO_RPS, TWO_P99_MS = 400.0, 100.0
GATEWAY_RSS_MB = 100.0
TARGET_CONNECTIONS = 10


def _find(rows: Sequence[Row], scenario: str, path: str, connections: int | None) -> Row | None:
    matching = [r for r in rows if r.scenario == scenario and r.path == path]
    if connections is not None:
        matching = [r for r in matching if r.connections == connections]
    return min(matching, key=lambda r: r.connections) if matching else None


def check_targets(rows: Sequence[Row], gateway_peak_rss_mb: float | None) -> list[TargetCheck]:
    """The issue's targets against one run's rows (gateway vs direct measured in that same run)."""
    checks: list[TargetCheck] = []
    direct = _find(rows, SINGLE_SCENARIO, "direct", 1) or _find(rows, SINGLE_SCENARIO, "direct", None)
    gateway = _find(rows, SINGLE_SCENARIO, "gateway", direct.connections) if direct is not None else None
    if direct is not None and gateway is not None and direct.result.p50_ms > 0:
        ratio = gateway.result.p50_ms / direct.result.p50_ms
        checks.append(
            TargetCheck(
                f"gateway p50 / direct p50, single-subgraph list, {direct.connections} conn",
                f"≤ {RATIO_TARGET}×",
                f"{ratio:.2f}× ({gateway.result.p50_ms:.2f} / {direct.result.p50_ms:.2f} ms)",
                ratio <= RATIO_TARGET,
            )
        )
    else:
        checks.append(TargetCheck("gateway p50 / direct p50, single-subgraph list", "≤ 1.2×", "-", None))
    for scenario, label, rps, p99 in (
        (SINGLE_SCENARIO, "single-subgraph list of 20", SINGLE_RPS, SINGLE_P99_MS),
        (TWO_SUBGRAPH_SCENARIO, "two-subgraph list of 20", TWO_RPS, TWO_P99_MS),
    ):
        row = _find(rows, scenario, "gateway", TARGET_CONNECTIONS)
        name = f"{label} via gateway, {TARGET_CONNECTIONS} conns"
        target = f"≥ {rps:.0f} req/s, p99 < {p99:.0f} ms"
        if row is None:
            checks.append(TargetCheck(name, target, "-", None))
            continue
        r = row.result
        checks.append(
            TargetCheck(
                name,
                target,
                f"{r.rps:.0f} req/s, p99 {r.p99_ms:.1f} ms",
                r.rps >= rps and r.p99_ms < p99 and r.errors == 0,
            )
        )
    checks.append(
        TargetCheck(
            "gateway RSS under load (peak, whole process tree)",
            f"< {GATEWAY_RSS_MB:.0f} MB",
            "-" if gateway_peak_rss_mb is None else f"{gateway_peak_rss_mb:.1f} MB",
            None if gateway_peak_rss_mb is None else gateway_peak_rss_mb < GATEWAY_RSS_MB,
        )
    )
    errors = sum(r.result.errors for r in rows)
    checks.append(
        TargetCheck(
            "errors (non-2xx + GraphQL errors + socket), all runs",
            "0",
            str(errors),
            None if not rows else errors == 0,
        )
    )
    return checks


# ----------------------------------------------------------------------------------------- the stack


@functools.cache
def _http() -> httpx.Client:
    return httpx.Client(timeout=60)


def _post(url: str, token: str, query: str, variables: Variables | None = None) -> dict[str, Any]:
    response = _http().post(
        url,
        json={"query": query, "variables": variables or {}},
        headers={"authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{url}: HTTP {response.status_code} {json.dumps(body)[:500]}")
    return body


def _wait_for_demo_sources(gateway: str, token: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:  # the demo sources arrive at the archive through events
        try:
            body = _post(gateway, token, "{ enterprises { totalCount } }")
            if body["data"]["enterprises"]["totalCount"] >= 3:
                return
        except (RuntimeError, httpx.HTTPError, ValueError) as exc:
            last = str(exc)
        time.sleep(1)
    raise RuntimeError(f"the demo sources did not appear within {timeout:.0f} s {last}")


async def _seed_enterprises(url: str, count: int, work: Path) -> int:
    """Import ``count`` sources (half in the demo town) through the archive's bulk import.

    The same path as ``ecosteward import-sources``: rows plus one ``enterprise.registered`` event each,
    so the other services learn them (an enterprise's ``inspections`` needs the inspection service to
    know it). Returns how many were added (0 when a running stack already has them).
    """
    import csv

    import sqlalchemy as sa

    from ecosteward.db import create_engine, session_factory
    from services.archive.imports.samples import ENGLISH_HEADERS, credit_code
    from services.archive.imports.service import import_sources
    from services.archive.models import EnterpriseRow, KnownJurisdictionRow

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            present = int(
                await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(EnterpriseRow)
                    .where(EnterpriseRow.name.startswith(SEED_NAME_PREFIX))
                )
                or 0
            )
            known = {r.id: r.code for r in await conn.execute(sa.select(KnownJurisdictionRow))}
        missing = count - present
        if missing <= 0:
            return 0
        town = known[DEMO_JURISDICTION_ID]
        codes = sorted(known.values())
        rng = random.Random(11 + present)
        source = work / "sources.csv"
        with source.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(ENGLISH_HEADERS)
            for i in range(present, present + missing):
                writer.writerow(
                    [
                        credit_code(i, salt="bench-load"),
                        f"{SEED_NAME_PREFIX}{i:05d}",
                        f"浦东新区基准路 {i} 号",
                        town if i % 2 else rng.choice(codes),
                        rng.choice(INDUSTRIES),
                        f"{rng.uniform(121.3, 121.9):.6f}",
                        f"{rng.uniform(30.9, 31.4):.6f}",
                        rng.choice(CATEGORIES),
                        "在产",
                    ]
                )
        report = await import_sources(
            session_factory(engine), source, dry_run=False, accept_good_rows=True, actor="bench-load"
        )
        if report.written_rows != missing:
            raise RuntimeError(
                f"seeding imported {report.written_rows} of {missing} sources: {report.summary()}"
            )
        return missing
    finally:
        await engine.dispose()


def _wait_until_known(gateway: str, token: str, ids: Sequence[str], timeout: float = 180.0) -> None:
    """Wait until the inspection service has the seeded sources (their events are asynchronous)."""
    query = "query($id: ID!) { enterprise(id: $id) { id inspections(first: 1) { totalCount } } }"
    deadline = time.monotonic() + timeout
    for id_ in ids:
        while True:
            try:
                _post(gateway, token, query, {"id": id_})
                break
            except RuntimeError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the seeded sources did not reach every service: {exc}") from exc
                time.sleep(1)


def _pages(url: str, token: str, query: str, field_name: str, base: Variables) -> list[Variables]:
    """Every ``after`` (and the first page) of one listing that still leaves a full page of 20."""
    body = _post(url, token, query, {**base, "first": 200})
    connection = body["data"][field_name]
    total = connection["totalCount"]
    if total < PAGE:
        return []
    cursors = [edge["cursor"] for edge in connection["edges"]]
    afters: list[str | None] = [None, *cursors[: max(0, total - PAGE)]]
    return [{**base, "first": PAGE, "after": after} for after in afters]


def gather_fixtures(ports: Ports, tokens: dict[str, str]) -> Fixtures:
    """Read the pages, cursors and ids the pools are made of, directly from the subgraphs."""
    registry = f"http://127.0.0.1:{ports.service('registry')}/graphql"
    archive = f"http://127.0.0.1:{ports.service('archive')}/graphql"
    fixtures = Fixtures()
    for sort in ("CODE", "NAME"):
        for direction in ("ASC", "DESC"):
            fixtures.jurisdiction_pages += _pages(
                registry,
                tokens[BUREAU],
                JURISDICTIONS,
                "jurisdictions",
                {"sort": sort, "direction": direction},
            )
    for user, filters in ENTERPRISE_FILTERS.items():
        pages: list[Variables] = []
        for filter_ in filters:
            for sort in ("NAME", "CREDIT_CODE"):
                for direction in ("ASC", "DESC"):
                    base = {"filter": filter_, "sort": sort, "direction": direction}
                    pages += _pages(archive, tokens[user], ENTERPRISES, "enterprises", base)
        fixtures.enterprise_pages[user] = pages
        listing = _post(
            archive,
            tokens[user],
            "query($f: EnterpriseFilter) { enterprises(first: 200, filter: $f) { edges { node { id name } } } }",
            {"f": {"search": SEED_NAME_PREFIX}},
        )
        fixtures.enterprise_ids[user] = [e["node"]["id"] for e in listing["data"]["enterprises"]["edges"]]
    return fixtures


# ------------------------------------------------------------------------------------------- running


@dataclass
class Settings:
    duration: float = 10.0
    warmup: float = 2.0
    connections: tuple[int, ...] | None = None
    threads: int | None = None
    scenarios: tuple[str, ...] = SCENARIO_KEYS
    enterprises: int = 600
    tokens_per_user: int = 2
    pool: int = 2000


@dataclass
class Measurement:
    """Everything one database's run measured."""

    db: str
    rows: list[Row] = field(default_factory=list)
    peaks: dict[str, Peak] = field(default_factory=dict)
    """Per component: the highest RSS/PSS sample over all measured runs."""
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    """Per component: CPU time spent during the measured runs."""
    measured_seconds: float = 0.0

    def add(self, peaks: dict[str, Peak], seconds: float) -> None:
        self.measured_seconds += seconds
        for name, peak in peaks.items():
            overall = self.peaks.setdefault(name, Peak())
            overall.processes = max(overall.processes, peak.processes)
            overall.rss_mb = max(overall.rss_mb, peak.rss_mb)
            overall.pss_mb = max(overall.pss_mb, peak.pss_mb)
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + peak.cpu_seconds


def _tokens(keycloak: str, users: Sequence[str], per_user: int) -> list[str]:
    return [password_token(keycloak, user, DEMO_PASSWORD) for user in users for _ in range(per_user)]


@dataclass(frozen=True)
class Window:
    """The sampled span of a run: its length and the CPU-seconds every core spent busy in it."""

    seconds: float = 0.0
    host_busy: float = 0.0

    def share(self, cpu_seconds: float) -> float:
        """CPU-seconds as a percentage of one core over the window."""
        return 100 * cpu_seconds / self.seconds if self.seconds > 0 else 0.0


def _run_wrk(
    binary: str,
    url: str,
    script: Path,
    connections: int,
    threads: int,
    seconds: float,
    processes: StackProcesses | None,
    peaks: dict[str, Peak] | None,
) -> tuple[WrkResult, Window]:
    """One wrk run, sampling the stack's processes (and the machine's CPU) every half second meanwhile."""
    argv = wrk_argv(binary, url, script, connections, threads, seconds)
    marks: list[tuple[float, float]] = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as wrk:
        while wrk.poll() is None:
            if processes is not None and peaks is not None:
                marks.append((time.monotonic(), machine_busy_seconds()))
                for name, usage in processes.sample().items():
                    peaks.setdefault(name, Peak()).add(usage)
            time.sleep(0.5)
        output = wrk.stdout.read() if wrk.stdout else ""
    if wrk.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk.returncode}):\n{output}")
    window = Window(marks[-1][0] - marks[0][0], marks[-1][1] - marks[0][1]) if len(marks) > 1 else Window()
    return parse_wrk_output(output), window


def _preflight(url: str, tokens: Sequence[str], pool: Sequence[PoolRequest]) -> str | None:
    """The first few requests sent once: the GraphQL error of the first failing one, if any."""
    for request in pool[:3]:
        body = request.body.replace(SEQUENCE_MARKER, f"preflight-{uuid.uuid4().hex[:6]}")
        response = _http().post(
            url,
            content=body,
            headers={"authorization": f"Bearer {tokens[request.token]}", "content-type": "application/json"},
        )
        if response.status_code != 200 or '"errors"' in response.text:
            return f"HTTP {response.status_code}: {response.text[:300]}"
    return None


def _fmt_row(
    label: str, connections: int, result: WrkResult, rss: float, cpu: tuple[float, float, float]
) -> str:
    return (
        f"    {label:<28} {connections:>3} {result.rps:>8.1f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} "
        f"{result.requests:>8} {f'{result.non_2xx}/{result.graphql_errors}/{result.socket_errors}':>13} "
        f"{rss:>7.1f}  {cpu[0]:>5.0f} {cpu[1]:>5.0f} {cpu[2]:>5.0f}"
    )


def run_scenarios(
    db: str, ports: Ports, settings: Settings, binary: str, fixtures: Fixtures, work: Path
) -> Measurement:
    keycloak = f"http://127.0.0.1:{ports.keycloak}"
    gateway_url = f"http://127.0.0.1:{ports.gateway}/graphql"
    components = {"gateway": ports.gateway, **{s: ports.service(s) for s in SERVICES}}
    components |= {"keycloak": ports.keycloak, "nats": ports.nats}
    if db == "postgres":
        components["postgres"] = ports.postgres
    processes = StackProcesses(components)
    processes.discover()
    if processes.missing:
        print(f"  (no listening process found for: {', '.join(processes.missing)})")
    measurement = Measurement(db)
    print(
        f"    {'':<28} {'':>3} {'':>8} {'':>8} {'':>8} {'':>8} {'errors':>13} {'entry':>7}  "
        f"{'CPU, % of a core':>17}"
    )
    print(
        f"    {'path':<28} {'c':>3} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>8} "
        f"{'non2xx/gql/io':>13} {'RSS MB':>7}  {'entry':>5} {'stack':>5} {'host':>5}"
    )
    for scenario in (s for s in SCENARIOS if s.key in settings.scenarios):
        requests = scenario.build(fixtures)
        users = sorted({user for user, _ in requests}, key=ALL_USERS.index)
        print(f"  {scenario.key}: {scenario.title}; {len(requests)} distinct variable sets")
        if not requests:
            print("    (no requests: nothing seeded for this scenario)")
            continue
        for connections in settings.connections or scenario.connections:
            threads = settings.threads or min(2, connections)
            results: dict[str, WrkResult] = {}
            for path, url, query in (
                (
                    "direct",
                    f"http://127.0.0.1:{ports.service(scenario.service)}/graphql",
                    scenario.direct_query,
                ),
                ("gateway", gateway_url, scenario.gateway_query),
            ):
                # Fresh tokens for each run (they live 5 minutes).
                tokens = _tokens(keycloak, users, settings.tokens_per_user)
                pool = request_pool(requests, query, users, settings.tokens_per_user, settings.pool)
                script = work / f"{scenario.key}-{path}-{connections}.lua"
                script.write_text(lua_script(tokens, pool, threads=threads))
                problem = _preflight(url, tokens, pool)
                if problem:
                    print(f"    {path}: preflight error, figures below count it: {problem}")
                if settings.warmup > 0:
                    _run_wrk(binary, url, script, connections, threads, settings.warmup, None, None)
                peaks: dict[str, Peak] = {}
                result, window = _run_wrk(
                    binary, url, script, connections, threads, settings.duration, processes, peaks
                )
                measurement.add(peaks, window.seconds)
                entry = "gateway" if path == "gateway" else scenario.service
                rss = peaks[entry].rss_mb if entry in peaks else 0.0
                cpu = (
                    window.share(peaks[entry].cpu_seconds) if entry in peaks else 0.0,
                    window.share(sum(p.cpu_seconds for p in peaks.values())),
                    window.share(window.host_busy),
                )
                label = (
                    f"direct → {scenario.service}{scenario.direct_note}"
                    if path == "direct"
                    else f"gateway ({scenario.subgraphs} subgraph{'s' if scenario.subgraphs > 1 else ''})"
                )
                print(_fmt_row(label, connections, result, rss, cpu), flush=True)
                measurement.rows.append(Row(scenario.key, path, connections, result, rss))
                results[path] = result
            d, g = results["direct"], results["gateway"]
            if d.p50_ms > 0 and d.rps > 0:
                print(
                    f"    {'gateway / direct':<28} {connections:>3} {g.rps / d.rps:>7.2f}× "
                    f"{g.p50_ms / d.p50_ms:>7.2f}× {g.p99_ms / d.p99_ms:>7.2f}×"
                )
    return measurement


def report(measurement: Measurement, label: str) -> None:
    seconds = measurement.measured_seconds or 1.0
    print(f"\n  processes under load ({label}), peak over the measured runs, each process tree summed:")
    print(f"    {'component':<12} {'procs':>5} {'RSS MB':>8} {'PSS MB':>8} {'CPU s':>8} {'CPU % avg':>9}")
    for name, peak in measurement.peaks.items():
        cpu = measurement.cpu_seconds.get(name, 0.0)
        print(
            f"    {name:<12} {peak.processes:>5} {peak.rss_mb:>8.1f} {peak.pss_mb:>8.1f} "
            f"{cpu:>8.1f} {100 * cpu / seconds:>9.0f}"
        )
    gateway = measurement.peaks.get("gateway")
    print(f"\n  targets ({label}; 2 cores, everything on one machine):")
    for check in check_targets(measurement.rows, gateway.rss_mb if gateway else None):
        print(check.line())


def measure(db: Database, settings: Settings, binary: str) -> Measurement:
    label = "SQLite, the embedded default" if db == "sqlite" else "PostgreSQL"
    started = time.monotonic()
    print(f"\n== {label}: starting the stack ...", flush=True)
    with bench_stack(db) as ports, tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        keycloak = f"http://127.0.0.1:{ports.keycloak}"
        gateway = f"http://127.0.0.1:{ports.gateway}/graphql"
        tokens = {user: password_token(keycloak, user, DEMO_PASSWORD) for user in (BUREAU, TOWN)}
        _wait_for_demo_sources(gateway, tokens[BUREAU])
        added = asyncio.run(
            _seed_enterprises(database_url("archive", db), settings.enterprises, Path(scratch))
        )
        fixtures = gather_fixtures(ports, tokens)
        ids = fixtures.enterprise_ids[BUREAU]
        _wait_until_known(gateway, tokens[BUREAU], ids[:: max(1, len(ids) // 5)] + ids[-1:])
        print(
            f"   stack ready in {time.monotonic() - started:.0f} s; {added} sources seeded "
            f"({settings.enterprises} wanted); wrk {settings.duration:.0f} s per run after "
            f"{settings.warmup:.0f} s warm-up; {settings.tokens_per_user} tokens per user",
            flush=True,
        )
        measurement = run_scenarios(db, ports, settings, binary, fixtures, Path(scratch))
    report(measurement, label)
    return measurement


def parse_args(argv: Sequence[str]) -> tuple[list[Database], Settings]:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument(
        "--duration",
        type=float,
        default=float(os.environ.get("BENCH_DURATION", "10")),
        help="seconds per run (default 10)",
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of unmeasured load before each run"
    )
    parser.add_argument(
        "--connections", help="comma-separated connection counts for every scenario (default: 1,10 / 10)"
    )
    parser.add_argument("--threads", type=int, help="wrk threads (default: min(2, connections))")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIO_KEYS),
        help=f"comma-separated, from {', '.join(SCENARIO_KEYS)}",
    )
    parser.add_argument("--enterprises", type=int, default=600, help="sources seeded into the archive")
    parser.add_argument("--tokens-per-user", type=int, default=2)
    args = parser.parse_args(list(argv))
    scenarios = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
    unknown = [s for s in scenarios if s not in SCENARIO_KEYS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIO_KEYS)}")
    if args.duration + args.warmup > 280:
        parser.error("a run must fit in a token's 5-minute life: --duration + --warmup ≤ 280")
    connections = (
        tuple(int(c) for c in args.connections.split(",") if c.strip()) if args.connections else None
    )
    dbs: list[Database] = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if use_running() and dbs != ["sqlite"]:
        parser.error("BENCH_USE_RUNNING=1 measures make up's stack, which runs on SQLite")
    settings = Settings(
        duration=args.duration,
        warmup=args.warmup,
        connections=connections,
        threads=args.threads,
        scenarios=scenarios,
        enterprises=args.enterprises,
        tokens_per_user=max(1, args.tokens_per_user),
    )
    return dbs, settings


def main(argv: Sequence[str] = ()) -> int:
    dbs, settings = parse_args(argv)
    binary = wrk_binary()
    if binary is None:
        print(
            "load: wrk is not installed; run 'bash scripts/bench-tools.sh' (Debian: apt-get install -y wrk)"
        )
        return 2
    ports = bench_ports()
    print(
        f"load benchmark: {wrk_version(binary)} in a separate process, {os.cpu_count()} cores; "
        f"gateway :{ports.gateway}, subgraphs :{ports.service_base + 1}-{ports.service_base + len(SERVICES)}"
    )
    for db in dbs:
        measure(db, settings, binary)
    return 0
