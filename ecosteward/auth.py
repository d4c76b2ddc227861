"""Keycloak access-token verification and the principal handed to resolvers.

Tokens are verified locally: signature against the realm's JWKS (fetched with python-keycloak,
cached, refreshed when a token names an unknown key id — key rotation), issuer, audience and
expiry. Keycloak is never called per request.

A verified token's claims are kept (keyed by the raw token, bounded LRU) until its ``exp`` and for as
long as its signing key is in the key set, so a token seen again skips the signature check. The
caller's revocation check (``ecosteward.revocation``) still runs on every request.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections import OrderedDict
from typing import Any

from jwcrypto import jwk
from jwcrypto.common import JWException
from keycloak import KeycloakOpenID

from ecosteward.config import Settings
from ecosteward.errors import (
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TOKEN_MISSING,
    TOKEN_UNVERIFIABLE,
    Unauthenticated,
)
from ecosteward.identity import ROLES, Principal, Role

__all__ = ["ROLES", "Principal", "Role", "TokenVerifier"]

log = logging.getLogger(__name__)


def _token_header(token: str) -> dict[str, Any]:
    try:
        head = token.split(".")[0]
        padded = head + "=" * (-len(head) % 4)
        header = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise Unauthenticated(
            "The access token is malformed (令牌格式错误).", reason=TOKEN_INVALID, detail="malformed"
        ) from exc
    if not isinstance(header, dict):
        raise Unauthenticated(
            "The access token is malformed (令牌格式错误).", reason=TOKEN_INVALID, detail="malformed"
        )
    return header


TOKEN_CACHE_SIZE = 4096
"""Verified tokens each process remembers (a Keycloak access token is 1-2 KB: a few MB at most)."""


class TokenVerifier:
    """Verifies Keycloak access tokens against a cached JWKS; remembers the tokens it verified."""

    def __init__(
        self,
        settings: Settings,
        leeway_seconds: int = 5,
        min_refresh_seconds: float = 30.0,
        cache_size: int = TOKEN_CACHE_SIZE,
    ) -> None:
        self._openid = KeycloakOpenID(
            server_url=settings.keycloak_url + "/",
            realm_name=settings.keycloak_realm,
            client_id=settings.audience,
            timeout=5,
        )
        self._audience = settings.audience
        self._issuers = set(settings.issuers)
        self._leeway = leeway_seconds
        self._min_refresh = min_refresh_seconds
        self._keys: jwk.JWKSet | None = None
        self._key_ids: set[str] = set()
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self.jwks_fetches = 0
        self._verified: OrderedDict[str, tuple[dict[str, Any], int, str]] = OrderedDict()
        """raw token → (claims, exp, kid), least recently used first."""
        self._cache_size = cache_size
        self.signature_checks = 0

    async def _refresh(self, force: bool) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._keys is not None and (not force or now - self._fetched_at < self._min_refresh):
                return
            try:
                certs = await self._openid.a_certs()
            except Exception as exc:
                if self._keys is None:
                    raise Unauthenticated(
                        "Cannot verify the token: the identity provider's keys are unavailable"
                        " (暂时无法验证令牌).",
                        code="UNAUTHENTICATED",
                        reason=TOKEN_UNVERIFIABLE,
                        detail="jwks_unavailable",
                    ) from exc
                log.warning("JWKS refresh failed, keeping cached keys: %s", exc)
                self._fetched_at = now
                return
            keys = jwk.JWKSet()
            ids: set[str] = set()
            for cert in certs.get("keys", []):
                if cert.get("use", "sig") != "sig":
                    continue
                keys.add(jwk.JWK(**cert))
                if "kid" in cert:
                    ids.add(cert["kid"])
            self._keys, self._key_ids, self._fetched_at = keys, ids, now
            self.jwks_fetches += 1

    def _remembered(self, token: str) -> dict[str, Any] | None:
        """The claims of a token verified before, while it has not expired and its key is still known."""
        entry = self._verified.get(token)
        if entry is None:
            return None
        claims, expires, kid = entry
        # jwcrypto's rule: expired once exp < now - leeway
        if expires < int(time.time()) - self._leeway or kid not in self._key_ids:
            del self._verified[token]
            return None  # verified again in full: the answer (TOKEN_EXPIRED, unknown key) is the usual one
        self._verified.move_to_end(token)
        return dict(claims)

    def _remember(self, token: str, claims: dict[str, Any], kid: str) -> None:
        expires = claims.get("exp")
        if not isinstance(expires, int) or isinstance(expires, bool):
            return  # never cache a token without an expiry
        self._verified[token] = (dict(claims), expires, kid)
        while len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)

    async def verify(self, token: str) -> dict[str, Any]:
        """Return the verified claims or raise :class:`Unauthenticated`."""
        remembered = self._remembered(token)
        if remembered is not None:
            return remembered
        header = _token_header(token)
        kid = header.get("kid")
        if self._keys is None:
            await self._refresh(force=True)
        elif kid not in self._key_ids:
            await self._refresh(force=True)  # rotated keys: fetch at most every min_refresh seconds
        assert self._keys is not None
        if kid not in self._key_ids:
            raise Unauthenticated(
                "The access token is signed with an unknown key (签名密钥未知).",
                reason=TOKEN_INVALID,
                detail="unknown_key",
            )
        self.signature_checks += 1
        try:
            claims = self._openid.decode_token(
                token,
                validate=True,
                key=self._keys,
                leeway=self._leeway,
                check_claims={"exp": None, "aud": self._audience},
            )
        except JWException as exc:
            message = str(exc)
            if "Expired" in message:
                raise Unauthenticated(
                    "The access token has expired (令牌已过期).", reason=TOKEN_EXPIRED, detail="expired"
                ) from exc
            if "audience" in message.lower() or "'aud'" in message:
                raise Unauthenticated(
                    f"The access token is not meant for {self._audience} (受众不符).",
                    reason=TOKEN_INVALID,
                    detail="audience",
                ) from exc
            raise Unauthenticated(
                "The access token is invalid (令牌无效).", reason=TOKEN_INVALID, detail="invalid"
            ) from exc
        except (ValueError, TypeError) as exc:
            raise Unauthenticated(
                "The access token is malformed (令牌格式错误).", reason=TOKEN_INVALID, detail="malformed"
            ) from exc
        if claims.get("iss") not in self._issuers:
            raise Unauthenticated(
                "The access token comes from an unknown issuer (签发方不符).",
                reason=TOKEN_INVALID,
                detail="issuer",
            )
        if claims.get("typ", "Bearer") != "Bearer":
            raise Unauthenticated(
                "Only access tokens are accepted (需要访问令牌).", reason=TOKEN_INVALID, detail="type"
            )
        self._remember(token, claims, kid)
        return claims

    async def principal(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated(
                "Sign in first: no access token was sent (未登录).", reason=TOKEN_MISSING, detail="missing"
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "Send the token as 'Authorization: Bearer <token>' (令牌格式错误).",
                reason=TOKEN_INVALID,
                detail="malformed",
            )
        return Principal.from_claims(await self.verify(token.strip()))
