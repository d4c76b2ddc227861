"""Settings from environment variables (12-factor), one place for every service.

:class:`Environment` (pydantic-settings) reads every ``ECOSTEWARD_*`` variable, in sections:
``archive``, ``blobs``, ``keycloak_admin``, ``registry``. :func:`load_settings` turns it into the
:class:`Settings` of one service (its port and database URL resolved). Sections can also be read
on their own (``ArchiveSettings()``), always from the current environment. Empty values mean
"not set"; a section's number that does not parse is logged and replaced by its default.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ecosteward import DEFAULT_PORTS

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- lenient values


def _flag(*truthy: str) -> BeforeValidator:
    """A boolean that is true for ``truthy`` spellings only (anything else is false, never an error)."""
    return BeforeValidator(lambda value: value if isinstance(value, bool) else str(value).lower() in truthy)


def _number_or_default(kind: type[int] | type[float], default: float | None, env: str, positive: bool) -> Any:
    """A number from the environment; one that does not parse (or is not positive) warns and uses ``default``."""

    def check(value: Any) -> Any:
        if value is None or isinstance(value, (int, float)):
            return value
        raw = str(value).strip()
        if not raw:
            return default
        try:
            number = kind(raw)
        except ValueError:
            number = None
        if number is None or (positive and not number > 0):  # NaN too
            shown = "the default" if default is None else default
            log.warning("%s=%r is not a %snumber; using %s", env, raw, "positive " if positive else "", shown)
            return default
        return number

    return BeforeValidator(check)


class _Section(BaseSettings):
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True)


# ----------------------------------------------------------------------------- sections


class ArchiveSettings(_Section):
    """The archive service's settings (档案)."""

    max_upload_bytes: Annotated[
        int | None, _number_or_default(int, None, "ECOSTEWARD_ARCHIVE_MAX_UPLOAD_BYTES", positive=False)
    ] = Field(default=None, validation_alias="ECOSTEWARD_ARCHIVE_MAX_UPLOAD_BYTES")
    """Upload size limit in bytes; ``None``: the archive's default."""
    download_ttl_seconds: Annotated[
        int, _number_or_default(int, 300, "ECOSTEWARD_DOWNLOAD_TTL_SECONDS", positive=True)
    ] = Field(default=300, validation_alias="ECOSTEWARD_DOWNLOAD_TTL_SECONDS")
    """How long a download link lives."""
    download_secret: str = Field(default="", validation_alias="ECOSTEWARD_DOWNLOAD_SECRET")
    """HMAC key of download links; empty: one generated once under the data directory."""
    public_url: str = Field(default="", validation_alias="ECOSTEWARD_ARCHIVE_PUBLIC_URL")
    """Public base URL of download links; empty: the service's own address."""
    reclassify_seconds: Annotated[
        float, _number_or_default(float, 3600.0, "ECOSTEWARD_ARCHIVE_RECLASSIFY_SECONDS", positive=True)
    ] = Field(default=3600.0, validation_alias="ECOSTEWARD_ARCHIVE_RECLASSIFY_SECONDS")
    """Interval of the re-classification job."""
    accounts_sync_seconds: float = Field(
        default=5.0, validation_alias="ECOSTEWARD_ARCHIVE_ACCOUNTS_SYNC_SECONDS"
    )
    """Interval of the Keycloak account sync job."""


class RegistrySettings(_Section):
    """The registry service's job intervals and waits (名录)."""

    accounts_sync_seconds: float = Field(
        default=5.0, validation_alias="ECOSTEWARD_REGISTRY_ACCOUNTS_SYNC_SECONDS"
    )
    overdue_check_seconds: float = Field(
        default=60.0, validation_alias="ECOSTEWARD_REGISTRY_OVERDUE_CHECK_SECONDS"
    )
    permit_expiry_check_seconds: float = Field(
        default=300.0, validation_alias="ECOSTEWARD_REGISTRY_PERMIT_EXPIRY_CHECK_SECONDS"
    )
    scope_wait_seconds: float = Field(default=5.0, validation_alias="ECOSTEWARD_REGISTRY_SCOPE_WAIT_SECONDS")


