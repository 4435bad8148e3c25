#!/usr/bin/env bash
# The test command: installs what is missing, starts a throw-away PostgreSQL and
# Redis on free loopback ports, runs pytest (arguments are passed through), and
# stops both servers on exit. Works on a fresh Debian as root or with sudo.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

LOG_PREFIX=test.sh
# shellcheck source=scripts/servers.sh
. scripts/servers.sh

# The browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
browser_missing=()
command -v chromium >/dev/null || browser_missing+=(chromium)
[ -d /usr/share/fonts/truetype/liberation ] || browser_missing+=(fonts-liberation)
if [ ${#browser_missing[@]} -gt 0 ]; then
    log "installing ${browser_missing[*]}"
    apt_get update >/dev/null
    apt_get install -y --no-install-recommends "${browser_missing[@]}" >/dev/null
fi

servers_install
ops_install

# axe-core from the npm registry, pinned, for the accessibility tests (tests/web/test_axe.py injects it).
AXE_VERSION=4.14.1
if ! grep -qs "axe v$AXE_VERSION" .venv/node/node_modules/axe-core/axe.min.js; then
    if ! command -v npm >/dev/null; then
        log "installing npm"
        apt_get update >/dev/null
        apt_get install -y --no-install-recommends npm >/dev/null
    fi
    log "installing axe-core@$AXE_VERSION into .venv/node"
    npm install --prefix .venv/node --no-audit --no-fund --no-save "axe-core@$AXE_VERSION" >/dev/null
fi

servers_start

set +e
.venv/bin/python -m pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
    log "no tests were collected: failing"
    code=1
fi
exit "$code"
