"""The lot's photos and documents: what an upload is, made safe to serve, kept, then published.

A file is judged by its bytes, never by its name or the type its sender declared:

* a **photo** is a JPEG, PNG or WebP image that Pillow opens and verifies, of at most
  ``max_pixels`` pixels (a small file that decodes into gigabytes, an image bomb, is refused
  before it is decoded). It is served re-encoded: its orientation applied, every piece of
  metadata dropped (EXIF with the camera and the place it was taken, XMP, comments, colour
  profiles), in its own format, with two smaller renditions (:data:`RENDITIONS`);
* a **document** is a PDF: its header, a cross-reference (``startxref``) and an end-of-file
  marker (``%%EOF``) near its end. It is kept and served byte for byte.

Anything else is :class:`FileRefused` (``unsupported_media_type``, 415; ``image_too_large``,
422; ``invalid_file``, 422). Nothing is kept for a refused file: the command is decided on the
auction's state first (an alt text missing, a cancelled auction, a photo already there), then
the bytes are kept (``engine.app.blobs``, by their SHA-256), then the event that publishes
them is appended with the hash, the size and the media type of the bytes served.

Pillow is used here only, outside the pure core (``engine.decider`` decides on hashes).
"""

from __future__ import annotations

import asyncio
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from engine.app.blobs import BlobStore, sha256_of
from engine.app.handlers import Context, official
from engine.commands import Command, OrderPhotos, PublishDocument, PublishPhoto, WithdrawFile
from engine.decider import FILE_NOT_FOUND, LABEL_LIMIT, decide
from engine.errors import AuctionNotFound
from engine.events import DocumentPublished, Event, PhotoPublished, PhotosOrdered
from engine.meaning import file_json
from engine.model import DOCUMENT, PHOTO, AuctionState, LotFile, Status

__all__ = ["FILE_NOT_FOUND", "LABEL_LIMIT", "FileRefused", "file_json", "find", "process_photo"]

# Pillow's format name -> the media type served.
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF = "application/pdf"
_PDF_VERSIONS = frozenset({b"1.0", b"1.1", b"1.2", b"1.3", b"1.4", b"1.5", b"1.6", b"1.7", b"2.0"})
# The widths of a photo's smaller renditions: the thumbnail (galleries) and the preview (a larger view).
RENDITIONS = (320, 1280)
MAX_PIXELS = 40_000_000  # default: a 40-megapixel camera's photo; AUCTION_MAX_IMAGE_PIXELS
JPEG_QUALITY = 88


