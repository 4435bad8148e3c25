"""A photo's processing on its own: whatever the bytes, a photo made safe or a clear refusal."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image

from engine.app.files import RENDITIONS, FileRefused, check_pdf, process_photo
from tests.files.support import GPS, image_bomb, pdf, photo_with_gps, png

SEEDS = [photo_with_gps((64, 48)), photo_with_gps((64, 48), kind="PNG"), photo_with_gps((64, 48), kind="WEBP"), png()]


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_every_format_loses_its_metadata_and_keeps_its_format(kind: str) -> None:
    original = photo_with_gps((2000, 1000), kind=kind, orientation=8)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo) == GPS
    photo = process_photo(original)
    served = Image.open(io.BytesIO(photo.data))
    assert served.format == kind and photo.media_type == f"image/{kind.lower()}"
    assert not served.getexif() and not {"exif", "xmp", "icc_profile", "comment"} & set(served.info)
    assert (served.width, served.height) == (photo.width, photo.height) == (1000, 2000)  # turned upright
    for data, width in zip((photo.thumbnail, photo.preview), RENDITIONS, strict=True):
        small = Image.open(io.BytesIO(data))
        assert small.format == kind and small.width == min(width, 1000) and not small.getexif()


def test_an_image_bomb_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(FileRefused) as refused:
        process_photo(image_bomb(), max_pixels=40_000_000)
    assert (refused.value.status, refused.value.code) == (422, "image_too_large")
    with pytest.raises(FileRefused) as refused:
        process_photo(png((200, 200)), max_pixels=39_999)
    assert refused.value.code == "image_too_large"


@settings(max_examples=150, deadline=None)
@given(
    seed=st.sampled_from(SEEDS),
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=8)), max_size=4),
    length=st.integers(0, 10_000),
)
def test_damaged_photos_are_refused_with_a_4xx_never_an_error(
    seed: bytes, cuts: list[tuple[int, bytes]], length: int
) -> None:
    data = bytearray(seed[: max(length, 1)])
    for at, junk in cuts:
        at %= max(len(data), 1)
        data[at : at + len(junk)] = junk
    try:
        photo = process_photo(bytes(data))
    except FileRefused as refused:
        assert refused.status in (415, 422)
    else:
        assert Image.open(io.BytesIO(photo.data)).getexif() == {}


def test_a_pdf_is_known_by_its_bytes() -> None:
    check_pdf(pdf())
    for bad, status in ((png(), 415), (b"%PDF-9.9\n", 415), (pdf()[:-30], 422), (b"", 415), (b"%!PS-Adobe", 415)):
        with pytest.raises(FileRefused) as refused:
            check_pdf(bad)
        assert refused.value.status == status
