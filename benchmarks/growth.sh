#!/usr/bin/env bash
# The growth benchmark: starts a throw-away PostgreSQL (and Redis, unused) on free loopback
# ports with scripts/servers.sh, as benchmarks/run.sh does, runs benchmarks/growth.py and
# prints its tables; stops the servers on exit. Arguments are passed through:
#
#   benchmarks/growth.sh            # the full run: 100,000 and 1,000,000 events (PostgreSQL and
#                                   # SQLite), 1, 100 and 10,000 open auctions; 4 minutes on 2 cores
#   benchmarks/growth.sh --quick    # a smoke check of every table, about a minute
#   benchmarks/growth.sh --only auctions --auctions 1,100 --seconds 5
#
# .venv/bin/python benchmarks/growth.py --help lists every option.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

LOG_PREFIX=benchmarks/growth.sh
# shellcheck source=scripts/servers.sh
. scripts/servers.sh
servers_install
servers_start

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -h | awk '/^Mem:/ {print $2}') memory"
.venv/bin/python benchmarks/growth.py "$@"
