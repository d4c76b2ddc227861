#!/usr/bin/env python3
"""Verify the `ecosteward` Keycloak realm against a running Keycloak.

Checks:
  * every demo user can log in via the `ecosteward-cli` password grant, and the
    access token has aud ∋ ecosteward-api, the expected realm role in
    realm_access.roles, and exactly the expected scope claims
    (jurisdiction_id / agency_id / enterprise_id);
  * the `ecosteward-provisioner` client-credentials token works with
    python-keycloak's KeycloakAdmin: list users, create a throwaway user with a
    scope attribute (and a realm role), read it back, delete it;
  * the provisioner token's aud does NOT contain ecosteward-api.

Usage: python verify_realm.py [--url http://127.0.0.1:8180] [--realm ecosteward]
Requires: python-keycloak, httpx. Exit code 0 on success, 1 on failure.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import uuid

import httpx
from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

API_AUDIENCE = "ecosteward-api"
CLI_CLIENT = "ecosteward-cli"
PROVISIONER_CLIENT = "ecosteward-provisioner"
PROVISIONER_SECRET = "provisioner-dev-secret"
PASSWORD = "demo1234"
SCOPE_CLAIMS = ("jurisdiction_id", "agency_id", "enterprise_id")

J = "11111111-1111-4111-8111-111111111111"
A = "22222222-2222-4222-8222-222222222222"
E = "33333333-3333-4333-8333-333333333333"

DEMO_USERS = {
    "demo-bureau": ("bureau_officer", {}),
    "demo-town": ("town_officer", {"jurisdiction_id": J}),
    "demo-agency-admin": ("agency_admin", {"agency_id": A}),
    "demo-agency-staff": ("agency_staff", {"agency_id": A}),
    "demo-procurement": ("procurement_officer", {}),
    "demo-enterprise": ("enterprise_user", {"enterprise_id": E}),
}


def decode_jwt(token: str) -> dict:
    """Decode a JWT payload without verifying the signature (inspection only)."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def aud_list(claims: dict) -> list[str]:
    aud = claims.get("aud", [])
    return [aud] if isinstance(aud, str) else list(aud)


class Checker:
    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        (self.passed if ok else self.failed).append(what)
        print(f"  [{'PASS' if ok else 'FAIL'}] {what}")
        return ok


def token_request(client: httpx.Client, token_url: str, data: dict) -> dict:
    r = client.post(token_url, data=data)
    if r.status_code != 200:
        raise RuntimeError(f"token request failed: HTTP {r.status_code} {r.text}")
    return r.json()


def password_token(client: httpx.Client, token_url: str, username: str, **extra: str) -> dict:
    """A token for ``username`` (demo password) through the CLI client's password grant."""
    data = {"grant_type": "password", "client_id": CLI_CLIENT, "username": username, "password": PASSWORD}
    return token_request(client, token_url, {**data, **extra})


def scope_claims(claims: dict) -> dict:
    """The EcoSteward scope claims among ``claims`` (a token's or userinfo's)."""
    return {k: claims[k] for k in SCOPE_CLAIMS if k in claims}


def verify_users(c: Checker, http: httpx.Client, token_url: str, userinfo_url: str) -> None:
    for username, (role, expected) in DEMO_USERS.items():
        print(f"user {username}:")
        try:
            tok = password_token(http, token_url, username, scope="openid")
        except Exception as exc:
            c.check(False, f"{username}: password grant via {CLI_CLIENT} ({exc})")
            continue
        c.check(True, f"{username}: password grant via {CLI_CLIENT}")
        at = decode_jwt(tok["access_token"])
        c.check(API_AUDIENCE in aud_list(at), f"{username}: aud {aud_list(at)} contains {API_AUDIENCE}")
        roles = at.get("realm_access", {}).get("roles", [])
        c.check(role in roles, f"{username}: realm_access.roles contains {role}")
        others = {r for _, (r, _) in DEMO_USERS.items()} - {role}
        c.check(
            not (others & set(roles)),
            f"{username}: no other EcoSteward roles ({sorted(others & set(roles))})",
        )
        actual = scope_claims(at)
        c.check(actual == expected, f"{username}: access-token scope claims {actual} == {expected}")
        if "id_token" in tok:
            idt = decode_jwt(tok["id_token"])
            id_actual = scope_claims(idt)
            c.check(id_actual == expected, f"{username}: id-token scope claims {id_actual} == {expected}")
        ui = http.get(userinfo_url, headers={"Authorization": f"Bearer {tok['access_token']}"})
        if c.check(ui.status_code == 200, f"{username}: userinfo HTTP {ui.status_code}"):
            body = ui.json()
            ui_actual = scope_claims(body)
            c.check(ui_actual == expected, f"{username}: userinfo scope claims {ui_actual} == {expected}")


