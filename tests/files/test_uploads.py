"""Uploading a lot's photos and documents, on SQLite and on PostgreSQL: upload → event with the
hash → download. A PDF comes back byte for byte with the SHA-256 its event records; a photo with
a GPS position in its EXIF comes back without it (nor any other metadata), its orientation
applied, and its event records the hash of the bytes served. Bad input is a clear 4xx and
leaves nothing behind: no event, no blob."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image

from api.auth import issue_token
from tests.api.support import AUDITOR, BAILIFF, SECRET, Api, bidder, running_api, swedish_auction, utc_now
from tests.files.support import CAMERA, image_bomb, pdf, photo_with_gps, png
from tests.store.support import fresh_postgres_database


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    if request.param == "sqlite":
        async with running_api(f"sqlite:///{tmp_path / 'log.sqlite3'}", max_upload_bytes=2 * 1024 * 1024) as running:
            yield running
    else:
        async with fresh_postgres_database() as url, running_api(url, max_upload_bytes=2 * 1024 * 1024) as running:
            yield running


async def scheduled(api: Api) -> str:
    """An auction opening in a day: nothing but its files happens to it during a test."""
    now = utc_now()
    body = swedish_auction(
        now, opens_at=(now + timedelta(days=1)).isoformat(), closes_at=(now + timedelta(days=2)).isoformat()
    )
    return str((await api.schedule(body))["id"])


async def blob_count(api: Api) -> int:
    """The rows of the blobs table (0 before the first upload made it)."""
    url = api.runtime.settings.database_url
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url[len("sqlite:///") :])
        try:
            made = connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'blobs'").fetchone()
            return int(connection.execute("SELECT count(*) FROM blobs").fetchone()[0]) if made else 0
        finally:
            connection.close()
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        made = await connection.fetchval("SELECT to_regclass('blobs') IS NOT NULL")
        return int(await connection.fetchval("SELECT count(*) FROM blobs")) if made else 0
    finally:
        await connection.close()


async def test_a_pdf_comes_back_byte_for_byte_with_the_hash_its_event_records(api: Api) -> None:
    auction = await scheduled(api)
    document = pdf("Оценка на имота")
    answer = await api.client.post(
        f"/auctions/{auction}/documents",
        params={"title": "Оценителен доклад"},
        content=document,
        headers={**BAILIFF, "Content-Type": "application/octet-stream"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["sha256"] == sha(document) and body["size"] == len(document) and body["title"] == "Оценителен доклад"
    (event,) = [e for e in await api.events(auction) if e["type"] == "DocumentPublished"]
    assert event["data"]["sha256"] == sha(document) and event["data"]["size"] == len(document)
    assert event["data"]["media_type"] == "application/pdf" and event["data"]["official"] == "bailiff-1"

    served = await api.client.get(body["url"])  # anyone: no token
    assert served.status_code == 200
    assert served.content == document and sha(served.content) == event["data"]["sha256"]
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["etag"] == f'"{sha(document)}"'
    again = await api.client.get(body["url"], headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and again.content == b""

    listing = (await api.client.get(f"/auctions/{auction}/files")).json()
    assert [(d["title"], d["size"], d["sha256"]) for d in listing["documents"]] == [
        ("Оценителен доклад", len(document), sha(document))
    ]
    report = (await api.client.get(f"/auctions/{auction}/report", headers=AUDITOR)).json()
    (line,) = report["files"]
    assert (line["act"], line["kind"], line["sha256"], line["position"]) == (
        "published",
        "document",
        sha(document),
        event["version"],
    )
    assert line["at"] is not None and report["published"]["document"][0]["sha256"] == sha(document)


async def test_a_photo_comes_back_without_its_location_and_its_event_names_the_bytes_served(api: Api) -> None:
    auction = await scheduled(api)
    original = photo_with_gps((1600, 1200))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test photo has a location"
    answer = await api.client.post(
        f"/auctions/{auction}/photos",
        params={"alt": "Фасадата откъм улицата"},
        content=original,
        headers={**BAILIFF, "Content-Type": "application/pdf"},  # a declared type is not believed
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    (event,) = [e for e in await api.events(auction) if e["type"] == "PhotoPublished"]
    data = event["data"]
    assert data["alt"] == "Фасадата откъм улицата" and data["sha256"] == body["sha256"]

    served = await api.client.get(f"/auctions/{auction}/files/{data['sha256']}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert sha(served.content) == data["sha256"] and len(served.content) == data["size"]
    assert served.content != original
    image = Image.open(io.BytesIO(served.content))
    assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
    assert CAMERA.encode() not in served.content and b"Exif" not in served.content
    assert image.size == (1200, 1600) == (data["width"], data["height"]), "the orientation is applied"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    for rendition, width in ((data["thumbnail"], 320), (data["preview"], 1200)):
        small = await api.client.get(f"/auctions/{auction}/files/{rendition}")
        assert small.status_code == 200 and sha(small.content) == rendition
        shown = Image.open(io.BytesIO(small.content))
        assert shown.width == width and not shown.getexif()


async def test_bad_files_are_refused_clearly_and_leave_nothing_behind(api: Api) -> None:
    auction = await scheduled(api)
    before = await api.all_events()
    url = f"/auctions/{auction}"
    cases: list[tuple[str, dict[str, str], bytes, int, str]] = [
        ("photos", {"alt": "A photo"}, pdf(), 415, "unsupported_media_type"),  # a PDF named photo.jpg
        ("photos", {"alt": "A photo"}, b"GIF89a" + bytes(200), 415, "unsupported_media_type"),
        ("photos", {"alt": "A photo"}, b"<svg xmlns='http://www.w3.org/2000/svg'/>", 415, "unsupported_media_type"),
        ("photos", {"alt": "A photo"}, photo_with_gps()[:400], 422, "invalid_file"),  # cut short
        ("photos", {"alt": "A photo"}, image_bomb(), 422, "image_too_large"),
        ("photos", {"alt": "A photo"}, b"", 422, "invalid_file"),
        ("photos", {}, png(), 422, "invalid_request"),  # no alt text
        ("photos", {"alt": ""}, png(), 422, "invalid_request"),
        ("photos", {"alt": "   "}, png(), 422, "invalid_request"),
        ("documents", {"title": "Report"}, png(), 415, "unsupported_media_type"),  # a PNG named report.pdf
        ("documents", {"title": "Report"}, pdf()[:300], 422, "invalid_file"),  # a truncated PDF
        ("documents", {}, pdf(), 422, "invalid_request"),
        ("documents", {"title": "Report"}, bytes(3 * 1024 * 1024), 413, "request_too_large"),
        ("photos", {"alt": "A photo"}, bytes(3 * 1024 * 1024), 413, "request_too_large"),
    ]
    for path, params, content, status, code in cases:
        answer = await api.client.post(f"{url}/{path}", params=params, content=content, headers=BAILIFF)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), (path, params, answer.text)
    assert await api.all_events() == before
    assert await blob_count(api) == 0


async def test_only_the_auctions_bailiff_uploads_and_the_body_waits_for_the_token(api: Api) -> None:
    auction = await scheduled(api)
    url = f"/auctions/{auction}/documents"
    other_office = {"Authorization": f"Bearer {issue_token(SECRET, 'bailiff', 'bailiff-9', office='Varna')}"}
    for headers, status in ((None, 401), (bidder("person-1"), 403), (AUDITOR, 403), (other_office, 403)):
        answer = await api.client.post(url, params={"title": "Report"}, content=pdf(), headers=headers)
        assert answer.status_code == status, answer.text
    unknown = await api.client.post("/auctions/nope/documents", params={"title": "R"}, content=pdf(), headers=BAILIFF)
    assert unknown.status_code == 404
    assert await blob_count(api) == 0


async def test_a_withdrawn_document_is_gone_for_the_public_and_kept_for_the_record(api: Api) -> None:
    auction = await scheduled(api)
    document = pdf()
    published = await api.client.post(
        f"/auctions/{auction}/documents", params={"title": "Order of sale"}, content=document, headers=BAILIFF
    )
    url = published.json()["url"]
    withdrawn = await api.client.post(
        f"/auctions/{auction}/documents/{sha(document)}/withdraw", json={"reason": "Superseded"}, headers=BAILIFF
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawal_reason"] == "Superseded"
    gone = await api.client.get(url)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "file_withdrawn"
    kept = await api.client.get(url, headers=AUDITOR)
    assert kept.status_code == 200 and kept.content == document and kept.headers["cache-control"] == "private, no-store"
    assert (await api.client.get(f"/auctions/{auction}/files")).json()["documents"] == []
    listing = (await api.client.get(f"/auctions/{auction}/files", headers=AUDITOR)).json()
    assert [w["sha256"] for w in listing["withdrawn"]] == [sha(document)]
    again = await api.client.post(
        f"/auctions/{auction}/documents/{sha(document)}/withdraw", json={"reason": "Twice"}, headers=BAILIFF
    )
    assert again.status_code == 404 and again.json()["error"]["code"] == "file_not_found"
    report = (await api.client.get(f"/auctions/{auction}/report", headers=AUDITOR)).json()
    assert [(line["act"], line["sha256"]) for line in report["files"]] == [
        ("published", sha(document)),
        ("withdrawn", sha(document)),
    ]
    assert report["published"]["document"] == []


async def test_photos_are_shown_in_the_order_the_bailiff_gives(api: Api) -> None:
    auction = await scheduled(api)
    hashes = []
    for n, size in enumerate(((300, 200), (200, 300), (250, 250))):
        answer = await api.client.post(
            f"/auctions/{auction}/photos", params={"alt": f"View {n}"}, content=png(size), headers=BAILIFF
        )
        assert answer.status_code == 201, answer.text
        hashes.append(answer.json()["sha256"])
    twice = await api.client.post(f"/auctions/{auction}/photos", params={"alt": "Again"}, content=png((300, 200)))
    assert twice.status_code == 401
    twice = await api.client.post(
        f"/auctions/{auction}/photos", params={"alt": "Again"}, content=png((300, 200)), headers=BAILIFF
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_published"
    order = [hashes[2], hashes[0], hashes[1]]
    answer = await api.client.put(f"/auctions/{auction}/photos/order", json={"order": order}, headers=BAILIFF)
    assert answer.status_code == 200, answer.text
    assert [p["sha256"] for p in answer.json()["photos"]] == order
    public = (await api.client.get(f"/auctions/{auction}/files")).json()
    assert [(p["sha256"], p["alt"]) for p in public["photos"]] == [
        (hashes[2], "View 2"),
        (hashes[0], "View 0"),
        (hashes[1], "View 1"),
    ]
    assert "withdrawn" not in public
    bad = await api.client.put(f"/auctions/{auction}/photos/order", json={"order": order[:2]}, headers=BAILIFF)
    assert bad.status_code == 422
    assert (await api.client.get(f"/auctions/{auction}/files/{'0' * 64}")).status_code == 404


async def test_a_file_of_another_auction_is_not_served_under_this_one(api: Api) -> None:
    first, second = await scheduled(api), await scheduled(api)
    document = pdf()
    answer = await api.client.post(
        f"/auctions/{first}/documents", params={"title": "Report"}, content=document, headers=BAILIFF
    )
    assert answer.status_code == 201
    assert (await api.client.get(f"/auctions/{second}/files/{sha(document)}")).status_code == 404
    assert (await api.client.get(f"/auctions/{first}/files/not-a-hash")).status_code in (404, 422)


def test_the_upload_routes_are_in_the_schema() -> None:
    from api.app import create_app
    from api.settings import Settings

    paths: dict[str, Any] = create_app(Settings(database_url="memory:", secret=SECRET)).openapi()["paths"]
    assert {"/auctions/{auction_id}/photos", "/auctions/{auction_id}/documents", "/auctions/{auction_id}/files"} <= set(
        paths
    )
