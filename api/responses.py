"""JSON answers encoded with orjson (FastAPI's own ORJSONResponse is deprecated)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

REPLAYED = "Idempotent-Replayed"  # the response header of an answer given again for a repeated key


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def created(body: dict[str, object], replayed: bool) -> JsonResponse:
    """A 201 encoded here with orjson. A route's response_model documents the body (the tests
    check answers against it); returning a response skips FastAPI's validating the dict
    against that model again and walking it with jsonable_encoder."""
    return JsonResponse(body, status_code=201, headers={REPLAYED: "true"} if replayed else None)