class BlobSettings(_Section):
    """Where uploaded files live: ``local`` (under the data directory) or ``s3``."""

    backend: str = Field(default="local", validation_alias="ECOSTEWARD_BLOB_BACKEND")
    s3_bucket: str = Field(default="", validation_alias="ECOSTEWARD_S3_BUCKET")
    s3_endpoint_url: str = Field(default="", validation_alias="ECOSTEWARD_S3_ENDPOINT_URL")
    """Empty: AWS itself."""
    s3_region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("ECOSTEWARD_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    s3_prefix: str = Field(default="", validation_alias="ECOSTEWARD_S3_PREFIX")


class KeycloakAdminSettings(_Section):
    """The confidential client that provisions accounts in Keycloak."""

    url: str = Field(default="http://127.0.0.1:8180", validation_alias="ECOSTEWARD_KEYCLOAK_URL")
    realm: str = Field(default="ecosteward", validation_alias="ECOSTEWARD_KEYCLOAK_REALM")
    client_id: str = Field(
        default="ecosteward-provisioner", validation_alias="ECOSTEWARD_PROVISIONER_CLIENT_ID"
    )
    client_secret: str = Field(
        default="provisioner-dev-secret", validation_alias="ECOSTEWARD_PROVISIONER_SECRET"
    )


class ServiceEndpoint(_Section):
    """``ECOSTEWARD_<SERVICE>_PORT`` and ``ECOSTEWARD_<SERVICE>_DATABASE_URL`` (read with that prefix)."""

    port: int | None = None
    database_url: str | None = None


class Environment(BaseSettings):
    """Every ``ECOSTEWARD_*`` setting, read once from the environment."""

    model_config = SettingsConfigDict(
        env_prefix="ECOSTEWARD_", env_ignore_empty=True, extra="ignore", frozen=True
    )

    data_dir: Path = REPO_ROOT / ".data"
    host: str = "127.0.0.1"
    nats_url: str = "nats://127.0.0.1:4222"
    keycloak_url: str = "http://127.0.0.1:8180"
    keycloak_realm: str = "ecosteward"
    audience: str = "ecosteward-api"
    issuers: str = ""
    """Comma-separated accepted token issuers; empty: the realm's URL on 127.0.0.1 and localhost."""
    dev: Annotated[bool, _flag("1", "true", "yes", "on")] = True
    demo_data: Annotated[bool, _flag("1", "true", "yes")] = False
    database_url_template: str = ""
    """``postgresql+asyncpg://eco@127.0.0.1:5432/ecosteward_{service}``: one database per service."""
    outbox_poll_seconds: float = 1.0
    consumer_max_deliver: int = 5
    log_level: str = "INFO"
    outbox_retention_days: float = 7.0
    inbox_retention_days: float = 7.0
    event_prune_seconds: float = 3600.0
    workers: int = Field(default=1, ge=1)
    """Worker processes per service (``ecosteward serve``) on PostgreSQL, e.g. one per core; SQLite: one."""

    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    blobs: BlobSettings = Field(default_factory=BlobSettings)
    keycloak_admin: KeycloakAdminSettings = Field(default_factory=KeycloakAdminSettings)

    def endpoint(self, service: str) -> ServiceEndpoint:
        return ServiceEndpoint(_env_prefix=f"ECOSTEWARD_{service.upper()}_")  # type: ignore[call-arg]


def environment() -> Environment:
    """The settings as the environment says now (cheap; not cached, so tests can change variables)."""
    return Environment()


# ----------------------------------------------------------------------------- one service


@dataclass(frozen=True)
class Settings:
    """Runtime settings of one service (from :class:`Environment`, with its port and database).

    The defaults give the embedded setup (SQLite files under the data directory, local NATS and
    Keycloak).
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
    outbox_retention_days: float = 7.0
    """Published outbox rows older than this are pruned (``ECOSTEWARD_OUTBOX_RETENTION_DAYS``)."""
    inbox_retention_days: float = 7.0
    """Inbox rows older than this are pruned, never under the duplicate window (``ECOSTEWARD_INBOX_RETENTION_DAYS``)."""
    event_prune_seconds: float = 3600.0
    """How often each service prunes its outbox and inbox (``ECOSTEWARD_EVENT_PRUNE_SECONDS``)."""
    demo_data: bool = False
    """Load the demo data at start (``ECOSTEWARD_DEMO_DATA``)."""
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    blobs: BlobSettings = field(default_factory=BlobSettings)
    keycloak_admin: KeycloakAdminSettings = field(default_factory=KeycloakAdminSettings)


def database_url_for(service: str, data_dir: Path, env: Environment | None = None) -> str:
    """The database URL of ``service``.

    ``ECOSTEWARD_<SERVICE>_DATABASE_URL`` wins; otherwise ``ECOSTEWARD_DATABASE_URL_TEMPLATE`` with
    ``{service}`` replaced (e.g. ``postgresql+asyncpg://eco@127.0.0.1:5432/ecosteward_{service}``);
    otherwise a SQLite file under the data directory. Each service has its own database.
    """
    env = env or environment()
    explicit = env.endpoint(service).database_url
    if explicit:
        return explicit
    if env.database_url_template:
        return env.database_url_template.format(service=service)
    return f"sqlite+aiosqlite:///{data_dir / (service + '.db')}"


def _issuers(env: Environment, keycloak_url: str) -> tuple[str, ...]:
    realm = env.keycloak_realm
    configured = env.issuers or ",".join(
        {
            f"{keycloak_url}/realms/{realm}",
            f"{keycloak_url.replace('127.0.0.1', 'localhost')}/realms/{realm}",
            f"{keycloak_url.replace('localhost', '127.0.0.1')}/realms/{realm}",
        }
    )
    return tuple(sorted(i.strip() for i in configured.split(",") if i))


def load_settings(service: str) -> Settings:
    """Read the settings of ``service`` from the environment."""
    env = environment()
    data_dir = env.data_dir.resolve()
    keycloak_url = env.keycloak_url.rstrip("/")
    port = env.endpoint(service).port
    return Settings(
        service=service,
        host=env.host,
        port=DEFAULT_PORTS.get(service, 8100) if port is None else port,
        data_dir=data_dir,
        database_url=database_url_for(service, data_dir, env),
        nats_url=env.nats_url,
        keycloak_url=keycloak_url,
        keycloak_realm=env.keycloak_realm,
        audience=env.audience,
        issuers=_issuers(env, keycloak_url),
        dev_mode=env.dev,
        outbox_poll_seconds=env.outbox_poll_seconds,
        consumer_max_deliver=env.consumer_max_deliver,
        log_level=env.log_level,
        outbox_retention_days=env.outbox_retention_days,
        inbox_retention_days=env.inbox_retention_days,
        event_prune_seconds=env.event_prune_seconds,
        demo_data=env.demo_data,
        archive=env.archive,
        registry=env.registry,
        blobs=env.blobs,
        keycloak_admin=env.keycloak_admin,
    )
