"""The stack a benchmark runs against: its own embedded stack, or the one ``make up`` started."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ecosteward.config import REPO_ROOT
from ecosteward.devstack.components import Ports, start_gateway, start_keycloak, start_nats, start_services
from ecosteward.devstack.processes import ManagedProcess

BENCH_DIR = REPO_ROOT / ".data" / "bench"


def bench_data_dir() -> Path:
    return BENCH_DIR / "db"


@contextmanager
def bench_stack() -> Iterator[Ports]:
    """SQLite (the embedded default), demo data, separate ports; BENCH_USE_RUNNING=1 uses ``make up``'s."""
    if os.environ.get("BENCH_USE_RUNNING") == "1":
        yield Ports()
        return
    ports = Ports(nats=24222, gateway=24000, service_base=28100)
    shutil.rmtree(bench_data_dir(), ignore_errors=True)
    shutil.rmtree(BENCH_DIR / f"jetstream-{ports.nats}", ignore_errors=True)
    started: list[ManagedProcess] = []
    try:
        started.append(start_nats(ports.nats, BENCH_DIR, BENCH_DIR / "run"))
        keycloak = start_keycloak(ports.keycloak, BENCH_DIR, BENCH_DIR / "run")
        if keycloak is not None:
            started.append(keycloak)
        env = {
            "ECOSTEWARD_DATA_DIR": str(bench_data_dir()),
            "ECOSTEWARD_DEMO_DATA": "1",
            "ECOSTEWARD_NATS_URL": f"nats://127.0.0.1:{ports.nats}",
            "ECOSTEWARD_KEYCLOAK_URL": f"http://127.0.0.1:{ports.keycloak}",
            "ECOSTEWARD_LOG_LEVEL": "WARNING",
        }
        started.extend(start_services(env, ports, BENCH_DIR, BENCH_DIR / "run"))
        started.append(
            start_gateway(ports, f"http://127.0.0.1:{ports.keycloak}", BENCH_DIR, BENCH_DIR / "run")
        )
        yield ports
    finally:
        for process in reversed(started):
            process.stop()
