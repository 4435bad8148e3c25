"""The lot's files as the decider, the report, the catalogue and the live feed see them.

Random publications, withdrawals and reorderings on a scheduled auction, decided by the pure
decider, against a model kept here in a few lines: the public photos in their order and the
public documents. Every read side, folded from the stored events through the codec as a server
does, shows what the decider's state holds; every step of the record is in the report with its
hash and time; the other read sides (status, price, deadline) are not disturbed.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import codec
from engine.commands import OrderPhotos, PublishDocument, PublishPhoto, WithdrawFile
from engine.errors import CommandRejected
from engine.events import DocumentPublished, DocumentWithdrawn, PhotoPublished, PhotosOrdered, PhotoWithdrawn
from engine.model import DOCUMENT, PHOTO
from projections.readmodel import ReadModel
from projections.report import build_report
from tests.domain.support import scheduled
from tests.domain.test_read_sides import AUCTION, check_read_sides, stored


def digest(n: int) -> str:
    return hashlib.sha256(f"file {n}".encode()).hexdigest()


def photo(n: int) -> PublishPhoto:
    return PublishPhoto(digest(n), 1000 + n, "image/jpeg", 800, 600, f"View {n}", digest(n + 100), digest(n + 200))


def document(n: int) -> PublishDocument:
    return PublishDocument(digest(n), 5000 + n, "application/pdf", f"Report {n}")


FILES = st.integers(0, 5)
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("photo"), FILES),
        st.tuples(st.just("document"), FILES),
        st.tuples(st.just("withdraw_photo"), FILES),
        st.tuples(st.just("withdraw_document"), FILES),
        st.tuples(st.just("order"), st.randoms(use_true_random=False)),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(actions=ACTIONS)
def test_every_read_side_shows_the_files_the_decider_published(actions: list[tuple[str, object]]) -> None:
    run = scheduled("SE", bidders=1)
    assert run.state.terms is not None
    now = run.state.terms.opens_at - timedelta(days=5)
    photos: list[str] = []  # the model: the public photos in their order, the public documents
    documents: list[str] = []
    records = 0
    for kind, arg in actions:
        now += timedelta(minutes=1)
        command: PublishPhoto | PublishDocument | WithdrawFile | OrderPhotos
        if kind == "photo":
            command, shown, sha = photo(int(arg)), photos, digest(int(arg))  # type: ignore[call-overload]
        elif kind == "document":
            command, shown, sha = document(int(arg)), documents, digest(int(arg))  # type: ignore[call-overload]
        elif kind.startswith("withdraw"):
            what = PHOTO if kind == "withdraw_photo" else DOCUMENT
            sha = digest(int(arg))  # type: ignore[call-overload]
            command, shown = WithdrawFile(what, sha, "Wrong lot"), photos if what == PHOTO else documents
        else:
            order = list(photos)
            arg.shuffle(order)  # type: ignore[attr-defined]
            command, shown, sha = OrderPhotos(tuple(order)), photos, ""
        try:
            events = run.do(command, now)
        except CommandRejected as refused:
            # Refused exactly when the model says so: a publication of what is public, a
            # withdrawal of what is not.
            if isinstance(command, WithdrawFile):
                assert sha not in shown and refused.code == "file_not_found"
            else:
                assert sha in shown and refused.code == "already_published"
            continue
        if isinstance(command, WithdrawFile):
            assert [type(e) for e in events] == [PhotoWithdrawn if shown is photos else DocumentWithdrawn]
            shown.remove(sha)
        elif isinstance(command, OrderPhotos):
            assert [type(e) for e in events] == ([] if list(command.order) == photos else [PhotosOrdered])
            photos[:] = command.order
        else:
            assert sha not in shown
            assert [type(e) for e in events] == [PhotoPublished if shown is photos else DocumentPublished]
            shown.append(sha)
        records += len(events)

        state = run.state
        assert [f.sha256 for f in state.files if f.kind == PHOTO and f.public] == photos
        assert [f.sha256 for f in state.files if f.kind == DOCUMENT and f.public] == documents

    rows = stored(run.events)
    report = build_report(AUCTION, rows, run.rules, decoded=[codec.decode(s.type, s.data) for s in rows])
    assert [p["sha256"] for p in report["published"]["photo"]] == photos
    assert [d["sha256"] for d in report["published"]["document"]] == documents
    assert len(report["files"]) == records
    for line, event in zip(
        report["files"],
        [e for e in run.events if "Photo" in type(e).__name__ or "Document" in type(e).__name__],
        strict=True,
    ):
        assert line["at"] is not None and line.get("sha256", None) == getattr(event, "sha256", None)

    model = ReadModel()
    model.apply_page([(s.position, s.stream, s.version, s.type, s.data) for s in rows])
    summary = model.summary(AUCTION)
    assert summary is not None and summary.state.files == run.state.files
    kinds = [c.body["type"] for c in model.changes(AUCTION)]
    assert sum(kinds.count(k) for k in ("photo", "document", "withdrawn", "photos_ordered")) == records
    check_read_sides(run)
