"""Lean clients for the load generator: HTTP/1.1 keep-alive and WebSocket on raw asyncio.

A general-purpose client (httpx, the websockets library) spends more CPU per
request than the server it measures would like to have on a two-core machine.
These do only what the benchmarks need: send prepared bytes, read a status
line, headers and a ``Content-Length`` body; open a WebSocket, answer pings,
and hand each text frame to a callback with the instant it arrived.

A watcher can offer permessage-deflate as browsers do
(``permessage-deflate; client_max_window_bits``), to measure what a server
that accepts it keeps per socket; compressed frames are then inflated.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
import zlib
from collections.abc import Callable


class HttpConnection:
    """One keep-alive connection; requests go one after another."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader = reader
        self.writer = writer
        self.host = host

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    def request_bytes(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """Send one prepared request; the status code and the body of the answer."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except OSError:
            pass


# What Chrome and Firefox offer (RFC 7692): the server may pick its own and the client's window.
BROWSER_DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"


class WebSocketWatcher(asyncio.Protocol):
    """A WebSocket client that only listens: each text message goes to ``on_message(text, arrived)``.

    ``clock`` stamps each arrival (``time.perf_counter`` by default; ``time.time`` when
    another process sent what is measured)."""

    def __init__(
        self, on_message: Callable[[bytes, float], None], clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.on_message = on_message
        self.clock = clock
        self.extensions = ""  # the server's Sec-WebSocket-Extensions answer
        self._inflate: zlib._Decompress | None = None
        self._inflate_takeover = True
        self.transport: asyncio.Transport | None = None
        self.handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()
        self._open = False

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        path: str,
        on_message: Callable[[bytes, float], None],
        offer_deflate: bool = False,
        clock: Callable[[], float] = time.perf_counter,
    ) -> WebSocketWatcher:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(lambda: cls(on_message, clock), host, port)
        assert protocol.transport is not None
        key = base64.b64encode(os.urandom(16)).decode()
        offer = f"Sec-WebSocket-Extensions: {BROWSER_DEFLATE_OFFER}\r\n" if offer_deflate else ""
        protocol.transport.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n"
            ).encode()
        )
        await protocol.handshake
        return protocol

    def _accept_extensions(self, head: bytes) -> None:
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-extensions":
                self.extensions = value.strip().decode("latin-1")
        if self.extensions.startswith("permessage-deflate"):
            # A window of at most 2**15 inflates whatever window the server chose.
            self._inflate = zlib.decompressobj(-15)
            self._inflate_takeover = "server_no_context_takeover" not in self.extensions

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio.Transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(ConnectionError("connection lost during the handshake"))
        if not self.closed.done():
            self.closed.set_result((1006, "connection lost"))

    def data_received(self, data: bytes) -> None:
        arrived = self.clock()
        self._buffer += data
        if not self._open:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self._buffer.startswith(b"HTTP/1.1 101"):
                self.handshake.set_exception(ConnectionError(bytes(self._buffer[:end]).decode("latin-1")))
                return
            self._accept_extensions(bytes(self._buffer[:end]))
            del self._buffer[: end + 4]
            self._open = True
            self.handshake.set_result(None)
        buffer = self._buffer
        while len(buffer) >= 2:
            compressed = buffer[0] & 0x40
            opcode = buffer[0] & 0x0F
            length = buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                (length,) = struct.unpack_from("!H", buffer, 2)
                start = 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                (length,) = struct.unpack_from("!Q", buffer, 2)
                start = 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            if opcode == 0x1:
                if compressed:
                    payload = self._inflated(payload)
                self.on_message(payload, arrived)
            elif opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                code = struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else 1005
                if not self.closed.done():
                    self.closed.set_result((code, payload[2:].decode("utf-8", "replace")))
                self._send(0x8, payload[:2])
                assert self.transport is not None
                self.transport.close()
                return

    def _inflated(self, payload: bytes) -> bytes:
        # RFC 7692 section 7.2.2: append the empty stored block the sender removed.
        assert self._inflate is not None
        if not self._inflate_takeover:
            self._inflate = zlib.decompressobj(-15)
        return self._inflate.decompress(payload + b"\x00\x00\xff\xff")

    def _send(self, opcode: int, payload: bytes) -> None:
        # Client frames are masked (RFC 6455 section 5.3); a zero mask keeps the payload as it is.
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)

    def close(self) -> None:
        self._send(0x8, struct.pack("!H", 1000))
        if self.transport is not None:
            self.transport.close()