class FileRefused(Exception):
    """An upload that is not what it must be; ``status`` is the HTTP answer's."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def unsupported(message: str) -> FileRefused:
    return FileRefused(415, "unsupported_media_type", message)


# ------------------------------------------------------------------ photos


@dataclass(frozen=True)
class Photo:
    """A photo made safe to serve: ``data`` re-encoded without metadata, and its renditions."""

    data: bytes
    media_type: str
    width: int
    height: int
    thumbnail: bytes
    preview: bytes


def _opened(data: bytes, max_pixels: int) -> Image.Image:
    """The image ``data`` holds, checked but not yet decoded; refused unless a photo format."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=tuple(PHOTO_TYPES))
    except UnidentifiedImageError:
        raise unsupported("a photo must be a JPEG, PNG or WebP image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRefused(422, "image_too_large", f"a photo has at most {max_pixels} pixels") from None
    except (OSError, ValueError, SyntaxError) as error:
        raise FileRefused(422, "invalid_file", f"the image cannot be read: {error}") from None
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise FileRefused(422, "image_too_large", f"a photo has at most {max_pixels} pixels, not {width}×{height}")
    return image


def process_photo(data: bytes, max_pixels: int = MAX_PIXELS) -> Photo:
    """Check ``data`` is a photo and make it safe to serve (blocking: run it off the event loop).
    Whatever the bytes, the answer is a :class:`Photo` or :class:`FileRefused`: a decoder's own
    error on a malformed file (some raise more than ``OSError``) is the file's fault."""
    if not data:
        raise FileRefused(422, "invalid_file", "the photo is empty")
    try:
        return _processed(data, max_pixels)
    except FileRefused:
        raise
    except MemoryError:
        raise FileRefused(422, "image_too_large", "the photo is too large to decode") from None
    except Exception as error:  # noqa: BLE001 - any decoder failure on these bytes
        raise FileRefused(422, "invalid_file", f"the image cannot be decoded: {type(error).__name__}") from None


def _processed(data: bytes, max_pixels: int) -> Photo:
    _opened(data, max_pixels).verify()  # the file's structure (verify leaves the image unusable)
    image = _opened(data, max_pixels)
    kind = image.format or ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            upright = ImageOps.exif_transpose(image)  # the orientation the camera recorded, applied
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRefused(422, "image_too_large", f"a photo has at most {max_pixels} pixels") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise FileRefused(422, "invalid_file", f"the image cannot be decoded: {error}") from None
    clean = _pixels_only(upright, kind)
    renditions = [_encode(_narrowed(clean, width), kind) for width in RENDITIONS]
    return Photo(_encode(clean, kind), PHOTO_TYPES[kind], clean.width, clean.height, renditions[0], renditions[1])


def _pixels_only(image: Image.Image, kind: str) -> Image.Image:
    """A new image holding the pixels and nothing else (no EXIF, XMP, ICC profile, comments)."""
    if kind == "JPEG":
        mode = "L" if image.mode in ("L", "1") else "RGB"
    else:
        mode = "RGBA" if image.mode in ("RGBA", "LA", "PA", "P") and _has_alpha(image) else "RGB"
        if image.mode in ("L", "1") and kind == "PNG":
            mode = "L"
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _narrowed(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _encode(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif kind == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=JPEG_QUALITY)
    return out.getvalue()


# ------------------------------------------------------------------ documents


def check_pdf(data: bytes) -> None:
    """A PDF by its bytes: the ``%PDF-`` header with a version, then near the end the
    ``startxref`` offset and the ``%%EOF`` marker (a truncated file has neither)."""
    if not data.startswith(b"%PDF-") or data[5:8] not in _PDF_VERSIONS:
        raise unsupported("a document must be a PDF")
    tail = data[-2048:]
    if b"%%EOF" not in tail or b"startxref" not in tail or b"obj" not in data:
        raise FileRefused(422, "invalid_file", "the PDF is incomplete: no cross-reference or end-of-file marker")


# ------------------------------------------------------------------ use cases


@dataclass(frozen=True)
class Upload:
    """What a bailiff sent: the bytes, and the photo's alt text or the document's title."""

    auction_id: str
    data: bytes
    label: str
    subject: str
    office: str | None = None


@dataclass(frozen=True)
class Withdrawal:
    auction_id: str
    kind: str
    sha256: str
    reason: str
    subject: str
    office: str | None = None


@dataclass(frozen=True)
class Ordering:
    auction_id: str
    order: tuple[str, ...]
    subject: str
    office: str | None = None


@dataclass(frozen=True)
class Published:
    """A file published (or withdrawn, or the photos reordered): the event's position and the file as it stands."""

    auction_id: str
    position: int | None
    file: LotFile | None


async def _state(context: Context, auction_id: str) -> AuctionState:
    state = await context.service.load(auction_id)
    if state.status is Status.NEW or state.terms is None:
        raise AuctionNotFound(auction_id)
    return state


async def _decided_first(context: Context, auction_id: str, command: Command) -> None:
    """Refuse the command as the decider would, before any byte is kept."""
    state = await _state(context, auction_id)
    decide(state, command, context.service.rules_of(state), context.service.clock.now())


def _position(events: Sequence[Event], versions: Sequence[int], kind: type[Event]) -> int | None:
    return next((v for e, v in zip(events, versions, strict=True) if isinstance(e, kind)), None)


async def publish_photo(context: Context, blobs: BlobStore, upload: Upload, max_pixels: int = MAX_PIXELS) -> Published:
    photo = await asyncio.to_thread(process_photo, upload.data, max_pixels)
    command = PublishPhoto(
        sha256=sha256_of(photo.data),
        size=len(photo.data),
        media_type=photo.media_type,
        width=photo.width,
        height=photo.height,
        alt=upload.label,
        thumbnail=sha256_of(photo.thumbnail),
        preview=sha256_of(photo.preview),
        official=official(upload.subject, upload.office),
    )
    await _decided_first(context, upload.auction_id, command)
    for data in (photo.thumbnail, photo.preview, photo.data):
        await blobs.put(photo.media_type, data)
    outcome = await context.execute(upload.auction_id, command, None)
    position = _position(outcome.events, [s.version for s in outcome.stored], PhotoPublished)
    return Published(upload.auction_id, position, outcome.state.file(PHOTO, command.sha256))


async def publish_document(context: Context, blobs: BlobStore, upload: Upload) -> Published:
    check_pdf(upload.data)
    command = PublishDocument(
        sha256=sha256_of(upload.data),
        size=len(upload.data),
        media_type=PDF,
        title=upload.label,
        official=official(upload.subject, upload.office),
    )
    await _decided_first(context, upload.auction_id, command)
    await blobs.put(PDF, upload.data)
    outcome = await context.execute(upload.auction_id, command, None)
    position = _position(outcome.events, [s.version for s in outcome.stored], DocumentPublished)
    return Published(upload.auction_id, position, outcome.state.file(DOCUMENT, command.sha256))


async def withdraw(context: Context, request: Withdrawal) -> Published:
    by = official(request.subject, request.office)
    command = WithdrawFile(request.kind, request.sha256, request.reason, by)
    outcome = await context.execute(request.auction_id, command, None)
    position = outcome.stored[-1].version if outcome.stored else None
    return Published(request.auction_id, position, outcome.state.file(request.kind, request.sha256))


async def order_photos(context: Context, request: Ordering) -> Published:
    command = OrderPhotos(request.order, official(request.subject, request.office))
    outcome = await context.execute(request.auction_id, command, None)
    position = _position(outcome.events, [s.version for s in outcome.stored], PhotosOrdered)
    return Published(request.auction_id, position, None)


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Served:
    """A file an auction published, found by the hash of one of its renditions."""

    file: LotFile
    sha256: str  # the rendition asked for: the file itself, or a photo's thumbnail or preview


def find(state: AuctionState, sha256: str) -> Served | None:
    """The file of the auction named by ``sha256`` (a public one before a withdrawn one)."""
    found = [f for f in state.files if sha256 in (f.sha256, f.thumbnail, f.preview)]
    found.sort(key=lambda f: not f.public)
    return Served(found[0], sha256) if found else None


async def lot_state(context: Context, auction_id: str) -> AuctionState:
    """The auction's state as its latest events left it (its files with it)."""
    return await _state(context, auction_id)
