"""``auction serve`` with another WebSocket set-up: the "before" rows and levers of benchmarks c and e.

    python benchmarks/serve_ws_variant.py VARIANT serve --port P --database URL

VARIANT is one of:

* ``asgi-deflate``: the live feed on its ASGI route (``api.routes.live.watch``) under
  uvicorn's "websockets-sansio" protocol, permessage-deflate accepted as uvicorn accepts
  it (12-bit windows both ways, memLevel 5, context takeover): the server before
  ``api.routes.live.LiveSocket``;
* ``asgi-small``: the same, deflate accepted with the smallest windows (9 bits) and memLevel 1;
* ``asgi-no-context``: the same, deflate accepted without context takeover either way
  (a compressor made for every message instead of one kept per socket);
* ``asgi``: the ASGI route with permessage-deflate declined;
* ``shipped``: ``auction serve`` as it is (for a run of the same launcher).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import api.server  # noqa: E402

VARIANTS = ("asgi-deflate", "asgi-small", "asgi-no-context", "asgi", "shipped")


def deflate_protocol(**factory: Any) -> type:
    """uvicorn's sans-I/O WebSocket protocol with permessage-deflate accepted on ``factory``'s terms."""
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
    from websockets.server import ServerProtocol

    class Variant(WebSocketsSansIOProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.conn = ServerProtocol(
                extensions=[ServerPerMessageDeflateFactory(**factory)],
                max_size=self.config.ws_max_size,
                logger=logging.getLogger("uvicorn.error"),
            )

    return Variant


def choose(variant: str) -> None:
    if variant == "shipped":
        return
    api.server.WS_PER_MESSAGE_DEFLATE = variant != "asgi"
    protocol: type | str = "websockets-sansio"  # uvicorn's own: 12-bit windows, memLevel 5
    if variant == "asgi-small":
        protocol = deflate_protocol(
            server_max_window_bits=9, client_max_window_bits=9, compress_settings={"memLevel": 1}
        )
    elif variant == "asgi-no-context":
        protocol = deflate_protocol(server_no_context_takeover=True, client_no_context_takeover=True)
    api.server._websocket_protocol = lambda app: protocol  # type: ignore[assignment]


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in VARIANTS:
        sys.exit(f"usage: serve_ws_variant.py {{{','.join(VARIANTS)}}} serve ...")
    choose(sys.argv.pop(1))
    from api.cli import main

    main()
