#!/usr/bin/env bash
# Build Hive Router (the Rust federation gateway, crates.io `hive-router`) once per machine and version.
# The binary is cached OUTSIDE the clone, keyed by version, so a second clone or CI run reuses it:
#   ${ECOSTEWARD_HIVE_ROUTER_HOME:-~/.cache/ecosteward/hive-router}/<version>/bin/hive-router
# hive-router needs rustc >= 1.97: the nightly toolchain (rustup) is used when stable is older.
# The first build takes a while (about 25-40 minutes on 2 busy cores); later runs return at once.
set -euo pipefail
VERSION=${HIVE_ROUTER_VERSION:-0.3.10}
HOME_DIR=${ECOSTEWARD_HIVE_ROUTER_HOME:-$HOME/.cache/ecosteward/hive-router}
BIN="$HOME_DIR/$VERSION/bin/hive_router"
say() { printf '[hive-router] %s\n' "$*" >&2; }

if [ -x "$BIN" ]; then
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
mkdir -p "$HOME_DIR"
say "building hive-router $VERSION from crates.io with cargo ${toolchain[*]:-} (first time only: ~25-40 min on 2 cores)"
say "log: $HOME_DIR/build-$VERSION.log"
started=$(date +%s)
# One target dir per version outside the clone: an interrupted build resumes where it stopped.
if ! CARGO_TARGET_DIR="$HOME_DIR/target-$VERSION" cargo "${toolchain[@]}" install "hive-router@$VERSION" \
  --locked --features graphiql --root "$HOME_DIR/$VERSION" > "$HOME_DIR/build-$VERSION.log" 2>&1; then
  tail -30 "$HOME_DIR/build-$VERSION.log" >&2
  say "build failed (log above); set ECOSTEWARD_GATEWAY=hive-gateway to use the Node gateway meanwhile"
  exit 1
fi
rm -rf "$HOME_DIR/target-$VERSION"
say "built $BIN in $(( $(date +%s) - started )) s"
