"""The search's words and cursors, without a server: any text makes a valid full-text query of plain
words in both databases' syntax, and a cursor changed in any way is refused."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections.search import (
    InvalidCursor,
    cursor_secret,
    decode_cursor,
    encode_cursor,
    fold,
    fts5_match,
    make_search,
    ts_query,
    words,
)

SECRET = cursor_secret("a server's secret")


def test_words_are_folded_runs_of_letters_and_digits() -> None:
    assert words("Šmarje pri Jelšah, In 123/2026 — ČRNOMELJ") == [
        "smarje",
        "pri",
        "jelsah",
        "in",
        "123",
        "2026",
        "crnomelj",
    ]
    assert words('"*:-NEAR( OR )^') == ["near", "or"]
    assert words("a_b") == ["a", "b"]
    assert fold("Göteborg Ελλάδα София") == "goteborg ελλαδα софия"


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    c = sqlite3.connect(":memory:")
    c.execute("CREATE VIRTUAL TABLE t USING fts5(document, tokenize='unicode61 remove_diacritics 2')")
    return c


@given(text=st.text(max_size=200), document=st.text(max_size=200))
def test_any_text_is_a_valid_fts5_query_that_finds_a_document_holding_its_words(
    fts: sqlite3.Connection, text: str, document: str
) -> None:
    terms = words(text)
    if not terms:
        return
    assert all(t.isalnum() for t in terms)
    indexed = " ".join(words(document) + terms)  # the document holds every word, among others
    fts.execute("DELETE FROM t")
    fts.execute("INSERT INTO t (document) VALUES (?)", (indexed,))
    found = fts.execute("SELECT count(*) FROM t WHERE t MATCH ?", (fts5_match(terms),)).fetchone()[0]
    assert found == 1
    assert ts_query(terms).count(":*") == len(terms)


def test_a_word_matches_the_words_beginning_with_it(fts: sqlite3.Connection) -> None:
    fts.execute("DELETE FROM t")
    fts.execute("INSERT INTO t (document) VALUES (?)", (" ".join(words("Dvosobno stanovanje, Šiška")),))
    match = "SELECT count(*) FROM t WHERE t MATCH ?"
    assert fts.execute(match, (fts5_match(words("STANOVANJ siska")),)).fetchone()[0] == 1
    assert fts.execute(match, (fts5_match(words("stanovanja")),)).fetchone()[0] == 0
    assert fts.execute(match, (fts5_match(words("NEAR OR")),)).fetchone()[0] == 0


SEARCH = make_search("hisa", region="Gorenjska", sort="price_asc")


@given(value=st.integers(min_value=-(2**62), max_value=2**62), auction_id=st.text(max_size=30))
def test_a_cursor_names_its_key_for_its_search_only(value: int, auction_id: str) -> None:
    cursor = encode_cursor(SECRET, SEARCH, (value, auction_id))
    assert decode_cursor(SECRET, SEARCH, cursor) == (value, auction_id)
    for other in [make_search("hisa", region="Gorenjska"), make_search("hisa", sort="price_asc"), make_search()]:
        with pytest.raises(InvalidCursor):
            decode_cursor(SECRET, other, cursor)
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor_secret("another server's secret"), SEARCH, cursor)


@given(data=st.data())
def test_a_cursor_changed_anywhere_is_refused(data: st.DataObject) -> None:
    cursor = encode_cursor(SECRET, SEARCH, (data.draw(st.integers(0, 10**12)), "lot-1"))
    at = data.draw(st.integers(0, len(cursor) - 1))
    replacement = data.draw(st.characters().filter(lambda c: c != cursor[at]))
    changed = cursor[:at] + replacement + cursor[at + 1 :]
    try:
        key = decode_cursor(SECRET, SEARCH, changed)
    except InvalidCursor:
        return
    # Base64's last character may carry unused bits: a change there that names the same key is no change.
    assert key == decode_cursor(SECRET, SEARCH, cursor)


@given(text=st.text(max_size=300))
def test_any_text_as_a_cursor_is_refused_as_one_not_given(text: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(SECRET, SEARCH, text)
