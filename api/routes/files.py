"""The lot's photos and documents: uploads by the auction's bailiff, and the files served.

An upload is the file's bytes as the request body (any ``Content-Type``: the file is judged by
its content, ``engine.app.files``), with the photo's ``alt`` text or the document's ``title`` as
a query parameter (UTF-8, percent-encoded: an alt text is in the auction's language, which a
header could not carry). The body's size is bounded before it is read
(``AUCTION_MAX_UPLOAD_BYTES``, 413), and the caller is authenticated first (401) and checked to
be a bailiff of the auction's office (403) before a byte of it is read.

A file is served by the SHA-256 of its bytes, the hash its event records, with headers that
make it safe: its own ``Content-Type`` and ``nosniff``, PDFs as attachments, a strong ``ETag``
(the hash; 304 on ``If-None-Match``) and, since the bytes behind a hash never change, cached for
a year as immutable. Only the files an auction published are served. A withdrawn file stays on
record: officials of the auction's office (and auditors) still get it, privately; anyone else
gets 410 ``file_withdrawn`` with the reason.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from api.auth import Principal, Role
from api.deps import AuctionId, Bailiff, RuntimeDep, Viewer, check_office
from api.errors import ApiError
from api.responses import JsonResponse
from api.routes.auctions import ERRORS
from engine.app import files
from engine.app.blobs import BlobStore, open_blobs
from engine.app.files import FILE_NOT_FOUND, LABEL_LIMIT, FileRefused, file_json
from engine.errors import CommandRejected
from engine.model import DOCUMENT, PHOTO, AuctionState, LotFile

router = APIRouter(tags=["photos and documents"])

Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="the SHA-256 of the file's bytes, lowercase hex")]
Alt = Annotated[
    str,
    Query(
        min_length=1,
        max_length=LABEL_LIMIT,
        description="what the photo shows, for those who cannot see it, in the auction's language",
    ),
]
Title = Annotated[str, Query(min_length=1, max_length=LABEL_LIMIT, description="the document's title")]

IMMUTABLE = "public, max-age=31536000, immutable"
# A file is never a page: no script in it runs, nothing it names is fetched.
_SANDBOX = "default-src 'none'; sandbox"
_UPLOAD_BODY = {
    "required": True,
    "description": "the file's bytes (any Content-Type: the file is judged by its content)",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    413: {"description": "larger than AUCTION_MAX_UPLOAD_BYTES (request_too_large)"},
    415: {"description": "not a JPEG, PNG or WebP photo, or not a PDF (unsupported_media_type)"},
}


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="why the file is withdrawn")


class OrderBody(BaseModel):
    order: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(
        max_length=100, description="every public photo's SHA-256, in the order to show them"
    )


def blobs_of(request: Request, runtime: Any) -> BlobStore:
    """This server's blob store, on the log's database, opened at its first use and closed with
    the runtime (a task of its, cancelled at the stop)."""
    kept = getattr(request.app.state, "blobs", None)
    if kept is not None and kept[0] is runtime:
        store: BlobStore = kept[1]
        return store
    store = open_blobs(runtime.settings.database_url)
    request.app.state.blobs = (runtime, store)
    runtime.tasks.append(_close_at_stop(store))
    return store


def _close_at_stop(store: BlobStore) -> asyncio.Task[None]:
    async def wait_then_close() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await store.close()

    return asyncio.create_task(wait_then_close(), name="blob-store")


def _refused(error: FileRefused) -> ApiError:
    return ApiError(error.status, error.code, error.message)


def _answer(auction_id: str, kind: str, position: int | None, file: LotFile | None, status: int) -> JsonResponse:
    body: dict[str, Any] = {"auction": auction_id, "kind": kind, "position": position}
    if file is not None:
        body.update(file_json(file), url=f"/auctions/{auction_id}/files/{file.sha256}")
    return JsonResponse(body, status_code=status)


@router.post(
    "/auctions/{auction_id}/photos",
    status_code=201,
    responses=_UPLOAD_ERRORS,
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def upload_photo(
    auction_id: AuctionId, alt: Alt, request: Request, principal: Bailiff, runtime: RuntimeDep
) -> JsonResponse:
    """Publish a photo of the lot: the image as the body (JPEG, PNG or WebP, by its content),
    its ``alt`` text in the query. It is served re-encoded, its orientation applied and its
    metadata (EXIF, location) dropped, with a 320 px ``thumbnail`` and a 1280 px ``preview``;
    the ``PhotoPublished`` event records the SHA-256 of the bytes served. 415 not a photo, 422
    ``image_too_large`` (more than ``AUCTION_MAX_IMAGE_PIXELS``) or ``invalid_file``, 409
    ``already_published``, ``too_many_files``, ``auction_cancelled``."""
    data = await request.body()
    upload = files.Upload(auction_id, data, alt, principal.subject, principal.office)
    try:
        done = await files.publish_photo(
            runtime.handlers.context, blobs_of(request, runtime), upload, runtime.settings.max_image_pixels
        )
    except FileRefused as error:
        raise _refused(error) from None
    return _answer(auction_id, PHOTO, done.position, done.file, 201)


@router.post(
    "/auctions/{auction_id}/documents",
    status_code=201,
    responses=_UPLOAD_ERRORS,
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def upload_document(
    auction_id: AuctionId, title: Title, request: Request, principal: Bailiff, runtime: RuntimeDep
) -> JsonResponse:
    """Publish a document of the sale (a PDF, by its content: a valuation report, the order of
    sale), kept and served byte for byte; ``DocumentPublished`` records its SHA-256. 415 not a
    PDF, 422 ``invalid_file`` (an incomplete PDF), 409 ``already_published``, ``too_many_files``."""
    data = await request.body()
    upload = files.Upload(auction_id, data, title, principal.subject, principal.office)
    try:
        done = await files.publish_document(runtime.handlers.context, blobs_of(request, runtime), upload)
    except FileRefused as error:
        raise _refused(error) from None
    return _answer(auction_id, DOCUMENT, done.position, done.file, 201)


async def _withdraw(runtime: Any, auction_id: str, kind: str, sha256: str, reason: str, by: Principal) -> JsonResponse:
    request = files.Withdrawal(auction_id, kind, sha256, reason, by.subject, by.office)
    try:
        done = await files.withdraw(runtime.handlers.context, request)
    except CommandRejected as error:
        if error.code == FILE_NOT_FOUND:
            raise ApiError(404, error.code, error.message) from None
        raise
    return _answer(auction_id, kind, done.position, done.file, 200)


@router.post("/auctions/{auction_id}/photos/{sha256}/withdraw", responses=ERRORS)
async def withdraw_photo(
    auction_id: AuctionId, sha256: Sha256, body: ReasonBody, principal: Bailiff, runtime: RuntimeDep
) -> JsonResponse:
    """Withdraw a published photo, with a ``reason`` (``PhotoWithdrawn``): no longer shown, kept on record."""
    return await _withdraw(runtime, auction_id, PHOTO, sha256, body.reason, principal)


@router.post("/auctions/{auction_id}/documents/{sha256}/withdraw", responses=ERRORS)
async def withdraw_document(
    auction_id: AuctionId, sha256: Sha256, body: ReasonBody, principal: Bailiff, runtime: RuntimeDep
) -> JsonResponse:
    """Withdraw a published document, with a ``reason`` (``DocumentWithdrawn``); auditors still read it."""
    return await _withdraw(runtime, auction_id, DOCUMENT, sha256, body.reason, principal)


@router.put("/auctions/{auction_id}/photos/order", responses=ERRORS)
async def order_photos(auction_id: AuctionId, body: OrderBody, principal: Bailiff, runtime: RuntimeDep) -> JsonResponse:
    """Show the public photos in this order (every one, each once; the first is the lot's
    picture), recorded as ``PhotosOrdered``; answered with the lot's files."""
    request = files.Ordering(auction_id, tuple(body.order), principal.subject, principal.office)
    await files.order_photos(runtime.handlers.context, request)
    state = await files.lot_state(runtime.handlers.context, auction_id)
    return JsonResponse(_listing(state, official=True))


