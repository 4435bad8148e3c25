"""The lot's photos and documents in the browser: the lot page shows the gallery (thumbnails
with their alt text, the larger preview on click) and the documents with their size and
SHA-256; the bailiff console publishes a photo from a file chosen on the page."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.files.support import pdf, photo_with_gps
from tests.web.support import BAILIFF, Server, expect


def _publish(server: Server, auction: str, kind: str, text: str, content: bytes) -> dict[str, Any]:
    parameter = "alt" if kind == "photos" else "title"
    answer = server.client.post(
        f"/auctions/{auction}/{kind}", params={parameter: text}, content=content, headers=BAILIFF
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_lot_page_shows_the_gallery_and_the_documents_with_their_hashes(
    web_server: Server, open_page: Any, shot: Any
) -> None:
    lot = web_server.schedule_swedish(timedelta(days=2), open_now=False)
    front = _publish(web_server, lot["id"], "photos", "Huset från gatan", photo_with_gps((1600, 1200)))
    _publish(web_server, lot["id"], "photos", "Köket", photo_with_gps((900, 600), kind="PNG", orientation=1))
    report = pdf("Värderingsutlåtande")
    _publish(web_server, lot["id"], "documents", "Värderingsutlåtande", report)

    page = open_page(f"/app/auction/{lot['id']}")
    gallery = page.locator("#gallery img")
    expect(gallery).to_have_count(2)
    expect(gallery.first).to_have_attribute("alt", "Huset från gatan")
    expect(gallery.nth(1)).to_have_attribute("alt", "Köket")
    page.wait_for_function("() => [...document.querySelectorAll('#gallery img')].every((i) => i.naturalWidth > 0)")
    expect(page.locator("#documents li")).to_have_count(1)
    expect(page.locator("#documents a")).to_have_text("Värderingsutlåtande")
    expect(page.locator("#documents .sha256")).to_have_text(hashlib.sha256(report).hexdigest())
    expect(page.locator("#documents")).to_contain_text(f"PDF, {len(report)} B")  # a small one
    shot(page, "lot-gallery")

    page.get_by_role("button", name="Huset från gatan").click()
    view = page.locator("#photo-view")
    expect(view).to_be_visible()
    expect(page.locator("#photo-view-caption")).to_have_text("Huset från gatan")
    expect(page.locator("#photo-view-image")).to_have_attribute(
        "src", f"/auctions/{lot['id']}/files/{front['preview']}"
    )
    page.wait_for_function("() => document.getElementById('photo-view-image').naturalWidth === 1200")
    shot(page, "lot-gallery-preview", full_page=False)
    page.locator("#photo-view-close").click()
    expect(view).to_be_hidden()


def test_the_console_publishes_a_photo_chosen_on_the_page(web_server: Server, open_page: Any, tmp_path: Path) -> None:
    lot = web_server.schedule_swedish(timedelta(days=2), open_now=False)
    chosen = tmp_path / "IMG_0001.jpg"
    chosen.write_bytes(photo_with_gps((800, 600)))
    page = open_page(f"/app/bailiff/{lot['id']}", role="bailiff", subject="bailiff-web")
    expect(page.locator("#files-console")).to_be_visible()
    page.locator("#photo-file").set_input_files(str(chosen))
    page.locator("#photo-alt").fill("Garaget")
    page.locator("#photo-submit").click()
    expect(page.locator("#files-result")).to_contain_text("Published: Garaget")
    expect(page.locator("#console-photos img")).to_have_attribute("alt", "Garaget")
    listed = web_server.client.get(f"/auctions/{lot['id']}/files").json()
    assert [p["alt"] for p in listed["photos"]] == ["Garaget"]

    not_a_photo = tmp_path / "photo.jpg"
    not_a_photo.write_bytes(pdf())
    page.locator("#photo-file").set_input_files(str(not_a_photo))
    page.locator("#photo-alt").fill("Not a photo")
    page.locator("#photo-submit").click()
    expect(page.locator("#files-result")).to_contain_text("not a JPEG, PNG or WebP photo")
    assert len(web_server.client.get(f"/auctions/{lot['id']}/files").json()["photos"]) == 1
