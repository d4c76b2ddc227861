"""The registry's e2e tests.

The registry service as its users meet it: through the Hive gateway, with real side effects.

Every test makes its own data (uuid-based names and codes, a jurisdiction of its own where it counts
filings) and checks what really happened: rows in PostgreSQL (``e2e_registry``), events on JetStream
(``ECOSTEWARD_REGISTRY``) and users in Keycloak (realm ``ecosteward``, removed again at the end of each
test). Dates are relative to ``china_today()``."""
