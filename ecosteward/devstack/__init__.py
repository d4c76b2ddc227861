"""Run the real components locally, without Docker: NATS, PostgreSQL, Keycloak, services, gateway.

Used by ``make up`` (the embedded default) and by the test suite (PostgreSQL, separate ports).
"""
