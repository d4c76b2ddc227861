"""``ecosteward`` command line: run the stack, serve a service, migrations, SDL export, tokens.

Services add their own commands through the ``ecosteward.commands`` entry-point group (pyproject);
the platform never imports a service module by name.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecosteward import SERVICES
from ecosteward.config import REPO_ROOT, environment

if TYPE_CHECKING:
    from ecosteward.runtime import ServiceDefinition

COMMAND_GROUP = "ecosteward.commands"
"""Entry points ``name = "module:main"``; ``main(argv: list[str]) -> int`` parses its own options."""


def _definition(service: str) -> ServiceDefinition:
    definition: ServiceDefinition = importlib.import_module(f"services.{service}.app").definition
    return definition


def service_commands() -> dict[str, EntryPoint]:
    """The commands services contribute (``ecosteward import-sources``), by name; loaded when run."""
    return {ep.name: ep for ep in entry_points(group=COMMAND_GROUP)}


def serve_options() -> dict[str, Any]:
    """uvicorn's settings for a service: the C HTTP parser (httptools) and uvloop (not on Windows).

    Malformed requests and headers over 64 KiB get coded JSON refusals (``ecosteward.server``).
    """
    from ecosteward.server import JsonErrorHttpToolsProtocol

    options: dict[str, Any] = {
        "log_config": None,
        "access_log": False,
        # The gateway keeps idle sockets to subgraphs for a few seconds; with uvicorn's 5 s default the
        # server could close one just as the gateway reused it ("socket hang up"). Outlive the client.
        "timeout_keep_alive": 75,
        "http": JsonErrorHttpToolsProtocol,
        # uvloop is not built for Windows (pyproject's marker): the standard loop there.
        "loop": "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio",
    }
    return options


def worker_count(database_url: str, configured: int) -> int:
    """Processes serving one service: ``ECOSTEWARD_WORKERS`` on PostgreSQL (default 1; the number of
    cores for throughput). All serve requests and relay the outbox; one, the leader, consumes and runs
    the periodic jobs (``ecosteward.leader``); revocations reach every process at the consumer's commit
    (``NOTIFY``). The embedded default (SQLite, one writer at a time) runs one process whatever is set.
    """
    if not database_url.startswith("postgresql"):
        return 1
    return max(1, configured)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ecosteward.config import load_settings

    if args.port:
        # The app reads its own port from the settings (e.g. to build download links).
        os.environ[f"ECOSTEWARD_{args.service.upper()}_PORT"] = str(args.port)
    settings = load_settings(args.service)
    workers = worker_count(settings.database_url, environment().workers)
    uvicorn.run(
        f"services.{args.service}.app:app",
        factory=True,
        host=settings.host,
        port=args.port or settings.port,
        workers=workers,
        **serve_options(),
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from ecosteward.config import load_settings
    from ecosteward.db import run_migrations

    for service in args.services or SERVICES:
        definition = _definition(service)
        run_migrations(service, load_settings(service).database_url, definition.migrations_dir)
        print(f"{service}: migrated")
    return 0


def cmd_revision(args: argparse.Namespace) -> int:
    """Autogenerate a migration by diffing the models against a scratch database at head."""
    from alembic import command

    from ecosteward.db import alembic_config, run_migrations

    definition = _definition(args.service)
    definition.migrations_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{scratch}/scratch.db"
        run_migrations(args.service, url, definition.migrations_dir)
        config = alembic_config(args.service, url, definition.migrations_dir)
        command.revision(config, message=args.message, autogenerate=True, rev_id=args.rev_id)
    return 0


def cmd_export_sdl(args: argparse.Namespace) -> int:
    from ecosteward.schema import sdl

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        schema = importlib.import_module(f"services.{service}.schema").schema
        (out / f"{service}.graphql").write_text(sdl(schema), encoding="utf-8")
        print(f"wrote {out / (service + '.graphql')}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from ecosteward.devstack.up import run_up

    return run_up(demo=not args.no_demo)


def cmd_token(args: argparse.Namespace) -> int:
    """Print a token; a refusal is one line on stderr and exit code 1 (no traceback)."""
    import json
    import urllib.error

    from ecosteward.devstack.components import password_token

    keycloak = environment().keycloak_url.rstrip("/")
    try:
        token = password_token(keycloak, args.username, args.password)
    except urllib.error.HTTPError as exc:
        try:
            answer = json.loads(exc.read() or b"{}")
        except ValueError:
            answer = {}
        why = answer.get("error_description") or answer.get("error") or f"HTTP {exc.code}"
        print(f"ecosteward token: Keycloak refused {args.username!r}: {why} (获取令牌失败)", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        print(
            f"ecosteward token: cannot reach Keycloak at {keycloak}: {reason} (无法连接 Keycloak)",
            file=sys.stderr,
        )
        return 1
    except (ValueError, KeyError) as exc:
        print(f"ecosteward token: Keycloak gave no access token: {exc} (未获得令牌)", file=sys.stderr)
        return 1
    print(token)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = service_commands()
    if argv[:1] and argv[0] in commands:  # a service's command parses its own options
        command: Callable[[list[str]], int] = commands[argv[0]].load()
        return int(command(argv[1:]))
    parser = argparse.ArgumentParser(prog="ecosteward", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run one service")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply migrations to head")
    p.add_argument("services", nargs="*", help="services to migrate (default: all)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("revision", help="autogenerate a migration for a service")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("-m", "--message", required=True)
    p.add_argument("--rev-id", default=None)
    p.set_defaults(func=cmd_revision)

    p = sub.add_parser("export-sdl", help="write each subgraph's SDL for composition")
    p.add_argument("--out", default=str(REPO_ROOT / "gateway" / "subgraphs"))
    p.set_defaults(func=cmd_export_sdl)

    p = sub.add_parser("up", help="run the whole stack locally with demo data")
    p.add_argument("--no-demo", action="store_true")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("token", help="print an access token for a user (password grant on ecosteward-cli)")
    p.add_argument("username")
    p.add_argument("--password", default="demo1234")
    p.set_defaults(func=cmd_token)

    for name in sorted(commands):
        sub.add_parser(name, help="a service's command (see its --help)")

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
