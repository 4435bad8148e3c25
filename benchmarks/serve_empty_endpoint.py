"""The HTTP stack alone: the bid endpoint's request and answer with no engine behind them.

    python benchmarks/serve_empty_endpoint.py serve --port P [--database URL]

Same server settings as ``auction serve`` (api.server.uvicorn_config: uvloop,
httptools, access log), same route, same request body model (``AmountIn``:
the amount is parsed and validated) and a 201 with a JSON body of the same
size, but no token check, no decision, no append, no receipt. What it answers
per second is what FastAPI and uvicorn alone allow on this machine: the floor
under benchmark a's figure. ``--database`` is accepted and ignored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from engine.model import format_money  # noqa: E402
from api.schemas import AmountIn  # noqa: E402
from api.server import uvicorn_config  # noqa: E402


def empty_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/auctions/{auction_id}/bids", status_code=201)
    async def place_bid(auction_id: str, body: AmountIn) -> dict[str, object]:
        return {
            "auction": auction_id,
            "bidder_code": "B-1",
            "amount": format_money(body.amount),
            "position": 1,
            "received_at": "2026-01-01T00:00:00.000Z",
            "closes_at": "2026-01-02T00:00:00.000Z",
            "automatic": False,
            "price": format_money(body.amount),
            "leader": "B-1",
        }

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database")
    args = parser.parse_args()
    uvicorn.Server(uvicorn_config(empty_app(), "127.0.0.1", args.port)).run()


if __name__ == "__main__":
    main()
