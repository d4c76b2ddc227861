"""Settings from environment variables (12-factor), one place for every service."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ecosteward import DEFAULT_PORTS

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Runtime settings of one service.

    Every value comes from an ``ECOSTEWARD_*`` environment variable; the defaults give the
    embedded setup (SQLite files under the data directory, local NATS and Keycloak).
    """

    service: str
    host: str
    port: int
    data_dir: Path
    database_url: str
    nats_url: str
    keycloak_url: str
    keycloak_realm: str
    audience: str
    issuers: tuple[str, ...]
    dev_mode: bool
    outbox_poll_seconds: float
    consumer_max_deliver: int
    log_level: str
    extra: dict[str, str] = field(default_factory=dict)
    outbox_retention_days: float = 7.0
    """Published outbox rows older than this are pruned (``ECOSTEWARD_OUTBOX_RETENTION_DAYS``)."""
    inbox_retention_days: float = 7.0
    """Inbox rows older than this are pruned, never under the duplicate window (``ECOSTEWARD_INBOX_RETENTION_DAYS``)."""
    event_prune_seconds: float = 3600.0
    """How often each service prunes its outbox and inbox (``ECOSTEWARD_EVENT_PRUNE_SECONDS``)."""

    @property
    def jwks_url(self) -> str:
        return f"{self.keycloak_url}/realms/{self.keycloak_realm}/protocol/openid-connect/certs"

    @property
    def stream_name(self) -> str:
        """The JetStream stream this service owns (one stream per service)."""
        return f"ECOSTEWARD_{self.service.upper()}"


def database_url_for(service: str, data_dir: Path) -> str:
    """The database URL of ``service``.

    ``ECOSTEWARD_<SERVICE>_DATABASE_URL`` wins; otherwise ``ECOSTEWARD_DATABASE_URL_TEMPLATE`` with
    ``{service}`` replaced (e.g. ``postgresql+asyncpg://eco@127.0.0.1:5432/ecosteward_{service}``);
    otherwise a SQLite file under the data directory. Each service has its own database.
    """
    explicit = os.environ.get(f"ECOSTEWARD_{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    template = os.environ.get("ECOSTEWARD_DATABASE_URL_TEMPLATE")
    if template:
        return template.format(service=service)
    return f"sqlite+aiosqlite:///{data_dir / (service + '.db')}"


def load_settings(service: str) -> Settings:
    """Read the settings of ``service`` from the environment."""
    data_dir = Path(_env("ECOSTEWARD_DATA_DIR", str(REPO_ROOT / ".data"))).resolve()
    keycloak_url = _env("ECOSTEWARD_KEYCLOAK_URL", "http://127.0.0.1:8180").rstrip("/")
    realm = _env("ECOSTEWARD_KEYCLOAK_REALM", "ecosteward")
    default_issuers = ",".join(
        {
            f"{keycloak_url}/realms/{realm}",
            f"{keycloak_url.replace('127.0.0.1', 'localhost')}/realms/{realm}",
            f"{keycloak_url.replace('localhost', '127.0.0.1')}/realms/{realm}",
        }
    )
    issuers = tuple(sorted(i.strip() for i in _env("ECOSTEWARD_ISSUERS", default_issuers).split(",") if i))
    return Settings(
        service=service,
        host=_env("ECOSTEWARD_HOST", "127.0.0.1"),
        port=int(_env(f"ECOSTEWARD_{service.upper()}_PORT", str(DEFAULT_PORTS.get(service, 8100)))),
        data_dir=data_dir,
        database_url=database_url_for(service, data_dir),
        nats_url=_env("ECOSTEWARD_NATS_URL", "nats://127.0.0.1:4222"),
        keycloak_url=keycloak_url,
        keycloak_realm=realm,
        audience=_env("ECOSTEWARD_AUDIENCE", "ecosteward-api"),
        issuers=issuers,
        dev_mode=_env_bool("ECOSTEWARD_DEV", True),
        outbox_poll_seconds=float(_env("ECOSTEWARD_OUTBOX_POLL_SECONDS", "1.0")),
        consumer_max_deliver=int(_env("ECOSTEWARD_CONSUMER_MAX_DELIVER", "5")),
        log_level=_env("ECOSTEWARD_LOG_LEVEL", "INFO"),
        outbox_retention_days=float(_env("ECOSTEWARD_OUTBOX_RETENTION_DAYS", "7")),
        inbox_retention_days=float(_env("ECOSTEWARD_INBOX_RETENTION_DAYS", "7")),
        event_prune_seconds=float(_env("ECOSTEWARD_EVENT_PRUNE_SECONDS", "3600")),
    )
