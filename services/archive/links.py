"""Absolute links to the archive service's own HTTP routes (uploads, document content, ZIP downloads).

Those routes are plain HTTP on the archive service, not GraphQL, so they are not behind the gateway:
every GraphQL field that hands out a link gives an absolute URL built from
``ECOSTEWARD_ARCHIVE_PUBLIC_URL`` (the archive's public origin, optionally with a path prefix, e.g.
``https://archive.example.gov.cn``), by default the archive service's own address
``http://<ECOSTEWARD_HOST>:<port>`` (``127.0.0.1`` when it listens on every interface).
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import quote, urlsplit

from ecosteward.config import ArchiveSettings, Settings

log = logging.getLogger(__name__)

PUBLIC_URL_ENV = "ECOSTEWARD_ARCHIVE_PUBLIC_URL"
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}


def _default_base(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in _WILDCARD_HOSTS else settings.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{settings.port}"


def public_base_url(settings: Settings) -> str:
    """The archive's public base URL, without a trailing slash (see the module docstring).

    A configured value that is not an absolute http(s) URL is ignored with a warning: links must stay
    absolute.
    """
    configured = ArchiveSettings().public_url.strip().rstrip("/")
    if configured:
        parts = urlsplit(configured)
        if parts.scheme in ("http", "https") and parts.netloc and not parts.query and not parts.fragment:
            return configured
        log.warning(
            "%s=%r is not an absolute http(s) URL; using the service's own address",
            PUBLIC_URL_ENV,
            configured,
        )
    return _default_base(settings)


def content_path(version_id: uuid.UUID) -> str:
    """The archive route that streams one document version's content."""
    return f"/archive/documents/{version_id}/content"


def upload_path(enterprise_id: uuid.UUID, item_code: str) -> str:
    """The archive route that takes an upload for one E.1 item of an enterprise."""
    return f"/archive/enterprises/{enterprise_id}/items/{quote(item_code, safe='')}/documents"


def content_url(settings: Settings, version_id: uuid.UUID) -> str:
    return public_base_url(settings) + content_path(version_id)


def upload_url(settings: Settings, enterprise_id: uuid.UUID, item_code: str) -> str:
    return public_base_url(settings) + upload_path(enterprise_id, item_code)
