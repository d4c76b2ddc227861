"""Prometheus metrics shared by every service (exposed at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

GRAPHQL_REQUESTS = Counter(
    "ecosteward_graphql_requests_total",
    "GraphQL operations handled, by operation name and outcome (ok/error).",
    ["service", "operation", "outcome"],
)
GRAPHQL_LATENCY = Histogram(
    "ecosteward_graphql_request_seconds",
    "GraphQL operation latency in seconds, by operation name.",
    ["service", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
GRAPHQL_ERRORS = Counter(
    "ecosteward_graphql_errors_total",
    "GraphQL errors returned, by extensions.code.",
    ["service", "code"],
)
OUTBOX_BACKLOG = Gauge(
    "ecosteward_outbox_backlog",
    "Events stored in the outbox and not yet published to NATS.",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "ecosteward_outbox_published_total",
    "Events published from the outbox to JetStream.",
    ["service"],
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "ecosteward_outbox_publish_failures_total",
    "Failed attempts to publish an outbox event (NATS down, timeout).",
    ["service"],
)
CONSUMER_PENDING = Gauge(
    "ecosteward_consumer_pending",
    "Messages waiting for a durable consumer (consumer lag).",
    ["service", "consumer"],
)
EVENTS_HANDLED = Counter(
    "ecosteward_events_handled_total",
    "Events taken by a consumer, by outcome (applied, duplicate, failed, dead_lettered).",
    ["service", "consumer", "outcome"],
)
DEAD_LETTERS = Counter(
    "ecosteward_dead_letters_total",
    "Events moved to the dead-letter subject after too many failed deliveries.",
    ["service", "consumer"],
)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
