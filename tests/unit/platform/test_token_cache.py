"""The verified-token cache: a token seen again skips the signature check, but never outlives its
``exp`` or its signing key, and revocation still refuses its holder at once.

Tokens here are signed by a key made for the test and served as the verifier's JWKS (no Keycloak).
"""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from jwcrypto import jwk, jwt

from ecosteward.app import authenticate
from ecosteward.auth import TokenVerifier
from ecosteward.config import load_settings
from ecosteward.db import service_metadata
from ecosteward.errors import Unauthenticated
from ecosteward.revocation import AGENCY, RevocationList, revocation_table

KEY = jwk.JWK.generate(kty="RSA", size=2048, kid="test-key", use="sig", alg="RS256")
OTHER_KEY = jwk.JWK.generate(kty="RSA", size=2048, kid="rotated-key", use="sig", alg="RS256")
AGENCY_ID = uuid.UUID("00000000-0000-4000-8000-00000000a001")


def _settings() -> Any:
    return load_settings("registry")


def _token(settings: Any, expires_in: int = 300, key: jwk.JWK = KEY, **claims: Any) -> str:
    kid = "rotated-key" if key is OTHER_KEY else "test-key"
    now = int(time.time())
    body = {
        "iss": settings.issuers[0],
        "aud": settings.audience,
        "exp": now + expires_in,
        "iat": now,
        "sub": str(uuid.uuid4()),
        "typ": "Bearer",
        "preferred_username": "staff-1",
        "agency_id": str(AGENCY_ID),
        "realm_access": {"roles": ["agency_staff"]},
        **claims,
    }
    token = jwt.JWT(header={"alg": "RS256", "kid": kid, "typ": "JWT"}, claims=body)
    token.make_signed_token(key)
    return str(token.serialize())


def _verifier(*keys: jwk.JWK, cache_size: int = 100) -> TokenVerifier:
    verifier = TokenVerifier(_settings(), leeway_seconds=0, min_refresh_seconds=0, cache_size=cache_size)
    served = {"keys": [k.export_public(as_dict=True) for k in keys or (KEY,)]}

    async def certs() -> dict[str, Any]:
        return served

    verifier._openid.a_certs = certs  # type: ignore[method-assign]
    verifier.served = served  # type: ignore[attr-defined]
    return verifier


async def test_a_token_seen_again_is_not_verified_again() -> None:
    verifier = _verifier()
    token = _token(_settings())
    first = await verifier.verify(token)
    for _ in range(5):
        assert await verifier.verify(token) == first
    assert verifier.signature_checks == 1


async def test_an_expired_token_in_the_cache_is_refused() -> None:
    verifier = _verifier()
    token = _token(_settings(), expires_in=30)
    await verifier.verify(token)
    await verifier.verify(token)
    assert verifier.signature_checks == 1  # it is in the cache
    with time_machine.travel(time.time() + 31, tick=False), pytest.raises(Unauthenticated) as caught:
        await verifier.verify(token)
    assert caught.value.extensions["reason"] == "TOKEN_EXPIRED"


async def test_a_token_whose_key_was_rotated_out_is_refused() -> None:
    verifier = _verifier(KEY)
    token = _token(_settings())
    await verifier.verify(token)
    verifier.served["keys"] = [OTHER_KEY.export_public(as_dict=True)]  # type: ignore[attr-defined]
    await verifier.verify(_token(_settings(), key=OTHER_KEY))  # the verifier learns the new key set
    with pytest.raises(Unauthenticated) as caught:
        await verifier.verify(token)
    assert caught.value.extensions["detail"] == "unknown_key"


async def test_a_refused_token_is_not_remembered() -> None:
    verifier = _verifier()
    settings = _settings()
    wrong_audience = _token(settings, aud="someone-else")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            await verifier.verify(wrong_audience)
    assert verifier.signature_checks == 2


async def test_the_cache_is_bounded() -> None:
    verifier = _verifier(cache_size=3)
    settings = _settings()
    tokens = [_token(settings, preferred_username=f"user-{i}") for i in range(5)]
    for token in tokens:
        await verifier.verify(token)
    await verifier.verify(tokens[0])  # evicted (least recently used): verified again
    assert verifier.signature_checks == 6
    await verifier.verify(tokens[4])  # still cached
    assert verifier.signature_checks == 6


async def test_a_revoked_caller_with_a_cached_token_is_refused_at_once() -> None:
    verifier = _verifier()
    revocations = RevocationList(revocation_table(service_metadata()))
    runtime: Any = SimpleNamespace(verifier=verifier, revocations=revocations)
    header = f"Bearer {_token(_settings())}"
    assert (await authenticate(runtime, header)).agency_id == AGENCY_ID
    assert (await authenticate(runtime, header)).agency_id == AGENCY_ID
    assert verifier.signature_checks == 1  # the second request was served from the cache
    revocations.replace({(AGENCY, str(AGENCY_ID)): "AGENCY_SUSPENDED"})
    with pytest.raises(Unauthenticated) as caught:
        await authenticate(runtime, header)
    assert caught.value.extensions["reason"] == "AGENCY_SUSPENDED"
    revocations.replace({})  # re-admitted: the same token works again
    assert (await authenticate(runtime, header)).agency_id == AGENCY_ID
