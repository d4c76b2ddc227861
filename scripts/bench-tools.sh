#!/usr/bin/env bash
# Install what `make bench` / `python -m bench load` needs besides the project: the load generator wrk
# (Debian's 'wrk'). Kept out of bootstrap on purpose: `make up` and `make test` never need it.
set -euo pipefail
say() { printf '[bench-tools] %s\n' "$*" >&2; }

if command -v wrk > /dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  say "wrk is missing — install it (sudo apt-get install wrk) and re-run"
  exit 1
fi
say "installing wrk from Debian"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk > /dev/null
say "wrk installed: $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"
