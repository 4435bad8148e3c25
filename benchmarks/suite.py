"""The benchmark suite: each figure beside a baseline measured in the same run.

    benchmarks/run.sh [--only a,a0,b,c,d,e] [--seconds S] [--events N] [--rounds N] [--idle N]
                      [--watchers N] [--rate R] [--screen-seconds S] [--clients N]
                      [--servers N] [--no-compare]

``benchmarks/run.sh`` starts a throw-away PostgreSQL and Redis (scripts/servers.sh)
and runs this file; it can also run on its own with AUCTION_TEST_POSTGRES_URL and
AUCTION_TEST_PG_BIN (and AUCTION_TEST_REDIS_URL for --servers 2) set. Every server
under test is a real ``auction serve`` process on a database of its own. The load
generator (benchmarks/wire.py: raw asyncio HTTP/1.1 keep-alive and WebSocket
clients on uvloop) runs in this process on the same machine (c's watchers in
processes of their own, benchmarks/screen.py); its CPU use is printed, since it
competes with the server for the cores.

a. decided bids/s through the whole HTTP stack (JWT, validation, decide, durable
   append, 201/409) across 100 auctions with 32 keep-alive connections, beside
   pgbench's rate of single-row INSERT transactions on the same PostgreSQL (32
   clients, a row of the event log's shape, default synchronous_commit);
b. the same on one hot auction;
a0. the floors under a: the same load on an endpoint with the same path, body model and
   server settings but nothing behind it (benchmarks/serve_empty_endpoint.py), as an
   empty FastAPI route (beside pgbench) and as an empty plain Starlette route in the
   FastAPI app, the route bids run on (beside the FastAPI-route floor); with a, a's rate
   as a fraction of the plain-route floor;
a', b'. a and b again on a server with group commit turned off (the "before");
c. bid-to-screen latency (POST sent to message received) with --watchers (10,000)
   WebSocket watchers of one auction while bids arrive at --rate (5) a second for
   --screen-seconds (30), a heated close; the watchers are held by --clients
   processes (1 per 2,500, at most 4) that count every delivery by position
   (missed, duplicated, out of order); beside 1 watcher at the same rate. With
   --servers 2 the watchers are shared by two processes behind Redis and the bids go
   to the first. c': the same watchers on the ASGI route with uvicorn's own WebSocket
   protocol (benchmarks/serve_ws_variant.py asgi-deflate), the server before
   api.routes.live.LiveSocket, for 10 seconds of bids;
d. projection rebuild from PostgreSQL (a new ReadModel caught up from position 0),
   beside a raw paged SELECT of the same rows, the two taking turns for --rounds rounds
   (medians shown);
e. memory per idle WebSocket (server RSS before/after) with a client offering
   permessage-deflate as browsers do, beside memory per idle TCP connection; each on a
   server of its own, after a few warm-up connections; then a client offering nothing,
   and the server variants of benchmarks/serve_ws_variant.py (deflate accepted as
   uvicorn does, with the smallest windows, without context takeover, and declined,
   all on the ASGI route).

--no-compare skips the "before" runs (a', b', c' and e's variants).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from processes import (  # noqa: E402
    SECRET,
    ServerProcess,
    cpu_seconds,
    create_database,
    drop_database,
    postgres_pids,
    rss_bytes,
    total_cpu_seconds,
    with_database,
)
from screen import Screen, bid_to_screen, raise_fd_limit  # noqa: E402
from wire import HttpConnection, WebSocketWatcher  # noqa: E402

from api.auth import issue_token  # noqa: E402

CONNECTIONS = 32
AUCTIONS = 100


@dataclass
class Row:
    name: str
    figure: str
    baseline: str
    ratio: str = ""
    notes: list[str] = field(default_factory=list)


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ms(seconds: Sequence[float], q: float) -> str:
    return f"{percentile(seconds, q) * 1000:.1f}"


def swedish(title: str) -> dict[str, Any]:
    start = datetime.now(UTC)
    return {
        "country": "SE",
        "title": title,
        "asset": "movable",
        "value": "1000000.00",
        "currency": "SEK",
        "starting_price": "100.00",
        "opens_at": start.isoformat(),
        "closes_at": (start + timedelta(days=1)).isoformat(),
    }


def bearer(role: str, subject: str) -> str:
    return f"Bearer {issue_token(SECRET, role, subject)}"


async def schedule(server: ServerProcess, count: int) -> list[tuple[str, str]]:
    """``count`` open Swedish auctions, each with one registered bidder: [(auction id, bidder token)]."""
    bailiff = {"Authorization": bearer("bailiff", "bench-bailiff")}
    out = []
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        for n in range(count):
            response = await client.post("/auctions", json=swedish(f"Lot {n}"), headers=bailiff)
            response.raise_for_status()
            auction = response.json()["id"]
            token = bearer("bidder", f"bench-bidder-{n}@example.test")
            registered = await client.post(f"/auctions/{auction}/registrations", headers={"Authorization": token})
            registered.raise_for_status()
            out.append((auction, token))
    return out


# ---------------------------------------------------------------- a, b: bids per second


@dataclass
class Load:
    decided: int
    statuses: dict[int, int]
    seconds: float
    latencies: list[float]
    server_cpu: float
    client_cpu: float
    postgres_cpu: float

    @property
    def rate(self) -> float:
        return self.decided / self.seconds


async def bid_storm(
    servers: Sequence[ServerProcess],
    auctions: Sequence[tuple[str, str]],
    connections: int,
    seconds: float,
    warmup: float,
    pg_port: int,
    by_auction: bool = False,
) -> Load:
    """``connections`` keep-alive clients bid as fast as answers come, each request on a random auction.

    With several servers, connection n goes to server n mod S. ``by_auction``: as behind a proxy
    that routes by auction id, a connection only bids on the auctions of its server (auction i
    belongs to server i mod S); else on any auction."""
    amounts = {auction: 100_00 for auction, _ in auctions}
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    measuring = False
    stopping = False
    rng = random.Random(1)

    async def client(n: int) -> None:
        server = servers[n % len(servers)]
        mine = auctions[n % len(servers) :: len(servers)] if by_auction else auctions
        connection = await HttpConnection.open("127.0.0.1", server.port)
        try:
            while not stopping:
                auction, token = mine[rng.randrange(len(mine))]
                amounts[auction] += 1_00
                cents = amounts[auction]
                body = b'{"amount":"%d.%02d"}' % (cents // 100, cents % 100)
                raw = connection.request_bytes(
                    "POST",
                    f"/auctions/{auction}/bids",
                    {"Authorization": token, "Content-Type": "application/json"},
                    body,
                )
                started = time.perf_counter()
                status, answer = await connection.send(raw)
                if measuring:
                    statuses[status] = statuses.get(status, 0) + 1
                    latencies.append(time.perf_counter() - started)
                if status not in (201, 409):
                    raise RuntimeError(f"unexpected answer {status}: {answer[:300]!r}")
        finally:
            await connection.close()

    tasks = [asyncio.create_task(client(n)) for n in range(connections)]
    try:
        await asyncio.sleep(warmup)
        pids = postgres_pids(pg_port)
        server_cpu = sum(cpu_seconds(s.pid) for s in servers)
        client_cpu = time.process_time()
        postgres_cpu = total_cpu_seconds(pids)
        started = time.perf_counter()
        measuring = True
        await asyncio.sleep(seconds)
        measuring = False
        elapsed = time.perf_counter() - started
        server_cpu = sum(cpu_seconds(s.pid) for s in servers) - server_cpu
        client_cpu = time.process_time() - client_cpu
        postgres_cpu = total_cpu_seconds(pids) - postgres_cpu
    finally:
        stopping = True
        done, _ = await asyncio.wait(tasks, timeout=30)
        for task in tasks:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    decided = statuses.get(201, 0) + statuses.get(409, 0)
    return Load(decided, statuses, elapsed, latencies, server_cpu, client_cpu, postgres_cpu)


PGBENCH_TABLE = """
CREATE TABLE IF NOT EXISTS pgbench_events (
    position    bigserial   PRIMARY KEY,
    stream      text        NOT NULL,
    version     integer     NOT NULL,
    type        text        NOT NULL,
    data        json        NOT NULL,
    recorded_at timestamptz NOT NULL,
    prev_hash   text        NOT NULL,
    hash        text        NOT NULL,
    UNIQUE (stream, version)
);
CREATE SEQUENCE IF NOT EXISTS pgbench_versions;
"""

# One single-row INSERT per transaction, a row of the event log's shape and indexes.
PGBENCH_SCRIPT = """\\set amount random(10000, 99999999)
INSERT INTO pgbench_events (stream, version, type, data, recorded_at, prev_hash, hash)
VALUES ('auction-' || (:client_id)::text, nextval('pgbench_versions'), 'BidAccepted',
        json_build_object('at', now(), 'bidder_code', 'B-1', 'amount', (:amount)::bigint, 'automatic', false),
        now(), repeat('0', 64), repeat('f', 64));
