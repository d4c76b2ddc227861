# EcoSteward — the two commands are `make up` and `make test`.
.PHONY: up test bootstrap lint supergraph bench clean event-schemas

PY := .venv/bin/python

bootstrap:
	@bash scripts/bootstrap.sh

## Install what is missing, then run the whole stack on the embedded default with demo data.
up: bootstrap
	@$(PY) -m ecosteward.cli up

## Install what is missing, then run the whole test suite (starts PostgreSQL, NATS and Keycloak itself).
test: bootstrap
	@.venv/bin/pytest

lint: bootstrap
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

## Regenerate the subgraph SDL files and the committed supergraph.
supergraph: bootstrap
	@$(PY) -m ecosteward.cli export-sdl
	@cd gateway && npm run --silent compose

## Record the published event schemas (new fields, new versions) in tests/contracts/event_schemas.json.
event-schemas: bootstrap
	@$(PY) -m tests.contracts.snapshot

bench: bootstrap
	@$(PY) -m bench

clean:
	rm -rf .data
