#!/usr/bin/env bash
# Runs the engine on the embedded default: a SQLite file ./auction.sqlite3, no
# server needed. Creates .venv and installs the project the first time.
# Extra arguments go to `auction serve` (e.g. --port 9000, --database postgresql://...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update >/dev/null
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y python3-venv >/dev/null
    fi
    python3 -m venv .venv
fi
stamp=.venv/.serve-install-stamp
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "serve.sh: installing the engine into .venv" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -e . >&2
    echo "$want" >"$stamp"
fi
exec .venv/bin/auction serve "$@"
