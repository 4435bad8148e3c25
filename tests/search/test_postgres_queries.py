"""Any text as a query of the PostgreSQL search: a valid ``to_tsquery`` of plain words, never an error."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.search import LotRow, PostgresSearchTables, make_search, words
from tests.store.support import fresh_postgres_database

pytestmark = pytest.mark.postgres


def _row(n: int, text: str) -> LotRow:
    return LotRow(
        f"lot-{n}", 1, "SI", "immovable", "real_estate", "scheduled", "EUR", 100_000_00, n, n, None, None, None, None,
        " ".join(words(text)),
    )  # fmt: skip


def test_any_text_searches_postgresql_without_an_error_and_finds_the_lot_holding_its_words() -> None:
    with asyncio.Runner() as runner:
        databases = fresh_postgres_database()
        url = runner.run(databases.__aenter__())
        tables = PostgresSearchTables(url)
        try:
            runner.run(tables.open())
            runner.run(tables.write([_row(0, "Dvosobno stanovanje, Šiška")], 1))
            assert runner.run(tables.search(make_search("STANOVANJ siska"), None, 20)).auction_ids == ["lot-0"]

            numbers = itertools.count(1)

            @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
            @given(text=st.text(max_size=120))
            def fuzz(text: str) -> None:
                if len(words(text)) > 16:
                    return
                n = next(numbers)  # a lot of its own: a row is only replaced by a later version
                runner.run(tables.search(make_search(text), None, 20))
                if words(text):
                    runner.run(tables.write([_row(n, text)], 1))
                    found = runner.run(tables.search(make_search(text), None, 100))
                    assert f"lot-{n}" in found.auction_ids or found.total > 100

            fuzz()
        finally:
            runner.run(tables.close())
            runner.run(databases.__aexit__(None, None, None))
