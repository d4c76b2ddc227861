"""The whole stack as a front end sees it: Keycloak tokens, the Hive gateway, five subgraphs, NATS.

Services run on PostgreSQL with demo data; users log in through Keycloak's token endpoint.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import httpx
import nats
import pytest

from ecosteward import SERVICES
from ecosteward.demo import DEMO_ENTERPRISE_ID, DEMO_JURISDICTION_ID, DEMO_USERS
from ecosteward.events import EventEnvelope
from tests.support import Infra, error_codes, gql, restart_nats, wait_for

ENTERPRISES_WITH_JURISDICTION = """
query Sources($first: Int, $filter: EnterpriseFilter) {
  enterprises(first: $first, filter: $filter) {
    totalCount
    edges { node { id name creditCode jurisdiction { id name code } } }
  }
}"""


def gateway(stack: Infra) -> str:
    return f"http://127.0.0.1:{stack.ports.gateway}/graphql"


def subgraph(stack: Infra, service: str) -> str:
    return f"http://127.0.0.1:{stack.ports.service(service)}/graphql"


def _demo_sources_loaded(stack: Infra, token: str) -> bool:
    _, body = gql(gateway(stack), ENTERPRISES_WITH_JURISDICTION, {"first": 10}, token=token)
    return bool(body.get("data")) and body["data"]["enterprises"]["totalCount"] >= 3


def test_a_bureau_officer_queries_across_archive_and_registry(stack: Infra) -> None:
    token = stack.token("demo-bureau")
    wait_for(lambda: _demo_sources_loaded(stack, token), what="demo enterprises")
    demo_town = {"jurisdictionId": str(DEMO_JURISDICTION_ID)}
    status, body = gql(
        gateway(stack), ENTERPRISES_WITH_JURISDICTION, {"first": 10, "filter": demo_town}, token=token
    )
    assert status == 200 and "errors" not in body, body
    assert body["data"]["enterprises"]["totalCount"] >= 3
    nodes = [edge["node"] for edge in body["data"]["enterprises"]["edges"]]
    # `jurisdiction { name code }` is resolved by the registry subgraph from the archive's reference.
    assert {n["jurisdiction"]["name"] for n in nodes} == {"张江镇"}
    assert {n["jurisdiction"]["id"] for n in nodes} == {str(DEMO_JURISDICTION_ID)}


@pytest.mark.parametrize("username", list(DEMO_USERS))
def test_every_demo_role_gets_a_token_and_reaches_the_gateway(stack: Infra, username: str) -> None:
    status, body = gql(
        gateway(stack),
        "{ jurisdictions(first: 3) { totalCount edges { node { name } } } }",
        token=stack.token(username),
    )
    assert status == 200 and "errors" not in body, body
    assert body["data"]["jurisdictions"]["totalCount"] >= 7


def test_an_enterprise_sees_only_its_own_file(stack: Infra) -> None:
    token = stack.token("demo-enterprise")
    wait_for(lambda: _demo_sources_loaded(stack, stack.token("demo-bureau")), what="demo enterprises")
    _, body = gql(gateway(stack), ENTERPRISES_WITH_JURISDICTION, {"first": 10}, token=token)
    assert body["data"]["enterprises"]["totalCount"] == 1
    assert body["data"]["enterprises"]["edges"][0]["node"]["id"] == str(DEMO_ENTERPRISE_ID)
    others = [
        e["node"]["id"]
        for e in gql(
            gateway(stack), ENTERPRISES_WITH_JURISDICTION, {"first": 10}, token=stack.token("demo-bureau")
        )[1]["data"]["enterprises"]["edges"]
        if e["node"]["id"] != str(DEMO_ENTERPRISE_ID)
    ]
    _, body = gql(
        gateway(stack), "query($id: ID!) { enterprise(id: $id) { name } }", {"id": others[0]}, token=token
    )
    assert error_codes(body) == ["NOT_FOUND"]  # like an unknown id (issue 7 item 11)


def test_roles_are_denied_what_they_may_not_do(stack: Infra) -> None:
    _, body = gql(gateway(stack), "{ agencies { totalCount } }", token=stack.token("demo-enterprise"))
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None
    create = 'mutation { createJurisdiction(input: {code: "X-DENIED", name: "Denied", kind: TOWN}) { id } }'
    _, body = gql(gateway(stack), create, token=stack.token("demo-town"))
    assert error_codes(body) == ["FORBIDDEN"]
    _, body = gql(
        gateway(stack),
        '{ jurisdictions(filter: {search: "X-DENIED"}) { totalCount } }',
        token=stack.token("demo-bureau"),
    )
    assert body["data"]["jurisdictions"]["totalCount"] == 0  # nothing changed


def test_bad_input_gets_a_coded_error_and_changes_nothing(stack: Infra) -> None:
    token = stack.token("demo-bureau")
    wait_for(lambda: _demo_sources_loaded(stack, token), what="demo enterprises")
    before = gql(gateway(stack), "{ enterprises { totalCount } }", token=token)[1]["data"]["enterprises"][
        "totalCount"
    ]
    mutation = """mutation($input: RegisterEnterpriseInput!) { registerEnterprise(input: $input) { id } }"""
    bad = {
        "creditCode": "91310115MA1K4ABC10",
        "name": "坏企业",
        "jurisdictionId": str(DEMO_JURISDICTION_ID),
        "permitCategory": "KEY",
    }
    _, body = gql(gateway(stack), mutation, {"input": bad}, token=token)
    assert error_codes(body) == ["VALIDATION_FAILED"]
    assert body["errors"][0]["extensions"]["violations"][0]["field"] == "creditCode"
    unknown = {**bad, "creditCode": "91350100M000100Y43", "jurisdictionId": str(uuid.uuid4())}
    _, body = gql(gateway(stack), mutation, {"input": unknown}, token=token)
    assert error_codes(body) == ["UNKNOWN_JURISDICTION"]
    after = gql(gateway(stack), "{ enterprises { totalCount } }", token=token)[1]["data"]["enterprises"][
        "totalCount"
    ]
    assert after == before


def test_the_gateway_refuses_missing_and_bad_tokens(stack: Infra) -> None:
    for token in (None, "garbage", stack.token("demo-bureau")[:-4] + "AAAA"):
        status, body = gql(gateway(stack), "{ jurisdictions { totalCount } }", token=token)
        assert status == 401
        assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_subgraph_called_directly_applies_the_same_rules(stack: Infra, service: str) -> None:
    url = subgraph(stack, service)
    for token in (None, "garbage", stack.token("demo-bureau")[:-4] + "AAAA"):
        _, body = gql(url, "{ __typename }", token=token)
        assert error_codes(body) == ["UNAUTHENTICATED"]
        assert body["data"] is None
    # Entity resolution is no back door either.
    _, body = gql(
        url, '{ _entities(representations: [{__typename: "Jurisdiction", id: "x"}]) { __typename } }'
    )
    assert error_codes(body) == ["UNAUTHENTICATED"]
    _, body = gql(url, "{ __typename }", token=stack.token("demo-bureau"))
    assert body == {"data": {"__typename": "Query"}}


def test_a_role_denied_at_the_gateway_is_denied_directly_too(stack: Infra) -> None:
    _, body = gql(
        subgraph(stack, "registry"), "{ agencies { totalCount } }", token=stack.token("demo-enterprise")
    )
    assert error_codes(body) == ["FORBIDDEN"]


def _nested_of_type(depth: int) -> str:
    return (
        '{ __type(name: "Query") { fields { type '
        + "{ ofType " * depth
        + "{ name }"
        + " }" * depth
        + " } } }"
    )


def _deep_inspections(cycles: int) -> str:
    """Inspection → findings → inspection → … : a real cycle in the inspection schema."""
    inner = "id"
    for _ in range(cycles):
        inner = f"findings {{ edges {{ node {{ inspection {{ {inner} }} }} }} }}"
    return f"{{ inspections(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


def test_deep_and_oversized_requests_are_refused_and_service_goes_on(stack: Infra) -> None:
    token = stack.token("demo-bureau")
    status, body = gql(gateway(stack), _nested_of_type(20), token=token)
    assert status == 400 and error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"], body
    big = "query { " + " ".join(f"a{i}: __typename" for i in range(60_000)) + " }"
    response = httpx.post(
        subgraph(stack, "registry"),
        json={"query": big},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    # Deep queries are refused by the gateway and, sent straight to a subgraph, there too.
    status, body = gql(gateway(stack), _deep_inspections(4), token=token)
    assert status == 400 and error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"], body
    _, body = gql(subgraph(stack, "inspection"), _deep_inspections(4), token=token)
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"], body
    _, body = gql(subgraph(stack, "inspection"), _deep_inspections(2), token=token)
    assert "errors" not in body, body
    # The services keep serving.
    status, body = gql(gateway(stack), ENTERPRISES_WITH_JURISDICTION, token=token)
    assert status == 200 and "errors" not in body, body


def test_health_readiness_and_metrics(stack: Infra) -> None:
    for service in SERVICES:
        base = f"http://127.0.0.1:{stack.ports.service(service)}"
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": True, "nats": True}
        metrics = httpx.get(f"{base}/metrics").text
        for name in (
            "ecosteward_graphql_requests_total",
            "ecosteward_outbox_backlog",
            "ecosteward_dead_letters_total",
        ):
            assert name in metrics
    gw = f"http://127.0.0.1:{stack.ports.gateway}"
    assert httpx.get(f"{gw}/health").status_code == 200
    assert httpx.get(f"{gw}/readiness").status_code == 200
    assert httpx.get(f"{gw}/metrics").status_code == 200


def test_the_request_id_travels_from_gateway_to_subgraph_logs(stack: Infra) -> None:
    request_id = f"test-{uuid.uuid4()}"
    _, body = gql(
        gateway(stack),
        ENTERPRISES_WITH_JURISDICTION,
        token=stack.token("demo-bureau"),
        headers={"x-request-id": request_id},
    )
    assert "errors" not in body

    def logged_in(service: str) -> list[dict[str, object]]:
        log_file = stack.work_dir / "logs" / f"{service}-{stack.ports.service(service)}.log"
        lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("request_id") == request_id]

    # Both subgraphs of the cross-service query logged the operation under the client's request id.
    assert wait_for(lambda: logged_in("archive"), timeout=10, what="archive log line")
    assert wait_for(lambda: logged_in("registry"), timeout=10, what="registry log line")
    response = httpx.post(
        subgraph(stack, "archive"),
        json={"query": "{ __typename }"},
        headers={"x-request-id": request_id, "authorization": f"Bearer {stack.token('demo-bureau')}"},
    )
    assert response.headers["x-request-id"] == request_id


async def _outbox_pending(stack: Infra, database: str) -> int:
    conn = await asyncpg.connect(
        host="127.0.0.1", port=stack.ports.postgres, user="postgres", database=database
    )
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox_events WHERE published_at IS NULL"))
    finally:
        await conn.close()


async def _archive_applied(stack: Infra, jurisdiction_id: str) -> tuple[int, int]:
    conn = await asyncpg.connect(
        host="127.0.0.1", port=stack.ports.postgres, user="postgres", database="e2e_archive"
    )
    try:
        known = await conn.fetchval(
            "SELECT count(*) FROM known_jurisdictions WHERE id = $1", uuid.UUID(jurisdiction_id)
        )
        inbox = await conn.fetchval(
            "SELECT count(*) FROM inbox_events i JOIN known_jurisdictions k ON k.id = $1 "
            "WHERE i.consumer = 'archive--jurisdictions' AND i.event_type = 'registry.jurisdiction.created'",
            uuid.UUID(jurisdiction_id),
        )
        return int(known), int(inbox)
    finally:
        await conn.close()


async def _events_in_stream(stack: Infra, subject_id: str) -> list[EventEnvelope]:
    nc = await nats.connect(stack.nats_url)
    try:
        sub = await nc.jetstream().subscribe(
            "ecosteward.registry.jurisdiction.created", ordered_consumer=True
        )
        found = []
        while True:
            try:
                msg = await sub.next_msg(timeout=1)
            except TimeoutError:
                break
            envelope = EventEnvelope.from_bytes(msg.data)
            if envelope.subject == subject_id:
                found.append(envelope)
        return found
    finally:
        await nc.close()


def test_a_write_while_nats_is_down_is_delivered_exactly_once_after_it_returns(stack: Infra) -> None:
    token = stack.token("demo-bureau")
    code = f"T{uuid.uuid4().hex[:8]}"
    stack.processes["nats"].stop()
    try:
        mutation = 'mutation($code: String!) { createJurisdiction(input: {code: $code, name: "断网测试镇", kind: TOWN}) { id code } }'
        status, body = gql(gateway(stack), mutation, {"code": code}, token=token)
        assert status == 200 and "errors" not in body, body
        jurisdiction_id = body["data"]["createJurisdiction"]["id"]
        # The write is committed and its event waits in the registry's outbox.
        assert asyncio.run(_outbox_pending(stack, "e2e_registry")) >= 1
        assert asyncio.run(_archive_applied(stack, jurisdiction_id))[0] == 0
    finally:
        restart_nats(stack)
    wait_for(
        lambda: asyncio.run(_archive_applied(stack, jurisdiction_id))[0] == 1,
        timeout=90,
        what="event delivered",
    )
    wait_for(
        lambda: asyncio.run(_outbox_pending(stack, "e2e_registry")) == 0, timeout=30, what="outbox drained"
    )
    events = asyncio.run(_events_in_stream(stack, jurisdiction_id))
    assert len(events) == 1
    known, inbox = asyncio.run(_archive_applied(stack, jurisdiction_id))
    assert known == 1 and inbox >= 1
    # The archive now accepts enterprises in the new jurisdiction (the consumer's effect is real).
    mutation = """mutation($input: RegisterEnterpriseInput!) { registerEnterprise(input: $input) { jurisdiction { name } } }"""
    data = {
        "creditCode": "91350100M000100Y43",
        "name": "断网后登记企业",
        "jurisdictionId": jurisdiction_id,
        "permitCategory": "SIMPLIFIED",
    }
    _, body = gql(gateway(stack), mutation, {"input": data}, token=token)
    assert "errors" not in body, body
    assert body["data"]["registerEnterprise"]["jurisdiction"]["name"] == "断网测试镇"