def verify_provisioner(c: Checker, http: httpx.Client, url: str, realm: str, token_url: str) -> None:
    print("provisioner:")
    try:
        tok = token_request(
            http,
            token_url,
            {
                "grant_type": "client_credentials",
                "client_id": PROVISIONER_CLIENT,
                "client_secret": PROVISIONER_SECRET,
            },
        )
    except Exception as exc:
        c.check(False, f"client_credentials for {PROVISIONER_CLIENT} ({exc})")
        return
    at = decode_jwt(tok["access_token"])
    c.check(
        API_AUDIENCE not in aud_list(at),
        f"provisioner token aud {aud_list(at)} does NOT contain {API_AUDIENCE}",
    )
    mgmt = set(at.get("resource_access", {}).get("realm-management", {}).get("roles", []))
    c.check(
        {"manage-users", "view-users", "query-users"} <= mgmt,
        f"provisioner has realm-management roles {sorted(mgmt)}",
    )

    conn = KeycloakOpenIDConnection(
        server_url=url,
        realm_name=realm,
        user_realm_name=realm,
        client_id=PROVISIONER_CLIENT,
        client_secret_key=PROVISIONER_SECRET,
        verify=True,
    )
    admin = KeycloakAdmin(connection=conn)
    try:
        users = admin.get_users({})
        names = {u["username"] for u in users}
        c.check(
            set(DEMO_USERS) <= names, f"KeycloakAdmin.get_users lists all demo users ({len(users)} users)"
        )
    except Exception as exc:
        c.check(False, f"KeycloakAdmin.get_users ({exc!r})")
        return

    username = f"verify-tmp-{uuid.uuid4().hex[:8]}"
    agency = str(uuid.uuid4())
    user_id = None
    try:
        user_id = admin.create_user(
            {
                "username": username,
                "email": f"{username}@demo.ecosteward.local",
                "firstName": "Verify",
                "lastName": "Temp",
                "enabled": True,
                "emailVerified": True,
                "attributes": {"agency_id": [agency]},
                "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
            },
            exist_ok=False,
        )
        c.check(bool(user_id), f"KeycloakAdmin.create_user {username}")
        got = admin.get_user(user_id)
        c.check(
            got.get("attributes", {}).get("agency_id") == [agency],
            f"created user keeps attribute agency_id={agency} (got {got.get('attributes')})",
        )
        # Assign a realm role (what provisioning code will do for agency_staff etc.).
        # NOTE: the provisioner only has manage/view/query-users, so GET /roles/{name}
        # (admin.get_realm_role) is 403 (needs view-realm). Take the role representation
        # from the user's *available* realm roles instead, which manage-users may read.
        try:
            available = {r["name"]: r for r in admin.get_available_realm_roles_of_user(user_id)}
            admin.assign_realm_roles(user_id, [available["agency_staff"]])
            assigned = {r["name"] for r in admin.get_realm_roles_of_user(user_id)}
            c.check("agency_staff" in assigned, "provisioner can assign realm role agency_staff")
        except Exception as exc:
            c.check(False, f"provisioner can assign realm role agency_staff ({exc!r})")
        # The new user's token should carry the claim.
        try:
            utok = password_token(http, token_url, username)
            uat = decode_jwt(utok["access_token"])
            c.check(
                uat.get("agency_id") == agency
                and "agency_staff" in uat.get("realm_access", {}).get("roles", []),
                "provisioned user's token has agency_id + agency_staff",
            )
        except Exception as exc:
            c.check(False, f"provisioned user can log in ({exc})")
    except Exception as exc:
        c.check(False, f"KeycloakAdmin.create_user ({exc!r})")
    finally:
        if user_id:
            try:
                admin.delete_user(user_id)
                c.check(admin.get_user_id(username) is None, f"KeycloakAdmin.delete_user {username}")
            except Exception as exc:
                c.check(False, f"KeycloakAdmin.delete_user ({exc!r})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8180", help="Keycloak base URL")
    ap.add_argument("--realm", default="ecosteward")
    args = ap.parse_args()
    url = args.url.rstrip("/")
    oidc = f"{url}/realms/{args.realm}/protocol/openid-connect"
    c = Checker()
    with httpx.Client(timeout=30) as http:
        try:
            r = http.get(f"{url}/realms/{args.realm}/.well-known/openid-configuration")
            r.raise_for_status()
        except Exception as exc:
            print(f"FAIL: realm {args.realm} not reachable at {url}: {exc}")
            return 1
        verify_users(c, http, f"{oidc}/token", f"{oidc}/userinfo")
        verify_provisioner(c, http, url, args.realm, f"{oidc}/token")
    print(f"\nSummary: {len(c.passed)} passed, {len(c.failed)} failed")
    for f in c.failed:
        print(f"  FAILED: {f}")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
