# Throw-away PostgreSQL and Redis servers on free loopback ports, for scripts/test.sh and
# benchmarks/run.sh. Source it from a script that has cd'd to the repository root, then call
#
#   servers_install   # python3, the venv, PostgreSQL and Redis from Debian packages, the project
#   ops_install       # Node.js, npm, nginx and Prometheus from Debian packages (tests/ops)
#   servers_start     # both servers in a temporary directory, stopped (and the directory removed)
#                     # when the sourcing script exits; exports AUCTION_TEST_POSTGRES_URL,
#                     # AUCTION_TEST_REDIS_URL, AUCTION_TEST_PG_BIN, AUCTION_TEST_REDIS_SERVER
#
# Works on a fresh Debian as root or with sudo. LOG_PREFIX names the caller in messages.

LOG_PREFIX=${LOG_PREFIX:-servers.sh}

log() { printf '%s: %s\n' "$LOG_PREFIX" "$*" >&2; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
apt_get() {
    # Another apt may be running (unattended upgrades, a parallel install): wait for its lock.
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q "$@"
}

pg_bin_dir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

servers_install() {
    local missing=() stamp want pip_log
    command -v python3 >/dev/null || missing+=(python3)
    if [ ! -x .venv/bin/python ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then missing+=(python3-venv); fi
    pg_bin_dir >/dev/null || missing+=(postgresql)
    command -v redis-server >/dev/null || missing+=(redis-server)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        apt_get update >/dev/null
        apt_get install -y --no-install-recommends "${missing[@]}" >/dev/null
    fi
    PG_BIN=$(pg_bin_dir) || { log "no PostgreSQL binaries under /usr/lib/postgresql/*/bin"; exit 1; }
    REDIS_SERVER=$(command -v redis-server)

    if [ ! -x .venv/bin/python ]; then
        log "creating .venv"
        python3 -m venv .venv
    fi
    # Reinstall only when the project's metadata changed since the last install.
    stamp=.venv/.test-install-stamp
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
        log "installing the project into .venv"
        pip_log=$(mktemp)
        .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' >"$pip_log" 2>&1 \
            || { cat "$pip_log" >&2; rm -f "$pip_log"; exit 1; }
        rm -f "$pip_log"
        echo "$want" >"$stamp"
    fi
}

# What tests/ops needs beyond the servers: Node.js and npm (the OpenID Connect provider the sign-in
# tests run, the npm package oidc-provider, installed by the tests into test-artifacts/), nginx and
# Prometheus, all from Debian packages, installed only when missing.
ops_install() {
    local missing=()
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    command -v prometheus >/dev/null || missing+=(prometheus)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        apt_get update >/dev/null
        apt_get install -y --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

free_port() {
    .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_servers_cleanup() {
    local code=$?
    if [ -f "$TMP/pg/data/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -f "$TMP/redis/redis.pid" ]; then
        kill "$(cat "$TMP/redis/redis.pid")" 2>/dev/null || true
        for _ in $(seq 50); do [ -f "$TMP/redis/redis.pid" ] || break; sleep 0.1; done
    fi
    rm -rf "$TMP"
    exit "$code"
}

servers_start() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/auction-test.XXXXXX")
    chmod 755 "$TMP"
    mkdir "$TMP/pg" "$TMP/redis"
    PG_PORT=$(free_port)
    REDIS_PORT=$(free_port)
    # PostgreSQL refuses to run as root: as root, run it as the postgres system user.
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir "$TMP/pg" --shell /usr/sbin/nologin postgres
        chown postgres: "$TMP/pg"
        as_pg() { runuser -u postgres -- "$@"; }
    else
        as_pg() { "$@"; }
    fi

    trap _servers_cleanup EXIT
    trap 'exit 130' INT TERM

    as_pg "$PG_BIN/initdb" -D "$TMP/pg/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$TMP/pg/initdb.log" 2>&1 \
        || { cat "$TMP/pg/initdb.log" >&2; exit 1; }
    as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$TMP/pg -c max_connections=200" \
        start >/dev/null || { cat "$TMP/pg/server.log" >&2; exit 1; }

    "$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$TMP/redis" --save "" --appendonly no \
        --daemonize yes --pidfile "$TMP/redis/redis.pid" --logfile "$TMP/redis/redis.log" >/dev/null
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; then break; fi
        sleep 0.1
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null || { cat "$TMP/redis/redis.log" >&2; log "redis did not start"; exit 1; }

    export AUCTION_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
    export AUCTION_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    export AUCTION_TEST_PG_BIN="$PG_BIN"
    export AUCTION_TEST_REDIS_SERVER="$REDIS_SERVER"
    log "PostgreSQL on 127.0.0.1:$PG_PORT ($PG_BIN), Redis on 127.0.0.1:$REDIS_PORT"
}
