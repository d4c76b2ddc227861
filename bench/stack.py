"""The stack a benchmark runs against: its own stack (SQLite or PostgreSQL), or the one ``make up`` started.

``bench_stack()`` starts NATS, Keycloak (or reuses one serving the realm), the five services with demo
data and the gateway on separate ports, on the embedded default (SQLite files under
``.data/bench/db``) or, with ``db="postgres"``, on a throw-away PostgreSQL cluster of its own (fresh
databases ``bench_<service>`` each run) — the same way the e2e tests start theirs. Only one benchmark
stack runs at a time on a machine (a file lock), since they share ports and files.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx

from ecosteward import SERVICES
from ecosteward.config import REPO_ROOT
from ecosteward.devstack.components import (
    Ports,
    create_databases,
    pg_url,
    start_gateway,
    start_keycloak,
    start_nats,
    start_postgres,
    start_services,
)
from ecosteward.devstack.processes import ManagedProcess, StartError, port_open

BENCH_DIR = REPO_ROOT / ".data" / "bench"
BENCH_PORTS = Ports(nats=34222, gateway=34000, service_base=38300, postgres=35432)
LOCK_FILE = Path("/tmp/ecosteward-bench-stack.lock")
Database = Literal["sqlite", "postgres"]


def _ports_in_use(ports: Ports, db: Database) -> list[int]:
    wanted = [ports.nats, ports.nats + 4000, ports.gateway, *(ports.service(s) for s in SERVICES)]
    if db == "postgres":
        wanted.append(ports.postgres)
    return [port for port in wanted if port_open(port)]


def use_running() -> bool:
    """``BENCH_USE_RUNNING=1``: measure the stack ``make up`` started instead of starting one."""
    return os.environ.get("BENCH_USE_RUNNING") == "1"


def wait_for_data(
    url: str, token: str, query: str, ready: Callable[[dict[str, Any]], bool], seconds: float
) -> None:
    """Ask ``query`` each second until ``ready(data)`` or ``seconds`` pass (demo data arrives after start-up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = httpx.post(url, json={"query": query}, headers={"authorization": f"Bearer {token}"}).json()
        if body.get("data") and ready(body["data"]):
            return
        time.sleep(1)


def bench_data_dir() -> Path:
    return BENCH_DIR / "db"


def bench_ports() -> Ports:
    return Ports() if use_running() else BENCH_PORTS


def database_url(service: str, db: Database = "sqlite") -> str:
    """The database URL the benchmark stack gives ``service`` (``make up``'s data directory when running)."""
    if use_running():
        data_dir = Path(os.environ.get("ECOSTEWARD_DATA_DIR", str(REPO_ROOT / ".data"))).resolve()
        return f"sqlite+aiosqlite:///{data_dir / (service + '.db')}"
    if db == "postgres":
        return pg_url(BENCH_PORTS.postgres, f"bench_{service}")
    return f"sqlite+aiosqlite:///{bench_data_dir() / (service + '.db')}"


@contextmanager
def bench_stack(db: Database = "sqlite") -> Iterator[Ports]:
    """The whole stack with demo data on separate ports; BENCH_USE_RUNNING=1 uses ``make up``'s."""
    if use_running():
        yield Ports()
        return
    ports = BENCH_PORTS
    LOCK_FILE.touch(exist_ok=True)
    with LOCK_FILE.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        busy = _ports_in_use(ports, db)
        if busy:
            # Another program holds them: its NATS or services would be measured instead of ours.
            raise StartError(f"benchmark ports already in use by another process: {busy}")
        shutil.rmtree(bench_data_dir(), ignore_errors=True)
        shutil.rmtree(BENCH_DIR / f"jetstream-{ports.nats}", ignore_errors=True)
        run_dir = BENCH_DIR / "run"
        started: list[ManagedProcess] = []
        try:
            env = {
                "ECOSTEWARD_DATA_DIR": str(bench_data_dir()),
                "ECOSTEWARD_DEMO_DATA": "1",
                "ECOSTEWARD_NATS_URL": f"nats://127.0.0.1:{ports.nats}",
                "ECOSTEWARD_KEYCLOAK_URL": f"http://127.0.0.1:{ports.keycloak}",
                "ECOSTEWARD_LOG_LEVEL": "WARNING",
                # The load benchmark imports hundreds of sources; creating their Keycloak accounts
                # would hit Keycloak during the measured runs, a one-off backlog a live stack has not.
                "ECOSTEWARD_ARCHIVE_ACCOUNTS_SYNC_SECONDS": "86400",
            }
            if db == "postgres":
                started.append(start_postgres(ports.postgres, BENCH_DIR, run_dir))
                asyncio.run(
                    create_databases(ports.postgres, [f"bench_{s}" for s in SERVICES], drop_first=True)
                )
                env["ECOSTEWARD_DATABASE_URL_TEMPLATE"] = pg_url(ports.postgres, "bench_{service}")
            started.append(start_nats(ports.nats, BENCH_DIR, run_dir))
            keycloak = start_keycloak(ports.keycloak, BENCH_DIR, run_dir)
            if keycloak is not None:
                started.append(keycloak)
            started.extend(start_services(env, ports, BENCH_DIR, run_dir))
            started.append(start_gateway(ports, f"http://127.0.0.1:{ports.keycloak}", BENCH_DIR, run_dir))
            yield ports
        finally:
            for process in reversed(started):
                process.stop()
