"""Files for the upload tests, made here: photos with metadata (a GPS position), PDFs, image bombs."""

from __future__ import annotations

import io

from PIL import ExifTags, Image

# Where the camera was: the Alexander Nevsky Cathedral, Sofia (degrees, minutes, seconds).
GPS = {1: "N", 2: (42.0, 41.0, 44.0), 3: "E", 4: (23.0, 19.0, 57.0)}
CAMERA = "ACME Spycam 3000"


def photo_with_gps(size: tuple[int, int] = (1600, 1200), kind: str = "JPEG", orientation: int = 6) -> bytes:
    """A photo whose EXIF holds the camera, an orientation (6: turn a quarter clockwise) and a
    GPS position, and a comment."""
    image = Image.new("RGB", size, (180, 40, 40))
    for x in range(0, size[0], 50):  # something to encode, not one flat colour
        image.paste((20, 120, 200), (x, 0, x + 10, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    extra = {"comment": b"taken at the debtor's home"} if kind == "JPEG" else {}
    image.save(out, kind, exif=exif, **extra)
    return out.getvalue()


def png(size: tuple[int, int] = (400, 300), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 128).save(out, "PNG")
    return out.getvalue()


def image_bomb(side: int = 10_000) -> bytes:
    """A PNG of ``side``² pixels of one colour: a few kilobytes that decode into 100 megabytes."""
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def pdf(text: str = "Valuation report") -> bytes:
    """A small, well-formed one-page PDF (its cross-reference offsets computed)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