def _listing(state: AuctionState, official: bool) -> dict[str, Any]:
    def entry(file: LotFile) -> dict[str, Any]:
        return {**file_json(file), "url": f"/auctions/{state.auction_id}/files/{file.sha256}"}

    out: dict[str, Any] = {
        "auction": state.auction_id,
        "photos": [entry(f) for f in state.files if f.kind == PHOTO and f.public],
        "documents": [entry(f) for f in state.files if f.kind == DOCUMENT and f.public],
    }
    if official:
        out["withdrawn"] = [{"kind": f.kind, **entry(f)} for f in state.files if not f.public]
    return out


async def _official(runtime: Any, viewer: Principal | None, auction_id: str) -> bool:
    """Whether the caller is a bailiff or auditor who may read this auction's record."""
    if viewer is None or viewer.role is Role.BIDDER:
        return False
    try:
        await check_office(runtime, viewer, auction_id)
    except ApiError:
        return False
    return True


@router.get("/auctions/{auction_id}/files", responses=ERRORS)
async def list_files(auction_id: AuctionId, viewer: Viewer, runtime: RuntimeDep) -> JsonResponse:
    """The lot's public photos (in their order, each with its ``alt``, ``thumbnail`` and
    ``preview``) and documents (``title``, ``size``, ``sha256``); for the auction's officials and
    auditors also the ``withdrawn`` ones, with when and why."""
    state = await files.lot_state(runtime.handlers.context, auction_id)
    return JsonResponse(_listing(state, await _official(runtime, viewer, auction_id)))


