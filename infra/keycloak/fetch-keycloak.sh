#!/usr/bin/env bash
# Fetch and unpack the Keycloak server distribution (idempotent).
#
# Keycloak is not on PyPI/npm; its Quarkus server dist is published on Maven
# Central as org.keycloak:keycloak-quarkus-dist:<version>:zip, so we use Maven
# to download it (works with an empty ~/.m2).
#
# Usage:
#   infra/keycloak/fetch-keycloak.sh [CACHE_DIR]
# Env:
#   KEYCLOAK_VERSION  (default 26.7.3)
#   KEYCLOAK_CACHE    (default $REPO/.cache; overridden by the first argument)
#   MVN_ARGS          extra arguments for mvn (optional)
#
# The last line of stdout is the install directory (contains bin/kc.sh).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"

KEYCLOAK_VERSION="${KEYCLOAK_VERSION:-26.7.3}"
CACHE="${1:-${KEYCLOAK_CACHE:-$REPO/.cache}}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"

INSTALL_DIR="$CACHE/keycloak-$KEYCLOAK_VERSION"
DIST_DIR="$CACHE/keycloak-dist"
ZIP="$DIST_DIR/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"

if [[ ! -x "$INSTALL_DIR/bin/kc.sh" ]]; then
    if [[ ! -s "$ZIP" ]]; then
        command -v mvn >/dev/null 2>&1 || { echo "error: mvn not found (needed to fetch Keycloak from Maven Central)" >&2; exit 1; }
        mkdir -p "$DIST_DIR"
        echo "Downloading keycloak-quarkus-dist $KEYCLOAK_VERSION from Maven Central..." >&2
        # Run from $DIST_DIR (no pom.xml there) so mvn never picks up a project pom.
        # Extra mvn flags (e.g. -s settings.xml, -Dmaven.repo.local=...) via MVN_ARGS.
        (cd "$DIST_DIR" && mvn -q -B ${MVN_ARGS:-} dependency:copy \
            "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" \
            "-DoutputDirectory=$DIST_DIR") >&2
        [[ -s "$ZIP" ]] || { echo "error: expected $ZIP after mvn download" >&2; exit 1; }
    fi
    command -v unzip >/dev/null 2>&1 || { echo "error: unzip not found" >&2; exit 1; }
    echo "Unpacking $ZIP..." >&2
    TMP="$(mktemp -d "$CACHE/.keycloak-unpack.XXXXXX")"
    trap 'rm -rf "$TMP"' EXIT
    unzip -q "$ZIP" -d "$TMP"
    # The zip contains a single top-level directory keycloak-<version>/
    SRC="$(find "$TMP" -mindepth 1 -maxdepth 1 -type d | head -n1)"
    [[ -n "$SRC" && -f "$SRC/bin/kc.sh" ]] || { echo "error: unexpected zip layout in $ZIP" >&2; exit 1; }
    rm -rf "$INSTALL_DIR"
    mv "$SRC" "$INSTALL_DIR"
    chmod +x "$INSTALL_DIR"/bin/*.sh
fi

echo "$INSTALL_DIR"