"""


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat), to compare runs of different programs."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class Pgbench:
    tps: float
    busy: float  # machine CPU seconds per second of the run (2.0 = both cores busy)
    client_cpu: float  # pgbench's own CPU seconds per second


def pgbench(pg_bin: str, url: str, clients: int, seconds: float, directory: Path) -> Pgbench:
    """pgbench's custom single-row INSERT script, one INSERT per transaction."""
    import resource
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    script = directory / "insert.sql"
    script.write_text(PGBENCH_SCRIPT)
    command = [
        str(Path(pg_bin) / "pgbench"),
        "-n",
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
        "-c",
        str(clients),
        "-j",
        "2",
        "-M",
        "prepared",
        "-T",
        str(round(seconds)),
        "-f",
        str(script),
        parts.path.lstrip("/"),
    ]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = machine_busy_seconds()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    busy = machine_busy_seconds() - busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    client = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    for line in done.stdout.splitlines():
        if line.startswith("tps ="):
            return Pgbench(float(line.split()[2]), busy / elapsed, client / elapsed)
    raise RuntimeError(f"no tps in pgbench's output:\n{done.stdout}")


async def create_pgbench_table(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(PGBENCH_TABLE)
    finally:
        await connection.close()


def load_notes(load: Load) -> list[str]:
    return [
        f"201/409: {load.statuses.get(201, 0)}/{load.statuses.get(409, 0)}",
        f"round trip p50/p99 {ms(load.latencies, 50)}/{ms(load.latencies, 99)} ms",
        f"CPU s/s: server {load.server_cpu / load.seconds:.2f}, load generator {load.client_cpu / load.seconds:.2f},"
        f" PostgreSQL {load.postgres_cpu / load.seconds:.2f}",
    ]


# ---------------------------------------------------------------- d: projection rebuild


async def template_auction(bids: int) -> list[tuple[str, dict[str, Any], datetime]]:
    """The events of one realistic auction (scheduled, registrations, bids), made by the engine in memory."""
    from engine.clock import ManualClock
    from engine.commands import PlaceBid, RegisterBidder, ScheduleAuction
    from engine.model import AssetKind
    from engine.policy import Draft
    from engine.service import AuctionService, stream_of
    from engine.store.memory import MemoryEventStore
    from rules import load_rules

    start = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
    clock = ManualClock(start)
    store = MemoryEventStore()
    service = AuctionService(store, load_rules, clock)
    draft = Draft(
        country="SE",
        title="Template lot",
        asset=AssetKind("movable"),
        value=1_000_000_00,
        currency="SEK",
        opens_at=start + timedelta(hours=1),
        starting_price=100_00,
        closes_at=start + timedelta(days=30),
    )
    await service.execute("template", ScheduleAuction("template", draft))
    codes = []
    for n in range(10):
        outcome = await service.execute("template", RegisterBidder(subject=f"person-{n}@example.test"))
        codes.append(outcome.events[0].bidder_code)
    clock.set(start + timedelta(hours=1, seconds=1))
    for n in range(bids):
        clock.set(clock.now() + timedelta(seconds=1))
        await service.execute("template", PlaceBid(codes[n % len(codes)], 100_00 + n * 10_00))
    return [(e.type, e.data, e.recorded_at) for e in await store.read_stream(stream_of("template"))]


@dataclass
class Rebuild:
    events: int
    # One figure per round, in seconds: the three readers take turns over the same rows,
    # so a drift in the machine's speed during the run touches all three alike.
    rebuild_seconds: list[float]
    select_seconds: list[float]
    read_rows_seconds: list[float]
    load_seconds: float

    @staticmethod
    def rate(events: int, seconds: list[float]) -> float:
        return events / statistics.median(seconds)

    def ratio(self) -> float:
        """The median of the rounds' own ratios: rebuild rate over raw scan rate in the same round."""
        return statistics.median(s / r for s, r in zip(self.select_seconds, self.rebuild_seconds, strict=True))


async def raw_scan(pool: Any) -> int:
    """Every row of the event log, every column, a page at a time as the projector pages."""
    after, rows = 0, 0
    while True:
        page = await pool.fetch(
            "SELECT position, stream, version, type, data, recorded_at, prev_hash, hash FROM events"
            " WHERE position > $1 ORDER BY position LIMIT 1000",
            after,
        )
        if not page:
            return rows
        rows += len(page)
        after = page[-1]["position"]


async def projection_rebuild(server_url: str, events: int, rounds: int) -> Rebuild:
    import asyncpg

    from engine.clock import SystemClock
    from engine.store.base import AppendRequest, NewEvent
    from engine.store.postgres import PostgresEventStore
    from projections.catchup import Projector
    from projections.hub import Hub
    from projections.readmodel import ReadModel

    template = await template_auction(990)
    streams = max(1, events // len(template))
    database = await create_database(server_url)
    url = with_database(server_url, database)
    result = Rebuild(0, [], [], [], 0.0)
    try:
        store = await PostgresEventStore.open(url)
        try:
            started = time.perf_counter()
            for first in range(0, streams, 10):
                requests = []
                for n in range(first, min(first + 10, streams)):
                    auction = f"rebuild-{n:05d}"
                    batch = []
                    for type_, data, at in template:
                        if type_ == "AuctionScheduled":
                            data = {**data, "auction_id": auction}
                        batch.append(NewEvent(type_, data, at))
                    requests.append(AppendRequest(f"auction-{auction}", 0, batch))
                await store.append_batch(requests)
            result.load_seconds = time.perf_counter() - started
            result.events = total = await store.head()
            async with asyncpg.create_pool(url, min_size=1, max_size=1) as pool:
                await pool.fetchval("SELECT count(*) FROM events")  # warm the cache for every reader alike
                for _ in range(rounds):
                    gc.collect()
                    started = time.perf_counter()
                    assert await raw_scan(pool) == total
                    result.select_seconds.append(time.perf_counter() - started)

                    gc.collect()
                    started = time.perf_counter()
                    after = 0
                    while page := await store.read_rows(after=after, limit=1000):
                        after = page[-1][0]
                    result.read_rows_seconds.append(time.perf_counter() - started)

                    model = ReadModel()
                    projector = Projector(store, model, Hub(), SystemClock())
                    gc.collect()
                    started = time.perf_counter()
                    await projector.rebuild()  # as auction serve does before it serves
                    result.rebuild_seconds.append(time.perf_counter() - started)
                    assert model.checkpoint == total and len(model.summaries()) == streams
                    del model, projector
        finally:
            await store.close()
    finally:
        await drop_database(server_url, database)
    return result


# ---------------------------------------------------------------- e: memory per idle WebSocket


@dataclass
class Memory:
    sockets: int
    per_socket: float  # bytes of server RSS per idle socket
    rss_before: int
    extensions: str = ""  # what the server answered to the client's Sec-WebSocket-Extensions


async def idle_memory(server: ServerProcess, count: int, websocket: bool, offer_deflate: bool = False) -> Memory:
    """Server RSS per idle connection: ``count`` WebSockets watching one auction (each got its
    snapshot), or ``count`` plain TCP connections. Measured on a server of its own, after a few
    connections of the same kind warmed it up, so that memory freed by other connections is not
    reused and nothing made once per process is counted per socket."""
    ((auction, _),) = await schedule(server, 1)
    loop = asyncio.get_running_loop()
    snapshots = 0

    def on_message(payload: bytes, arrived: float) -> None:
        nonlocal snapshots
        snapshots += 1

    async def open_some(n: int) -> list[Any]:
        if websocket:
            return list(
                await asyncio.gather(
                    *(
                        WebSocketWatcher.connect(
                            "127.0.0.1", server.port, f"/ws/auctions/{auction}", on_message, offer_deflate
                        )
                        for _ in range(n)
                    )
                )
            )
        return [
            t
            for t, _ in await asyncio.gather(
                *(loop.create_connection(asyncio.Protocol, "127.0.0.1", server.port) for _ in range(n))
            )
        ]

    async def settled(expected: int) -> None:
        async with asyncio.timeout(60):
            while websocket and snapshots < expected:
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)

    warm = await open_some(50)
    await settled(50)
    before = rss_bytes(server.pid)
    held: list[Any] = []
    for chunk in range(0, count, 100):
        held += await open_some(min(100, count - chunk))
    await settled(50 + count)
    after = rss_bytes(server.pid)
    extensions = held[0].extensions if websocket else ""
    for connection in warm + held:
        connection.close()
    return Memory(count, (after - before) / count, before, extensions)


async def idle_row(postgres: str, directory: Path, count: int, compare: bool) -> Row:
    """e: the shipped server with a client offering permessage-deflate as browsers do, beside an
    idle TCP connection; then (unless ``compare`` is off) the same on the server variants."""

    async def measure(websocket: bool, offer: bool, variant: str | None = None) -> Memory:
        launcher = None
        if variant is not None:
            launcher = [sys.executable, str(Path(__file__).resolve().parent / "serve_ws_variant.py"), variant]
        database = await create_database(postgres)
        server = ServerProcess(with_database(postgres, database), directory, launcher=launcher).start()
        try:
            return await idle_memory(server, count, websocket, offer)
        finally:
            server.stop()
            await drop_database(postgres, database)

    tcp = await measure(False, False)
    shipped = await measure(True, True)
    plain = await measure(True, False)

    def kib(memory: Memory) -> str:
        return f"{memory.per_socket / 1024:.1f} KiB"

    notes = [
        "the client offers what browsers offer: permessage-deflate; client_max_window_bits;"
        f" the server answered: {shipped.extensions or 'nothing (declined)'}",
        f"a client offering no extension: {kib(plain)}",
        f"server RSS before: {shipped.rss_before / 2**20:.0f} MiB",
    ]
    if compare:
        from serve_ws_variant import VARIANTS

        for variant in VARIANTS[:-1]:
            memory = await measure(True, True, variant)
            notes.append(
                f"variant {variant} (benchmarks/serve_ws_variant.py): {kib(memory)},"
                f" answered: {memory.extensions or 'nothing (declined)'}"
            )
            print(f"  e, {notes[-1]}", flush=True)
    return Row(
        f"e. memory per idle WebSocket ({count:,} sockets, client offering permessage-deflate)",
        kib(shipped),
        f"{kib(tcp)} per idle TCP connection",
        f"{shipped.per_socket / tcp.per_socket:.1f}" if tcp.per_socket > 0 else "",
        notes,
    )


def auctions_like(rows: list[Row]) -> float | None:
    """Benchmark a's rate, when it ran before."""
    for row in rows:
        if row.name.startswith("a. "):
            return float(row.figure.split()[0].replace(",", ""))
    return None


async def floor_load(route: str, directory: Path, pg_port: int, seconds: float) -> Load:
    """a's load on an empty endpoint (benchmarks/serve_empty_endpoint.py --route ``route``)."""
    script = Path(__file__).resolve().parent / "serve_empty_endpoint.py"
    server = ServerProcess("unused", directory, launcher=[sys.executable, str(script), "--route", route]).start()
    try:
        auctions = [(f"lot-{n}", bearer("bidder", f"bench-bidder-{n}@example.test")) for n in range(AUCTIONS)]
        return await bid_storm([server], auctions, CONNECTIONS, seconds, 2.0, pg_port)
    finally:
        server.stop()


async def floor_rows(directory: Path, a_rate: float | None, tps: float, pg_port: int, seconds: float) -> list[Row]:
    """a0: the two floors under a (an empty FastAPI route, and an empty plain route in the same
    FastAPI app as bids run on), then a as a fraction of the floor it runs on (the plain route)."""
    fastapi = await floor_load("fastapi", directory, pg_port, seconds)
    plain = await floor_load("plain", directory, pg_port, seconds)
    rows = [
        Row(
            "a0. FastAPI-route floor: a's load on an empty FastAPI route (@app.post, body model)",
            f"{fastapi.rate:,.0f} answers/s",
            f"{tps:,.0f} INSERT tx/s (pgbench)",
            f"{fastapi.rate / tps:.2f}",
            load_notes(fastapi),
        ),
        Row(
            "a0. plain-route floor: the same on an empty plain Starlette route in the FastAPI app",
            f"{plain.rate:,.0f} answers/s",
            f"{fastapi.rate:,.0f} answers/s (FastAPI-route floor)",
            f"{plain.rate / fastapi.rate:.2f}",
            load_notes(plain) + ["the route bids run on: api.app.AuctionApp's shortcut to a plain endpoint"],
        ),
    ]
    if a_rate is not None:
        rows.append(
            Row(
                "a/a0. a's full bid path on the floor it runs on (plain route)",
                f"{a_rate:,.0f} decided bids/s",
                f"{plain.rate:,.0f} answers/s (plain-route floor)",
                f"{a_rate / plain.rate:.2f}",
                [f"of the FastAPI-route floor: {a_rate / fastapi.rate:.2f}"],
            )
        )
    return rows


async def without_group_commit(
    postgres: str, directory: Path, only: set[str], seconds: float, pg_port: int, rows: list[Row]
) -> list[Row]:
    """a and b again on a server with group commit turned off (benchmarks/serve_without_group_commit.py)."""
    database = await create_database(postgres)
    launcher = [sys.executable, str(Path(__file__).resolve().parent / "serve_without_group_commit.py")]
    server = ServerProcess(with_database(postgres, database), directory, launcher=launcher).start()
    out = []
    try:
        for name, count in (("a", AUCTIONS), ("b", 1)):
            if name not in only:
                continue
            with_it = next(r for r in rows if r.name.startswith(f"{name}. "))
            load = await bid_storm([server], await schedule(server, count), CONNECTIONS, seconds, 2.0, pg_port)
            out.append(
                Row(
                    f"{name}'. the same without group commit (1 server process)",
                    f"{load.rate:,.0f} decided bids/s",
                    f"{with_it.figure.split()[0]} with group commit",
                    f"{load.rate / float(with_it.figure.split()[0].replace(',', '')):.2f}",
                    load_notes(load),
                )
            )
            print_table(out[-1:])
    finally:
        server.stop()
        await drop_database(postgres, database)
    return out


# ---------------------------------------------------------------- c: bid to screen


def screen_notes(screen: Screen, alone: Screen, servers: int) -> list[str]:
    closed = ", ".join(f"{n} with {code}" for code, n in sorted(screen.closed_by_server.items())) or "none"
    cpu = ", ".join(f"{c:.2f}" for c in screen.server_cpu)
    return [
        f"{screen.bids} bids at {screen.bids / screen.seconds:.1f}/s over {screen.seconds:.1f} s x {screen.watchers:,}"
        f" watchers = {len(screen.latencies):,} deliveries: missed {screen.missed}, duplicated {screen.duplicated},"
        f" out of order {screen.out_of_order}; sockets the server closed: {closed}",
        f"p50/p90/p99/max {ms(screen.latencies, 50)}/{ms(screen.latencies, 90)}/{ms(screen.latencies, 99)}"
        f"/{ms(screen.latencies, 100)} ms",
        f"the bidder's POST->201: p50 {ms(screen.acks, 50)} ms, p99 {ms(screen.acks, 99)} ms"
        f" (1 watcher: p50 {ms(alone.acks, 50)} ms, p99 {ms(alone.acks, 99)} ms)",
        f"CPU s/s during the bids: server process{'es' if servers > 1 else ''} {cpu},"
        f" {screen.clients} watcher processes together {screen.client_cpu:.2f}",
        f"{screen.watchers:,} sockets connected and snapshotted in {screen.connect_seconds:.1f} s",
    ] + (
        [
            "per server process (the bids go to the first): "
            + "; ".join(f"p50 {ms(part, 50)} ms, p99 {ms(part, 99)} ms" for part in screen.by_server)
        ]
        if len(screen.by_server) > 1
        else []
    )


async def screen_row(postgres: str, redis: str | None, directory: Path, args: argparse.Namespace) -> list[Row]:
    """c: ``--watchers`` watchers of one auction (spread over ``--servers`` processes behind Redis),
    ``--rate`` bids a second for ``--screen-seconds``, beside 1 watcher at the same rate on the same
    server; then (unless ``--no-compare``) the same watchers on the live feed's ASGI route, as the
    server served them before ``api.routes.live.LiveSocket``, for at most 10 seconds of bids."""
    if args.servers > 1 and not redis:
        sys.exit("--servers 2 needs AUCTION_TEST_REDIS_URL (benchmarks/run.sh sets it)")
    clients = args.clients or max(1, min(4, args.watchers // 2500))

    async def run(
        servers_wanted: int, variant: str | None, seconds: float, alone_too: bool
    ) -> tuple[Screen, Screen | None]:
        launcher = None
        if variant is not None:
            launcher = [sys.executable, str(Path(__file__).resolve().parent / "serve_ws_variant.py"), variant]
        database = await create_database(postgres)
        url = with_database(postgres, database)
        servers = [
            ServerProcess(url, directory, redis if servers_wanted > 1 else None, launcher=launcher).start()
            for _ in range(servers_wanted)
        ]
        ports = [server.port for server in servers]

        def server_cpu() -> list[float]:
            return [cpu_seconds(server.pid) for server in servers]

        try:
            alone = None
            if alone_too:
                ((auction, token),) = await schedule(servers[0], 1)
                alone = await bid_to_screen(ports[:1], auction, token, 1, args.rate, min(10.0, seconds), 1, server_cpu)
            ((auction, token),) = await schedule(servers[0], 1)
            screen = await bid_to_screen(ports, auction, token, args.watchers, args.rate, seconds, clients, server_cpu)
        finally:
            for server in servers:
                server.stop()
            await drop_database(postgres, database)
        return screen, alone

    screen, alone = await run(args.servers, None, args.screen_seconds, True)
    assert alone is not None
    where = f"{args.servers} server processes + Redis, watchers shared" if args.servers > 1 else "1 server process"
    rows = [
        Row(
            f"c. bid-to-screen, {screen.watchers:,} watchers of 1 auction, {args.rate:g} bids/s ({where})",
            f"p50 {ms(screen.latencies, 50)} ms, p99 {ms(screen.latencies, 99)} ms",
            f"1 watcher: p50 {ms(alone.latencies, 50)} ms, p99 {ms(alone.latencies, 99)} ms",
            "",
            screen_notes(screen, alone, args.servers),
        )
    ]
    print_table(rows)
    if not args.no_compare:
        before, _ = await run(1, "asgi-deflate", min(10.0, args.screen_seconds), False)
        rows.append(
            Row(
                "c'. the same on the ASGI route (the server before LiveSocket, 1 process)",
                f"p50 {ms(before.latencies, 50)} ms, p99 {ms(before.latencies, 99)} ms",
                f"p50 {ms(screen.latencies, 50)} ms, p99 {ms(screen.latencies, 99)} ms with LiveSocket",
                "",
                screen_notes(before, alone, 1),
            )
        )
        print_table(rows[-1:])
    return rows


# ---------------------------------------------------------------- the run


def print_table(rows: list[Row]) -> None:
    width = max(len(r.name) for r in rows)
    fig = max(len(r.figure) for r in rows)
    base = max(len(r.baseline) for r in rows)
    print()
    print(f"{'benchmark':<{width}}  {'figure':<{fig}}  {'baseline (same run)':<{base}}  ratio")
    print("-" * (width + fig + base + 14))
    for r in rows:
        print(f"{r.name:<{width}}  {r.figure:<{fig}}  {r.baseline:<{base}}  {r.ratio}")
        for note in r.notes:
            print(f"{'':<{width}}    {note}")
    print(flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="a,a0,b,c,d,e", help="which benchmarks to run (default all: a,a0,b,c,d,e)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds of each load (default 10)")
    parser.add_argument("--watchers", type=positive, default=10_000, help="WebSocket watchers in c (default 10000)")
    parser.add_argument("--rate", type=float, default=5.0, help="bids a second in c (default 5)")
    parser.add_argument(
        "--screen-seconds", type=float, default=30.0, help="seconds of bidding in c (default 30; 1 watcher: 10)"
    )
    parser.add_argument(
        "--clients", type=int, default=0, help="watcher processes in c (default 1 per 2,500 watchers, at most 4)"
    )
    parser.add_argument("--events", type=int, default=100_000, help="events to rebuild in d (default 100000)")
    parser.add_argument(
        "--rounds", type=positive, default=5, help="rounds of each reader in d, medians shown (default 5)"
    )
    parser.add_argument("--idle", type=int, default=2000, help="idle sockets in e (default 2000)")
    parser.add_argument(
        "--servers", type=positive, default=1, help="server processes for a, b and c (with Redis when >1)"
    )
    parser.add_argument(
        "--no-compare",
        action="store_true",
        help="skip the before runs: a and b without group commit, c on the ASGI route, e's server variants",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    raise_fd_limit(4 * max(args.watchers, args.idle) + 1024)  # the servers started from here inherit it
    postgres = os.environ.get("AUCTION_TEST_POSTGRES_URL")
    pg_bin = os.environ.get("AUCTION_TEST_PG_BIN")
    redis = os.environ.get("AUCTION_TEST_REDIS_URL")
    if not postgres or not pg_bin:
        sys.exit("AUCTION_TEST_POSTGRES_URL and AUCTION_TEST_PG_BIN must be set (benchmarks/run.sh sets them)")
    from urllib.parse import urlsplit

    pg_port = urlsplit(postgres).port or 5432
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="auction-bench-") as tmp:
        directory = Path(tmp)
        if only & {"a", "a0", "b"}:
            database = await create_database(postgres)
            url = with_database(postgres, database)
            servers = [
                ServerProcess(url, directory, redis if args.servers > 1 else None).start() for _ in range(args.servers)
            ]
            try:
                await create_pgbench_table(url)
                bench = await asyncio.to_thread(pgbench, pg_bin, url, CONNECTIONS, args.seconds, directory)
                pg_note = (
                    f"pgbench: {CONNECTIONS} clients, CPU s/s: machine {bench.busy:.2f},"
                    f" pgbench itself {bench.client_cpu:.2f}"
                )
                processes = f"{args.servers} server processes" if args.servers > 1 else "1 server process"
                if "a" in only:
                    auctions = await schedule(servers[0], AUCTIONS)
                    load = await bid_storm(servers, auctions, CONNECTIONS, args.seconds, 2.0, pg_port)
                    rows.append(
                        Row(
                            f"a. bids/s, {AUCTIONS} auctions, {CONNECTIONS} connections ({processes})",
                            f"{load.rate:,.0f} decided bids/s",
                            f"{bench.tps:,.0f} INSERT tx/s (pgbench)",
                            f"{load.rate / bench.tps:.2f}",
                            load_notes(load) + [pg_note],
                        )
                    )
                    print_table(rows[-1:])
                if "a" in only and args.servers > 1:
                    fresh = await schedule(servers[0], AUCTIONS)
                    load = await bid_storm(servers, fresh, CONNECTIONS, args.seconds, 2.0, pg_port, by_auction=True)
                    rows.append(
                        Row(
                            f"a. the same, each auction's bids routed to one process ({processes})",
                            f"{load.rate:,.0f} decided bids/s",
                            f"{bench.tps:,.0f} INSERT tx/s (pgbench)",
                            f"{load.rate / bench.tps:.2f}",
                            load_notes(load),
                        )
                    )
                    print_table(rows[-1:])
                if "a0" in only:
                    floors = await floor_rows(directory, auctions_like(rows), bench.tps, pg_port, args.seconds)
                    rows += floors
                    print_table(floors)
                if "b" in only:
                    hot = await schedule(servers[0], 1)
                    load = await bid_storm(servers, hot, CONNECTIONS, args.seconds, 2.0, pg_port)
                    rows.append(
                        Row(
                            f"b. bids/s, 1 hot auction, {CONNECTIONS} connections ({processes})",
                            f"{load.rate:,.0f} decided bids/s",
                            f"{bench.tps:,.0f} INSERT tx/s (pgbench)",
                            f"{load.rate / bench.tps:.2f}",
                            load_notes(load),
                        )
                    )
                    print_table(rows[-1:])
            finally:
                for server in servers:
                    server.stop()
                await drop_database(postgres, database)
            if not args.no_compare:
                rows += await without_group_commit(postgres, directory, only, args.seconds, pg_port, rows)
        if "c" in only:
            rows += await screen_row(postgres, redis, directory, args)
        if "d" in only:
            rebuild = await projection_rebuild(postgres, args.events, args.rounds)
            rate = Rebuild.rate(rebuild.events, rebuild.rebuild_seconds)
            raw = Rebuild.rate(rebuild.events, rebuild.select_seconds)
            per_round = list(zip(rebuild.select_seconds, rebuild.rebuild_seconds, strict=True))
            rows.append(
                Row(
                    f"d. projection rebuild from PostgreSQL, {rebuild.events:,} events",
                    f"{rate:,.0f} events/s",
                    f"{raw:,.0f} rows/s (raw paged SELECT)",
                    f"{rebuild.ratio():.2f}",
                    [
                        f"median of {args.rounds} rounds; the ratio is the median of each round's own ratio:"
                        f" {', '.join(f'{s / r:.2f}' for s, r in per_round)}",
                        "store.read_rows alone (SELECT + JSON decode), what the rebuild reads:"
                        f" {Rebuild.rate(rebuild.events, rebuild.read_rows_seconds):,.0f} events/s",
                        f"loading the events (append_batch): {rebuild.events / rebuild.load_seconds:,.0f} events/s",
                    ],
                )
            )
            print_table(rows[-1:])
        if "e" in only:
            rows.append(await idle_row(postgres, directory, args.idle, not args.no_compare))
            print_table(rows[-1:])
    print("Summary")
    print_table(rows)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