@router.get(
    "/auctions/{auction_id}/files/{sha256}",
    responses={
        **ERRORS,
        200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}, "application/pdf": {}}},
        304: {"description": "If-None-Match named this file's ETag"},
        410: {"description": "withdrawn (file_withdrawn): kept for the auction's officials and auditors"},
    },
)
async def download(
    auction_id: AuctionId, sha256: Sha256, request: Request, viewer: Viewer, runtime: RuntimeDep
) -> Response:
    """A file the auction published, by the SHA-256 of its bytes (a photo's own, its thumbnail's
    or its preview's): exactly the bytes that hash names."""
    state = await files.lot_state(runtime.handlers.context, auction_id)
    found = files.find(state, sha256)
    if found is None:
        raise ApiError(404, FILE_NOT_FOUND, f"auction {auction_id!r} published no file {sha256}")
    file = found.file
    cache = IMMUTABLE
    if not file.public:
        if not await _official(runtime, viewer, auction_id):
            raise ApiError(410, "file_withdrawn", f"withdrawn: {file.withdrawal_reason}")
        cache = "private, no-store"  # the record, for those who keep it; never in a shared cache
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": cache,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": _SANDBOX,
        "Content-Disposition": _disposition(file),
    }
    if etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    blob = await blobs_of(request, runtime).get(sha256)
    if blob is None:
        raise ApiError(404, FILE_NOT_FOUND, f"the bytes of {sha256} are not in this server's blob store")
    return Response(blob.data, media_type=file.media_type, headers=headers)


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {part.strip().removeprefix("W/") for part in header.split(",")}


def _disposition(file: LotFile) -> str:
    """PDFs are downloaded, never shown in the site's origin; photos are shown."""
    if file.kind != DOCUMENT:
        return "inline"
    name = f"{file.label[:120]}.pdf"
    return f"attachment; filename=\"document-{file.sha256[:12]}.pdf\"; filename*=UTF-8''{quote(name, safe='')}"
