#!/usr/bin/env bash
# Brings a fresh clone to a runnable state before `npm test`, `npm run demo` or `npm run bench`:
# dependencies, the Temporal CLI, a build, and a reachable Postgres. Each step is skipped when
# already done, so repeated runs cost a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-test}
say() { echo "[$what] $*"; }

# 1. Dependencies: install when node_modules is missing or older than the lockfile.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  # `npm install` rather than `npm ci`: see .ci/run for why; the lockfile pins every version.
  npm install --no-audit --no-fund
fi
export PATH="$PWD/node_modules/.bin:$PATH"

# 2. Debian's chromium and a font for the dashboard's browser tests and bench (playwright-core
#    drives it; no browser is ever downloaded). Installed when root, otherwise named and stopped.
if [ "$what" = test ] || [ "$what" = bench ]; then
  if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing chromium and fonts-dejavu-core (Debian packages)"
      apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
    else
      echo "The dashboard tests need Debian's chromium and a font. Install them as root:" >&2
      echo "  apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core" >&2
      exit 1
    fi
  fi
fi

# 2b. Debian's OpenSSH server: the SSH tests start their own sshd per simulated node on loopback.
if [ "$what" = test ] && [ ! -x /usr/sbin/sshd ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing openssh-server (Debian package)"
    apt-get update -qq && apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
  else
    echo "The SSH tests need Debian's OpenSSH server binary. Install it as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends openssh-server" >&2
    exit 1
  fi
fi

# 3. The Temporal CLI (dev server), built from the Go module proxy into ~/.cache/jarvis.
bash scripts/install-temporal.sh

# 4. Build: TypeScript project references, the workflow bundle and the dashboard.
say "building"
build_log=$(mktemp)
if ! npm run --silent build >"$build_log" 2>&1; then
  cat "$build_log" >&2
  echo "[$what] the build failed (output above)" >&2
  exit 1
fi
rm -f "$build_log"

# 5. Postgres on 127.0.0.1:5432 (or DATABASE_URL's host).
db_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if ! pg_isready -q -d "$db_url" 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "starting the local Postgres cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -d "$db_url" 2>/dev/null && break; sleep 1; done
  pg_isready -q -d "$db_url" 2>/dev/null || {
    echo "Postgres is not reachable at $db_url. Start it (e.g. pg_ctlcluster <version> main start) or set DATABASE_URL." >&2
    exit 1
  }
fi
