"""GraphQL documents the archive's e2e tests share (users: ``tests/e2e/users.py``)."""

from __future__ import annotations

from tests.e2e.helpers import CREATE_JURISDICTION

__all__ = ["CREATE_JURISDICTION", "REGISTER", "REQUEST_DOWNLOAD"]

REGISTER = "mutation($input: RegisterEnterpriseInput!) { registerEnterprise(input: $input) { id } }"
"""Register a pollution source; answers its id."""

REQUEST_DOWNLOAD = (
    """mutation($id: ID!) { requestArchiveDownload(enterpriseId: $id) { url expiresAt downloadId } }"""
)
"""A signed link to an enterprise's whole archive."""
