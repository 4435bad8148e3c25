"""The HTTP stack alone: the bid endpoint's request and answer with no engine behind them.

    python benchmarks/serve_empty_endpoint.py [--route fastapi|plain] serve --port P [--database URL]

Same server settings as ``auction serve`` (api.server.uvicorn_config: uvloop,
httptools, no access log), same path, the amount parsed and validated by the
same body model (``AmountIn``) and a 201 with a JSON body of the same shape,
but no token check, no decision, no append, no receipt. What it answers per
second is the floor under benchmark a's figure. Two floors:

- ``--route fastapi`` (the default): a FastAPI route (``@app.post``), its
  middleware stack, router, body validation and answer serialisation: what a
  bid would cost on FastAPI alone;
- ``--route plain``: the route bids run on (api.routes.bids, api.app.AuctionApp):
  a plain Starlette endpoint inside a FastAPI app, handed a ``POST`` on the bid
  path before the middleware and the router, reading the body as the bid
  endpoint does (api.routes.bids' own parser) and answering with
  api.responses.created.

``--database`` is accepted and ignored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.types import Receive, Scope, Send  # noqa: E402

from api.errors import answer_to, error_response, validation_message  # noqa: E402
from api.responses import created  # noqa: E402
from api.routes import bids  # noqa: E402
from api.schemas import AmountIn  # noqa: E402
from api.server import uvicorn_config  # noqa: E402
from engine.model import format_money  # noqa: E402


def answer(auction_id: str, amount: int) -> dict[str, object]:
    """A bid's 201 body without the receipt."""
    return {
        "auction": auction_id,
        "bidder_code": "B-1",
        "amount": format_money(amount),
        "position": 1,
        "received_at": "2026-01-01T00:00:00.000Z",
        "closes_at": "2026-01-02T00:00:00.000Z",
        "automatic": False,
        "price": format_money(amount),
        "leader": "B-1",
    }


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/auctions/{auction_id}/bids", status_code=201)
    async def place_bid(auction_id: str, body: AmountIn) -> dict[str, object]:
        return answer(auction_id, body.amount)

    return app


async def empty_bid(request: Request) -> Response:
    """The bid endpoint's first step (the body read and validated as api.routes.bids reads it), then a 201."""
    errors: list[object] = []
    amount = bids._amount(bids._parsed(await request.body(), request.headers.get("content-type")), errors)
    if errors or amount is None:
        return error_response(422, "invalid_request", validation_message(errors))
    return created(answer(request.path_params["auction_id"], amount), False)


class PlainApp(FastAPI):
    """api.app.AuctionApp's shortcut (a ``POST`` on the bid path straight to its endpoint), to :func:`empty_bid`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            auction_id = bids.auction_in_path(scope)
            if auction_id is not None:
                scope["app"] = self
                scope["path_params"] = {"auction_id": auction_id}
                request = Request(scope, receive)
                try:
                    response = await empty_bid(request)
                except Exception as error:  # noqa: BLE001 (as api.routes.bids.serve)
                    response = answer_to(request, error)
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def plain_app() -> FastAPI:
    app = PlainApp()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.router.routes.append(
        bids.PlainRoute(bids.PATH, bids.documented, answer=empty_bid, methods=["POST"], status_code=201)
    )
    return app


APPS = {"fastapi": fastapi_app, "plain": plain_app}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--route", choices=sorted(APPS), default="fastapi")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database")
    args = parser.parse_args()
    uvicorn.Server(uvicorn_config(APPS[args.route](), "127.0.0.1", args.port)).run()


if __name__ == "__main__":
    main()
