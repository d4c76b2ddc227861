"""Token verification against the real Keycloak realm."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from ecosteward.auth import TokenVerifier
from ecosteward.config import load_settings
from ecosteward.demo import DEMO_AGENCY_ID, DEMO_ENTERPRISE_ID, DEMO_JURISDICTION_ID, DEMO_USERS
from ecosteward.errors import Unauthenticated
from tests.support import Infra, keycloak_admin_token


@pytest.fixture
def verifier(infra: Infra, monkeypatch: pytest.MonkeyPatch) -> TokenVerifier:
    monkeypatch.setenv("ECOSTEWARD_KEYCLOAK_URL", infra.keycloak_url)
    return TokenVerifier(load_settings("registry"), leeway_seconds=0)


async def test_every_demo_user_gets_its_role_and_scope(infra: Infra, verifier: TokenVerifier) -> None:
    for username, role in DEMO_USERS.items():
        principal = await verifier.principal(f"Bearer {infra.token(username)}")
        assert principal.username == username
        assert principal.roles == {role}
    town = await verifier.principal(f"Bearer {infra.token('demo-town')}")
    assert town.jurisdiction_id == DEMO_JURISDICTION_ID and town.agency_id is None
    staff = await verifier.principal(f"Bearer {infra.token('demo-agency-staff')}")
    assert staff.agency_id == DEMO_AGENCY_ID
    enterprise = await verifier.principal(f"Bearer {infra.token('demo-enterprise')}")
    assert enterprise.enterprise_id == DEMO_ENTERPRISE_ID


async def test_keys_are_cached_not_fetched_per_request(infra: Infra, verifier: TokenVerifier) -> None:
    token = infra.token("demo-bureau")
    for _ in range(50):
        await verifier.verify(token)
    assert verifier.jwks_fetches == 1


def _ext(error: Unauthenticated) -> dict[str, Any]:
    return error.extensions or {}


def _tamper(token: str) -> str:
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["realm_access"] = {"roles": ["bureau_officer"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("Basic dXNlcjpwYXNz", "malformed"),
        ("Bearer ", "malformed"),
        ("Bearer not-a-jwt", None),
        ("Bearer a.b.c", None),
    ],
)
async def test_missing_or_malformed_tokens_are_refused(
    verifier: TokenVerifier, header: str | None, reason: str | None
) -> None:
    with pytest.raises(Unauthenticated) as caught:
        await verifier.principal(header)
    assert _ext(caught.value)["code"] == "UNAUTHENTICATED"
    if reason:
        assert _ext(caught.value)["detail"] == reason
        assert _ext(caught.value)["reason"] == ("TOKEN_MISSING" if reason == "missing" else "TOKEN_INVALID")


async def test_a_tampered_token_is_refused(infra: Infra, verifier: TokenVerifier) -> None:
    forged = _tamper(infra.token("demo-enterprise"))
    with pytest.raises(Unauthenticated) as caught:
        await verifier.verify(forged)
    assert _ext(caught.value)["reason"] == "TOKEN_INVALID"
    assert _ext(caught.value)["detail"] == "invalid"


async def test_a_token_for_another_audience_is_refused(infra: Infra, verifier: TokenVerifier) -> None:
    # The provisioner's service-account token is genuine but not meant for the API.
    response = httpx.post(
        f"{infra.keycloak_url}/realms/ecosteward/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "ecosteward-provisioner",
            "client_secret": "provisioner-dev-secret",
        },
    )
    token = response.json()["access_token"]
    with pytest.raises(Unauthenticated) as caught:
        await verifier.verify(token)
    assert _ext(caught.value)["reason"] == "TOKEN_INVALID"
    assert _ext(caught.value)["detail"] == "audience"


async def test_an_expired_token_is_refused(infra: Infra, verifier: TokenVerifier) -> None:
    client_id = f"short-lived-{uuid.uuid4().hex[:6]}"
    admin = {"authorization": f"Bearer {keycloak_admin_token(infra.keycloak_url)}"}
    base = f"{infra.keycloak_url}/admin/realms/ecosteward"
    created = httpx.post(
        f"{base}/clients",
        headers=admin,
        json={
            "clientId": client_id,
            "publicClient": True,
            "directAccessGrantsEnabled": True,
            "standardFlowEnabled": False,
            "attributes": {"access.token.lifespan": "2"},
            "protocolMappers": [
                {
                    "name": "aud",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-audience-mapper",
                    "config": {"included.client.audience": "ecosteward-api", "access.token.claim": "true"},
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    try:
        token = httpx.post(
            f"{infra.keycloak_url}/realms/ecosteward/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": client_id,
                "username": "demo-bureau",
                "password": "demo1234",
            },
        ).json()["access_token"]
        assert (await verifier.verify(token))["azp"] == client_id  # valid while fresh
        time.sleep(3.5)
        with pytest.raises(Unauthenticated) as caught:
            await verifier.verify(token)
        assert _ext(caught.value)["reason"] == "TOKEN_EXPIRED"
        assert _ext(caught.value)["detail"] == "expired"
    finally:
        clients = httpx.get(f"{base}/clients", params={"clientId": client_id}, headers=admin).json()
        for client in clients:
            httpx.delete(f"{base}/clients/{client['id']}", headers=admin)


async def test_rotated_keys_are_fetched_again_but_not_on_every_unknown_kid(
    infra: Infra, verifier: TokenVerifier
) -> None:
    from jwcrypto import jwk

    # The verifier still holds the key set from before a rotation: the realm's key id is unknown to it.
    old = jwk.JWKSet()
    old.add(jwk.JWK.generate(kty="RSA", size=2048, kid="retired-key"))
    verifier._keys, verifier._key_ids, verifier._fetched_at = old, {"retired-key"}, 0.0
    token = infra.token("demo-bureau")
    assert (await verifier.verify(token))["preferred_username"] == "demo-bureau"
    assert verifier.jwks_fetches == 1  # one fetch picked up the new key
    # A forged kid right after does not make it fetch again (no amplification towards Keycloak).
    head = (
        base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": "made-up", "typ": "JWT"}).encode())
        .decode()
        .rstrip("=")
    )
    forged = head + "." + token.split(".", 1)[1]
    with pytest.raises(Unauthenticated):
        await verifier.verify(forged)
    assert verifier.jwks_fetches == 1
