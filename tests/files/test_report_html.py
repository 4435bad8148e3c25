"""The printed report lists the lot's files: each publication and withdrawal with its time and
SHA-256, and the files public at the report's end."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from engine import codec
from engine.commands import PublishDocument, WithdrawFile
from engine.model import DOCUMENT
from projections.audit.render import render_html
from projections.report import build_report
from tests.domain.support import scheduled
from tests.domain.test_read_sides import AUCTION, stored


def test_the_html_report_lists_every_file_with_its_hash_and_time() -> None:
    run = scheduled("SE", bidders=0)
    assert run.state.terms is not None
    at = run.state.terms.opens_at - timedelta(days=2)
    kept, gone = hashlib.sha256(b"order of sale").hexdigest(), hashlib.sha256(b"old valuation").hexdigest()
    run.do(PublishDocument(gone, 1200, "application/pdf", "Valuation <draft>"), at)
    run.do(PublishDocument(kept, 3400, "application/pdf", "Order of sale"), at + timedelta(minutes=5))
    run.do(WithdrawFile(DOCUMENT, gone, "Superseded"), at + timedelta(hours=1))
    rows = stored(run.events)
    report = build_report(AUCTION, rows, run.rules, decoded=[codec.decode(s.type, s.data) for s in rows])
    page = render_html([report]).decode()
    section = page[page.index("<h3>Photos and documents</h3>") :]
    assert section.count("<tr><td>") == 3
    assert kept in section and gone in section and "Superseded" in section
    assert "Valuation &lt;draft&gt;" in section and "<draft>" not in section
    public = section[section.index("Public at the report") :]
    assert kept in public and gone not in public
    assert report["files"][0]["at"] in section
