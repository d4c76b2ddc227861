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

## Regenerate the committed supergraph from the subgraphs' SDL (exported into the ignored .cache/subgraphs).
supergraph: bootstrap
	@$(PY) -m ecosteward.cli export-sdl --out .cache/subgraphs
	@cd gateway && SUBGRAPHS_DIR=../.cache/subgraphs npm run --silent compose

## Record the published event schemas (new fields, new versions) in tests/contracts/event_schemas.json.
event-schemas: bootstrap
	@$(PY) -m tests.contracts.snapshot

## Print the benchmarks' figures (wrk is installed here, not by bootstrap). One benchmark with options:
## make bench BENCH="load --db postgres --duration 30"   (python -m bench load --help)
bench: bootstrap
	@bash scripts/bench-tools.sh
	@$(PY) -m bench $(BENCH)

clean:
	rm -rf .data
