#!/usr/bin/env bash
# Build EcoSteward's gateway binary once per machine: the stock Hive Router library (crates.io
# `hive-router`, the exact version pinned in gateway/router/Cargo.toml) plus our error-contract plugin
# (gateway/router/src), with `cargo +nightly build --release --locked` (hive-router needs rustc >= 1.97).
#
# The binary is cached OUTSIDE the clone, keyed by the hive-router version and a hash of our crate's
# sources and Cargo.lock, so a second clone or CI run on the same machine does not rebuild:
#   ${ECOSTEWARD_HIVE_ROUTER_HOME:-~/.cache/ecosteward/hive-router}/<version>-<hash>/hive_router
# (ecosteward/devstack/components.py `hive_router_binary()` asks this script with --path.)
# The cargo target dir is kept next to it (target/), so a rebuild after a plugin change is incremental.
# The first build compiles ~600 crates: about 25-40 minutes on 2 busy cores.
#   scripts/hive-router.sh          build if missing, print the binary's path
#   scripts/hive-router.sh --path   only print where the binary belongs (no build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CRATE="$ROOT/gateway/router"
HOME_DIR=${ECOSTEWARD_HIVE_ROUTER_HOME:-$HOME/.cache/ecosteward/hive-router}
say() { printf '[hive-router] %s\n' "$*" >&2; }

version=$(sed -n 's/^hive-router = { version = "=\([0-9][0-9.]*\)".*/\1/p' "$CRATE/Cargo.toml")
if [ -z "$version" ]; then
  say "cannot read the pinned hive-router version from $CRATE/Cargo.toml"
  exit 1
fi
# sha256 of "<sha256>  <path>" lines of Cargo.toml, Cargo.lock and src/**, sorted by path (C locale)
sources_hash=$(
  cd "$CRATE" && find Cargo.toml Cargo.lock src -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12
)
OUT="$HOME_DIR/$version-$sources_hash"
BIN="$OUT/hive_router"

if [ "${1:-}" = "--path" ]; then
  echo "$BIN"
  exit 0
fi
if [ -x "$BIN" ]; then
  say "cached: $BIN (hive-router $version + plugin sources $sources_hash)"
  echo "$BIN"
  exit 0
fi
if ! command -v cargo > /dev/null; then
  say "cargo is missing: install Rust with rustup (https://rustup.rs), nightly toolchain included; or set ECOSTEWARD_GATEWAY=hive-gateway"
  exit 1
fi
toolchain=()
if ! rustc --version | awk '{split($2, v, "."); exit !(v[1] > 1 || v[2] >= 97)}'; then
  if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
  else
    say "hive-router needs rustc >= 1.97 and neither stable nor a nightly toolchain has it (rustup toolchain install nightly)"
    exit 1
  fi
fi
mkdir -p "$HOME_DIR" "$OUT"
LOG="$OUT/build.log"
# one target dir for every version and plugin change: later builds only recompile what changed
export CARGO_TARGET_DIR="$HOME_DIR/target"
say "building hive-router $version + the ecosteward_contract plugin (gateway/router, sources $sources_hash)"
say "  cargo ${toolchain[*]:-} build --release --locked, target dir $CARGO_TARGET_DIR"
say "  the first build compiles every dependency: ~25-40 min on 2 cores; later ones take a minute or two"
say "  log: $LOG"
started=$(date +%s)
if ! nice -n 19 cargo "${toolchain[@]}" build --release --locked --manifest-path "$CRATE/Cargo.toml" > "$LOG" 2>&1; then
  tail -30 "$LOG" >&2
  say "build failed (log above); set ECOSTEWARD_GATEWAY=hive-gateway to use the Node gateway meanwhile"
  exit 1
fi
cp "$CARGO_TARGET_DIR/release/hive_router" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
elapsed=$(( $(date +%s) - started ))
echo "built in ${elapsed}s on $(date -u +%FT%TZ) ($(nproc) cores)" > "$OUT/build-time.txt"
say "built $BIN in $((elapsed / 60)) min $((elapsed % 60)) s"
echo "$BIN"
