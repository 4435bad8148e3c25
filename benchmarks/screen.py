"""Bid to screen with many watchers: WebSocket watchers held by several client processes.

One process alone cannot read what 10,000 watchers of a heated close receive
(10,000 x 5 messages a second) and still stamp each arrival on time, so the
watchers are shared among ``clients`` processes (multiprocessing, spawned),
each on its own uvloop. The bids are sent from the calling process; every
process stamps with ``time.time()``, one clock for the whole machine, so a
latency is a message's arrival in a watcher process minus the instant its bid
was written to the socket in the calling process.

Each watcher counts by position: a bid's position missing at the end is
missed, one received twice is duplicated, one not above the watcher's last
position is out of order. Other change messages (none are expected on an open
auction far from its close) are checked for order too.
"""

from __future__ import annotations

import array
import asyncio
import multiprocessing
import multiprocessing.connection
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson  # noqa: E402
from wire import HttpConnection, WebSocketWatcher  # noqa: E402

CONNECT_AT_ONCE = 100  # handshakes in flight per client process


def raise_fd_limit(wanted: int) -> None:
    """Raise this process's open-file limit to ``wanted`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Tally:
    """What one watcher received, by position."""

    __slots__ = ("positions", "arrivals", "duplicated", "out_of_order", "last", "snapshot", "others")

    def __init__(self) -> None:
        self.positions: dict[int, float] = {}  # bid position -> arrival (time.time())
        self.duplicated = 0
        self.out_of_order = 0
        self.last = 0
        self.snapshot = False
        self.others = 0  # change messages other than bids

    def on_message(self, payload: bytes, arrived: float) -> None:
        message = orjson.loads(payload)
        kind = message["type"]
        if kind == "snapshot":
            self.snapshot = True
            self.last = message["position"]
            return
        position = message["position"]
        if position <= self.last:
            self.out_of_order += 1
        self.last = max(self.last, position)
        if kind != "bid":
            self.others += 1
            return
        if position in self.positions:
            self.duplicated += 1
            return
        self.positions[position] = arrived


@dataclass
class WatcherResult:
    latencies: array.array  # seconds, every delivery of a sent bid
    by_server: list[array.array]  # the same, per server port (socket i on ports[i % len(ports)])
    missed: int
    duplicated: int
    out_of_order: int
    others: int
    closed_by_server: dict[int, int]  # close code -> sockets the server closed before the end
    cpu_seconds: float  # the client process's CPU during the bids
    connect_seconds: float


async def _watch(
    pipe: multiprocessing.connection.Connection,
    host: str,
    ports: Sequence[int],
    path: str,
    first: int,
    count: int,
    offer_deflate: bool,
) -> None:
    tallies = [Tally() for _ in range(count)]
    sockets: list[WebSocketWatcher] = []
    started = time.perf_counter()
    for chunk in range(0, count, CONNECT_AT_ONCE):
        sockets += await asyncio.gather(
            *(
                WebSocketWatcher.connect(
                    host, ports[(first + i) % len(ports)], path, tallies[i].on_message, offer_deflate, time.time
                )
                for i in range(chunk, min(chunk + CONNECT_AT_ONCE, count))
            )
        )
    async with asyncio.timeout(120):
        while not all(t.snapshot for t in tallies):
            await asyncio.sleep(0.05)
    connect_seconds = time.perf_counter() - started
    loop = asyncio.get_running_loop()
    cpu = time.process_time()
    pipe.send(("ready", connect_seconds))

    sent: dict[int, float] = await loop.run_in_executor(None, pipe.recv)
    cpu = time.process_time() - cpu
    wanted = set(sent)
    deadline = loop.time() + 15
    while loop.time() < deadline and any(len(t.positions) < len(wanted) for t in tallies):
        await asyncio.sleep(0.05)
    closed: dict[int, int] = {}
    for socket in sockets:
        if socket.closed.done():
            code = socket.closed.result()[0]
            closed[code] = closed.get(code, 0) + 1
        socket.close()
    by_server = [array.array("d") for _ in ports]
    missed = 0
    for i, t in enumerate(tallies):
        by_server[(first + i) % len(ports)].extend(arrived - sent[p] for p, arrived in t.positions.items() if p in sent)
        missed += len(wanted - t.positions.keys())
    latencies = array.array("d")
    for part in by_server:
        latencies.extend(part)
    pipe.send(
        WatcherResult(
            latencies,
            by_server,
            missed,
            sum(t.duplicated for t in tallies),
            sum(t.out_of_order for t in tallies),
            sum(t.others for t in tallies),
            closed,
            cpu,
            connect_seconds,
        )
    )


def watcher_process(
    pipe: multiprocessing.connection.Connection,
    host: str,
    ports: Sequence[int],
    path: str,
    first: int,
    count: int,
    offer_deflate: bool,
) -> None:
    """The body of one client process: ``count`` watchers, socket ``first + i`` on ``ports[(first + i) % len]``."""
    raise_fd_limit(count + 256)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_watch(pipe, host, ports, path, first, count, offer_deflate))


@dataclass
class Screen:
    watchers: int
    clients: int
    bids: int
    seconds: float  # how long the bids took to send
    latencies: list[float]
    by_server: list[list[float]]  # per server process
    acks: list[float]
    missed: int
    duplicated: int
    out_of_order: int
    others: int
    closed_by_server: dict[int, int]
    client_cpu: float  # CPU seconds per second, all client processes together, during the bids
    server_cpu: list[float] = field(default_factory=list)  # per server process, the same
    connect_seconds: float = 0.0


async def bid_to_screen(
    ports: Sequence[int],
    auction: str,
    token: str,
    watchers: int,
    rate: float,
    seconds: float,
    clients: int,
    server_cpu: Callable[[], list[float]],
    offer_deflate: bool = False,
    first_cents: int = 200_00,
) -> Screen:
    """``watchers`` sockets on ``auction`` (socket i on ``ports[i % len(ports)]``) held by ``clients``
    processes; ``rate`` bids a second for ``seconds`` sent to ``ports[0]``, at fixed instants."""
    clients = max(1, min(clients, watchers))
    context = multiprocessing.get_context("spawn")
    path = f"/ws/auctions/{auction}"
    pipes: list[multiprocessing.connection.Connection] = []
    processes: list[Any] = []
    share, extra = divmod(watchers, clients)
    first = 0
    for n in range(clients):
        count = share + (1 if n < extra else 0)
        ours, theirs = context.Pipe()
        process = context.Process(
            target=watcher_process, args=(theirs, "127.0.0.1", list(ports), path, first, count, offer_deflate)
        )
        process.start()
        pipes.append(ours)
        processes.append(process)
        first += count
    loop = asyncio.get_running_loop()
    try:
        connect = 0.0
        for pipe in pipes:
            ready = await loop.run_in_executor(None, _recv, pipe, 180.0)
            assert ready[0] == "ready", ready
            connect = max(connect, ready[1])

        sent: dict[int, float] = {}
        acks: list[float] = []
        count = max(1, round(rate * seconds))
        connection = await HttpConnection.open("127.0.0.1", ports[0])
        cpu_before = server_cpu()
        started = time.perf_counter()
        try:
            for n in range(count):
                # Fixed instants: a slow answer does not slow the rate down.
                delay = started + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                cents = first_cents + n * 1_00
                raw = connection.request_bytes(
                    "POST",
                    f"/auctions/{auction}/bids",
                    {"Authorization": token, "Content-Type": "application/json"},
                    b'{"amount":"%d.%02d"}' % (cents // 100, cents % 100),
                )
                before_wall = time.time()
                before = time.perf_counter()
                status, body = await connection.send(raw)
                acks.append(time.perf_counter() - before)
                if status != 201:
                    raise RuntimeError(f"bid refused: {status} {body[:300]!r}")
                sent[orjson.loads(body)["position"]] = before_wall
        finally:
            await connection.close()
        elapsed = time.perf_counter() - started
        cpu_after = server_cpu()
        # Wait for the deliveries of the last bid before asking the watchers to count.
        await asyncio.sleep(0.5)
        for pipe in pipes:
            pipe.send(sent)
        results: list[WatcherResult] = [await loop.run_in_executor(None, _recv, pipe, 60.0) for pipe in pipes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
    closed: dict[int, int] = {}
    for r in results:
        for code, n in r.closed_by_server.items():
            closed[code] = closed.get(code, 0) + n
    latencies: list[float] = []
    by_server: list[list[float]] = [[] for _ in ports]
    for r in results:
        latencies.extend(r.latencies)
        for n, part in enumerate(r.by_server):
            by_server[n].extend(part)
    return Screen(
        watchers=watchers,
        clients=clients,
        bids=len(sent),
        seconds=elapsed,
        latencies=latencies,
        by_server=by_server,
        acks=acks,
        missed=sum(r.missed for r in results),
        duplicated=sum(r.duplicated for r in results),
        out_of_order=sum(r.out_of_order for r in results),
        others=sum(r.others for r in results),
        closed_by_server=closed,
        client_cpu=sum(r.cpu_seconds for r in results) / elapsed,
        server_cpu=[(a - b) / elapsed for a, b in zip(cpu_after, cpu_before, strict=True)],
        connect_seconds=connect,
    )


def _recv(pipe: multiprocessing.connection.Connection, timeout: float) -> Any:
    if not pipe.poll(timeout):
        raise TimeoutError("a watcher process did not answer")
    return pipe.recv()
