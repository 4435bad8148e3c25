"""Schemathesis over the whole OpenAPI description (``/openapi.json``) of a real ``auction serve``.

Every operation is called with inputs generated from its schema, valid and not,
as each role and as nobody, on auctions that exist (one open with registered
bidders, one scheduled) as well as on ids that do not: whatever the input, the
answer is never a server error (5xx), and the server's log shows no unhandled
error. Bounded: a few dozen examples per operation (``MAX_EXAMPLES``), about half a minute.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from tests.e2e.support import Server, auth
from tests.scale.support import BAILIFF, now, swedish

pytestmark = pytest.mark.e2e

# Examples per operation: a few dozen by default; AUCTION_TEST_FUZZ_EXAMPLES asks for a longer run.
MAX_EXAMPLES = int(os.environ.get("AUCTION_TEST_FUZZ_EXAMPLES", "25"))
ROLES = ("bailiff", "bidder", "auditor", None)
BIDDER_SUBJECT = "fuzz-bidder-1@example.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("schemathesis")
    server = Server(f"sqlite:///{directory / 'auction.sqlite3'}", directory).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def auctions(server: Server) -> list[str]:
    """An open auction with two registered bidders (one of them the fuzzing bidder) and a bid, and a
    scheduled one: the ids the generated calls use half of the time."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        opened = http.post("/auctions", json=swedish(now(), now() + timedelta(hours=2)), headers=BAILIFF)
        scheduled = http.post(
            "/auctions", json=swedish(now() + timedelta(days=3), now() + timedelta(days=4)), headers=BAILIFF
        )
        assert opened.status_code == scheduled.status_code == 201, (opened.text, scheduled.text)
        open_id = opened.json()["id"]
        for subject in (BIDDER_SUBJECT, "fuzz-bidder-2@example.test"):
            registered = http.post(f"/auctions/{open_id}/registrations", headers=auth("bidder", subject))
            assert registered.status_code == 201, registered.text
        bid = http.post(f"/auctions/{open_id}/bids", json={"amount": "150.00"}, headers=auth("bidder", BIDDER_SUBJECT))
        assert bid.status_code == 201, bid.text
    return [open_id, scheduled.json()["id"]]


# The description the application makes, as the server serves it at /openapi.json (checked below);
# made here, without a server, so that pytest has one test per operation to collect.
DESCRIPTION = create_app().openapi()
schema = schemathesis.openapi.from_dict(DESCRIPTION)
_turns = itertools.count()
STATUSES: Counter[int] = Counter()  # every answer's status, for the check that fuzzing reached the engine


def role_of(method: str, path: str) -> str:
    """The role an operation is meant for (the bailiff's, unless a bidder or an auditor acts)."""
    if path.endswith(("/bids", "/proxy", "/registrations", "/preemption")) and method == "POST":
        return "bidder"
    if path.endswith(("/events", "/report")):
        return "auditor"
    return "bailiff"


def headers_for(turn: int, method: str, path: str) -> dict[str, str]:
    """Half of the calls as the operation's own role, the others as each role in turn or as nobody."""
    role = role_of(method, path) if turn % 2 == 0 else ROLES[(turn // 2) % len(ROLES)]
    if role is None:
        return {}
    return auth(role, BIDDER_SUBJECT if role == "bidder" else f"fuzz-{role}")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_input_makes_a_server_error(case: Any, server: Server, auctions: list[str]) -> None:
    turn = next(_turns)
    path = case.path_parameters or {}
    if "auction_id" in path and turn % 2 == 0:
        path["auction_id"] = auctions[(turn // 2) % len(auctions)]
        if "bidder_code" in path and turn % 4 == 0:
            path["bidder_code"] = "B-1"
    headers = {**(case.headers or {}), **headers_for(turn // 2, case.method, case.path)}
    response = case.call(base_url=server.url, headers=headers, timeout=30)
    STATUSES[response.status_code] += 1
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    case.validate_response(response, checks=[not_a_server_error])


def test_the_description_fuzzed_is_the_one_the_server_serves(server: Server) -> None:
    served = httpx.get(f"{server.url}/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == DESCRIPTION


def test_the_server_logged_no_unhandled_error(server: Server) -> None:
    """Runs after the fuzzing (pytest keeps the file's order): no error was hidden behind a 4xx,
    and the generated calls got past authentication and validation to the engine's own answers."""
    assert STATUSES[401] and STATUSES[403] and STATUSES[422], STATUSES
    assert STATUSES[200] and STATUSES[201], STATUSES
    assert STATUSES[404] and STATUSES[409], STATUSES
    lines = server.log.read_text(errors="replace").splitlines()
    assert [line for line in lines if "unhandled error" in line or "Traceback" in line] == []
