"""A feed position beyond any the log can hold is refused, not a server error."""

from __future__ import annotations

from tests.api.support import running_api


async def test_an_after_beyond_a_64_bit_position_is_a_422() -> None:
    async with running_api() as api:
        for after in (2**63, 2**64, 10**30):
            response = await api.client.get(f"/feed?after={after}")
            assert response.status_code == 422, (after, response.text)
        assert (await api.client.get(f"/feed?after={2**63 - 1}")).status_code == 200
