#!/usr/bin/env bash
# The benchmark command: starts a throw-away PostgreSQL and Redis on free loopback
# ports (the same helpers as scripts/test.sh), runs benchmarks/suite.py (arguments
# are passed through, e.g. --only a,b) and prints one table; stops both servers on exit.
# The growth tables (bids/s as open auctions grow, start-up and memory as the log grows)
# are benchmarks/growth.sh's: benchmarks/growth.sh --quick for a smoke check, no argument for
# the full run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

LOG_PREFIX=benchmarks/run.sh
# shellcheck source=scripts/servers.sh
. scripts/servers.sh
servers_install
servers_start

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -h | awk '/^Mem:/ {print $2}') memory"
.venv/bin/python benchmarks/suite.py "$@"
