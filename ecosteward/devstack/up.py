"""``make up``: the whole stack on the embedded default, with demo data, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from ecosteward import SERVICES
from ecosteward.config import REPO_ROOT
from ecosteward.demo import DEMO_PASSWORD, DEMO_USERS
from ecosteward.devstack.components import (
    Ports,
    start_gateway,
    start_keycloak,
    start_nats,
    start_services,
)
from ecosteward.devstack.processes import ManagedProcess, StartError
from ecosteward.devstack.supervisor import Supervisor


def _say(message: str) -> None:
    print(message, flush=True)


def banner(ports: Ports, keycloak_url: str, data_dir: Path) -> str:
    gateway = f"http://127.0.0.1:{ports.gateway}/graphql"
    users = "\n".join(f"    {user:<20} {role}" for user, role in DEMO_USERS.items())
    services = "\n".join(
        f"    {name:<11} http://127.0.0.1:{ports.service(name)}/graphql" for name in SERVICES
    )
    return f"""
EcoSteward is running (embedded default: SQLite under {data_dir}).

  Gateway (GraphiQL):  {gateway}
  Keycloak:            {keycloak_url}  (admin console: admin / admin)
  NATS:                nats://127.0.0.1:{ports.nats}
  Subgraphs (need a token too):
{services}

  Demo users (password {DEMO_PASSWORD}):
{users}

  Get a token and query the gateway:
    TOKEN=$(curl -s -d grant_type=password -d client_id=ecosteward-cli -d username=demo-bureau -d password={DEMO_PASSWORD} \\
      {keycloak_url}/realms/ecosteward/protocol/openid-connect/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -s {gateway} -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
      -d '{{"query":"{{ enterprises(first: 5) {{ totalCount edges {{ node {{ name jurisdiction {{ name }} }} }} }} }}"}}'

  Logs: {data_dir / "logs"}      Stop: Ctrl-C
"""


def run_up(demo: bool = True) -> int:
    ports = Ports()
    data_dir = Path(os.environ.get("ECOSTEWARD_DATA_DIR", str(REPO_ROOT / ".data"))).resolve()
    pid_dir = data_dir / "run"
    keycloak_url = f"http://127.0.0.1:{ports.keycloak}"
    started: list[ManagedProcess] = []
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    env = {
        "ECOSTEWARD_DATA_DIR": str(data_dir),
        "ECOSTEWARD_DEMO_DATA": "1" if demo else "0",
        "ECOSTEWARD_NATS_URL": f"nats://127.0.0.1:{ports.nats}",
        "ECOSTEWARD_KEYCLOAK_URL": keycloak_url,
    }
    try:
        _say("starting nats-server ...")
        started.append(start_nats(ports.nats, data_dir, pid_dir))
        _say("starting Keycloak (about 30-60 s on first start) ...")
        keycloak = start_keycloak(ports.keycloak, data_dir, pid_dir)
        if keycloak is not None:
            started.append(keycloak)
        _say("starting the five services ...")
        started.extend(start_services(env, ports, data_dir, pid_dir))
        _say("starting the gateway ...")
        started.append(start_gateway(ports, keycloak_url, data_dir, pid_dir))
        _say(banner(ports, keycloak_url, data_dir))
        # A crashed child is restarted with backoff; the others keep serving until Ctrl-C.
        Supervisor(started, say=_say).run(stop)
        return 0
    except StartError as exc:
        _say(f"start failed: {exc}")
        return 1
    finally:
        _say("stopping ...")
        for process in reversed(started):
            process.stop()
        _say("stopped.")


if __name__ == "__main__":
    sys.exit(run_up())
