#!/usr/bin/env bash
# Installs the pinned Temporal CLI (which carries the dev server) from the Go module proxy into a
# cache outside the clone, so every checkout, test run and CI run on this machine reuses it.
# It never downloads a prebuilt binary.
set -euo pipefail
VERSION=1.5.1
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/jarvis/temporal/$VERSION"
BIN="$CACHE/temporal"

if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then echo "temporal: using TEMPORAL_CLI=$TEMPORAL_CLI"; exit 0; fi
if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then exit 0; fi

GO=$(command -v go || true)
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
if [ -z "$GO" ]; then
  cat >&2 <<MSG
The Temporal CLI $VERSION is not installed, and Go is not available to build it.
Install Go 1.24 or newer (https://go.dev/doc/install, or your distribution's golang package),
then run: npm run temporal:install
MSG
  exit 1
fi

mkdir -p "$CACHE"
echo "temporal: building github.com/temporalio/cli v$VERSION with $("$GO" version | cut -d' ' -f3) into $CACHE"
echo "temporal: the first build takes about 6 minutes on 2 cores; later runs reuse the binary"
start=$(date +%s)
# v1.5.1 is the last tag `go install` accepts (later tags carry a replace directive in go.mod).
GOBIN="$CACHE" GOFLAGS=-mod=mod "$GO" install "github.com/temporalio/cli/cmd/temporal@v$VERSION" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  sleep 30
  kill -0 "$pid" 2>/dev/null && echo "temporal: still building ($(( $(date +%s) - start )) s)"
done
wait "$pid"
"$BIN" --version
echo "temporal: built in $(( $(date +%s) - start )) s"
