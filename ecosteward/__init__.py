"""EcoSteward platform package: what every service needs, written once.

Config, database sessions and migrations, the transactional outbox and idempotent
consumers on NATS JetStream, Keycloak token verification, GraphQL plumbing
(errors with codes, Relay connections), Prometheus metrics and JSON logs.
"""

SERVICES: tuple[str, ...] = ("registry", "archive", "inspection", "appraisal", "reporting")
"""The five subgraph services, in start order."""

DEFAULT_PORTS: dict[str, int] = {
    "registry": 8101,
    "archive": 8102,
    "inspection": 8103,
    "appraisal": 8104,
    "reporting": 8105,
}
