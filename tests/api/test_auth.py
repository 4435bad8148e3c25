"""Who may do what: 401 without a valid token, 403 with the wrong role, public reads open."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.support import AUDITOR, BAILIFF, bidder, running_api, swedish_auction, token, utc_now

PROTECTED = [
    ("POST", "/auctions/{id}/open", None),
    ("POST", "/auctions/{id}/close", None),
    ("POST", "/auctions/{id}/registrations", None),
    ("POST", "/auctions/{id}/registrations/B-1/deposit", {"amount": "10.00"}),
    ("POST", "/auctions/{id}/bids", {"amount": "1000.00"}),
    ("POST", "/auctions/{id}/proxy", {"max": "2000.00", "step": "10.00"}),
    ("GET", "/auctions/{id}/report", None),
    ("GET", "/auctions/{id}/events", None),
]


def _unauthenticated(response: object) -> None:
    assert response.status_code == 401, response.text  # type: ignore[attr-defined]
    assert response.json()["error"]["code"] == "unauthenticated"  # type: ignore[attr-defined]
    assert response.headers["www-authenticate"] == "Bearer"  # type: ignore[attr-defined]


async def test_every_protected_endpoint_answers_401_without_a_token() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        response = await api.client.post("/auctions", json=swedish_auction(utc_now()))
        _unauthenticated(response)
        for method, path, body in PROTECTED:
            response = await api.client.request(method, path.format(id=auction["id"]), json=body)
            _unauthenticated(response)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-jwt",
        "Bearer " + token("bailiff", "b", secret="another-secret-of-sufficient-length-0123456789"),
        "Bearer " + token("bailiff", "b", ttl=timedelta(seconds=-10)),
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer",
        "bailiff",
    ],
    ids=["garbage", "wrong-secret", "expired", "basic-scheme", "empty-bearer", "no-scheme"],
)
async def test_a_token_that_does_not_verify_is_refused_with_401(header: str) -> None:
    async with running_api() as api:
        response = await api.client.post(
            "/auctions", json=swedish_auction(utc_now()), headers={"Authorization": header}
        )
        _unauthenticated(response)
        assert (await api.client.get("/auctions")).json()["auctions"] == []


async def test_a_token_with_an_unknown_role_is_refused_with_401() -> None:
    import jwt

    from tests.api.support import SECRET

    forged = jwt.encode({"sub": "x", "role": "judge", "exp": 4102444800}, SECRET, algorithm="HS256")
    async with running_api() as api:
        response = await api.client.post(
            "/auctions", json=swedish_auction(utc_now()), headers={"Authorization": f"Bearer {forged}"}
        )
        _unauthenticated(response)


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("POST", "/auctions", "auction", bidder("alice")),
        ("POST", "/auctions", "auction", AUDITOR),
        ("POST", "/auctions/{id}/open", None, bidder("alice")),
        ("POST", "/auctions/{id}/close", None, AUDITOR),
        ("POST", "/auctions/{id}/registrations", None, BAILIFF),
        ("POST", "/auctions/{id}/registrations/B-1/deposit", {"amount": "10.00"}, bidder("alice")),
        ("POST", "/auctions/{id}/bids", {"amount": "1000.00"}, BAILIFF),
        ("POST", "/auctions/{id}/bids", {"amount": "1000.00"}, AUDITOR),
        ("POST", "/auctions/{id}/proxy", {"max": "2000.00", "step": "10.00"}, AUDITOR),
        ("GET", "/auctions/{id}/events", None, bidder("alice")),
    ],
)
async def test_the_wrong_role_is_refused_with_403_and_nothing_is_recorded(
    method: str, path: str, body: object, headers: dict[str, str]
) -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        before = await api.all_events()
        payload = swedish_auction(utc_now()) if body == "auction" else body
        response = await api.client.request(method, path.format(id=auction["id"]), json=payload, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
        assert await api.all_events() == before


async def test_public_reads_need_no_token() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        for path in ("/auctions", f"/auctions/{auction['id']}", f"/auctions/{auction['id']}/bids", "/health"):
            assert (await api.client.get(path)).status_code == 200, path


async def test_every_role_may_read_the_report_and_only_bailiff_and_auditor_the_events() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        for headers in (BAILIFF, AUDITOR, bidder("someone")):
            assert (await api.client.get(f"/auctions/{auction['id']}/report", headers=headers)).status_code == 200
        for headers in (BAILIFF, AUDITOR):
            assert (await api.client.get(f"/auctions/{auction['id']}/events", headers=headers)).status_code == 200


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    import time

    from api.auth import InvalidToken, issue_token, read_token

    secret = "a-secret-only-this-test-uses-0123456789-abcdefghij"
    issued = issue_token(secret, "bidder", "expiring@example.test", ttl=timedelta(minutes=1))
    assert read_token(issued, secret).subject == "expiring@example.test"  # verified, now remembered
    assert read_token(issued, secret, now=time.time() + 59).subject == "expiring@example.test"
    with pytest.raises(InvalidToken, match="expired"):
        read_token(issued, secret, now=time.time() + 61)
    with pytest.raises(InvalidToken):
        read_token(issued, "another-secret-of-sufficient-length-0123456789")
