"""Photo uploads, judged by their bytes alone (never the filename or the browser's type).

A photo is accepted when it is a structurally sound JPEG or PNG: the signature, every
segment or chunk in bounds (PNG chunk CRCs checked, the image data inflating to the size
the header promises), and a sane size in pixels. What is stored is the image itself, cleaned:
metadata that can identify a reporter (EXIF with GPS and camera serial, XMP, IPTC, comments,
PNG text chunks) is removed, the JPEG orientation is kept, and anything appended after the
image's end marker (a second file glued on, a polyglot) is dropped.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from services.intake.ports import InvalidAttachment

__all__ = ["Photo", "PhotoRejected", "inspect_photo"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8"
MAX_SIDE = 20_000
PNG_MAX_PIXELS = 50_000_000  # PNG data is inflated to check it: keep that work bounded
JPEG_MAX_PIXELS = 250_000_000

# PNG ancillary chunks that carry free text or metadata, dropped before storing.
_PNG_DROPPED = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}
# (colour type) -> (channels, allowed bit depths)
_PNG_COLOUR = {
    0: (1, {1, 2, 4, 8, 16}),
    2: (3, {8, 16}),
    3: (1, {1, 2, 4, 8}),
    4: (2, {8, 16}),
    6: (4, {8, 16}),
}
# Adam7 passes: (first column, first row, column step, row step).
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_INFLATE_STEP = 1 << 20

# JPEG start-of-frame markers (every SOFn except DHT C4, JPG C8 and DAC CC).
_JPEG_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_RST = range(0xD0, 0xD8)
_ORIENTATION_TAG = 0x0112


class PhotoRejected(InvalidAttachment):
    """Not an acceptable photo; `code` says why (too_large, not_image, damaged, too_big)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Photo:
    """An accepted photo: the cleaned bytes to store and what they are."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def inspect_photo(data: bytes, *, max_bytes: int) -> Photo:
    """The cleaned photo, or PhotoRejected. CPU-bound: call it in a worker thread."""
    if len(data) > max_bytes:
        raise PhotoRejected("too_large")
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data.startswith(JPEG_SOI + b"\xff"):
        return _jpeg(data)
    raise PhotoRejected("not_image")


# --- PNG ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _PngHeader:
    width: int
    height: int
    bits_per_pixel: int
    interlaced: bool

    def data_size(self) -> int:
        """Bytes of filtered image data the header promises."""
        if not self.interlaced:
            return self._rows(self.width, self.height)
        return sum(
            self._rows(_span(self.width, x0, dx), _span(self.height, y0, dy))
            for x0, y0, dx, dy in _ADAM7
        )

    def _rows(self, width: int, height: int) -> int:
        if width == 0 or height == 0:
            return 0
        return height * (1 + (width * self.bits_per_pixel + 7) // 8)


def _span(size: int, start: int, step: int) -> int:
    return 0 if size <= start else (size - start + step - 1) // step


def _png(data: bytes) -> Photo:
    header: _PngHeader | None = None
    kept = [PNG_SIGNATURE]
    image_data: list[bytes] = []
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise PhotoRejected("damaged")  # ended before IEND
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        body = data[pos + 8 : pos + 8 + length]
        crc = int.from_bytes(data[end - 4 : end], "big")
        if end > len(data) or not kind.isalpha() or zlib.crc32(kind + body) != crc:
            raise PhotoRejected("damaged")
        if header is None:
            header = _png_header(kind, body)
        elif kind == b"IHDR":
            raise PhotoRejected("damaged")
        if kind == b"IDAT":
            image_data.append(body)
        if kind not in _PNG_DROPPED:
            kept.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    if header is None or not image_data:
        raise PhotoRejected("damaged")
    _check_inflates(b"".join(image_data), expected=header.data_size())
    return Photo(b"".join(kept), "image/png", "png", header.width, header.height)


def _png_header(kind: bytes, body: bytes) -> _PngHeader:
    if kind != b"IHDR" or len(body) != 13:
        raise PhotoRejected("damaged")
    width = int.from_bytes(body[0:4], "big")
    height = int.from_bytes(body[4:8], "big")
    depth, colour, compression, filtering, interlace = body[8:13]
    channels, depths = _PNG_COLOUR.get(colour, (0, set()))
    if depth not in depths or compression != 0 or filtering != 0 or interlace > 1:
        raise PhotoRejected("damaged")
    _check_dimensions(width, height, max_pixels=PNG_MAX_PIXELS)
    return _PngHeader(width, height, channels * depth, interlaced=interlace == 1)


def _check_inflates(stream: bytes, *, expected: int) -> None:
    """The zlib stream is complete and holds at least the promised bytes (bounded work)."""
    inflater = zlib.decompressobj()
    produced = 0
    pending = stream
    try:
        while not inflater.eof:
            chunk = inflater.decompress(pending, _INFLATE_STEP)
            pending = inflater.unconsumed_tail
            produced += len(chunk)
            if produced > expected + _INFLATE_STEP:
                raise PhotoRejected("damaged")
            if not chunk and not pending:
                raise PhotoRejected("damaged")  # the stream is cut short
    except zlib.error as exc:
        raise PhotoRejected("damaged") from exc
    if produced < expected:
        raise PhotoRejected("damaged")


# --- JPEG ---------------------------------------------------------------------------------
def _jpeg(data: bytes) -> Photo:
    kept: list[bytes] = [JPEG_SOI]
    size: tuple[int, int] | None = None
    orientation: int | None = None
    scanned = False
    pos = len(JPEG_SOI)
    while True:
        marker, pos = _next_marker(data, pos)
        if marker == 0xD9:  # EOI: what follows (thumbnails, trailers, other files) is dropped
            break
        if marker in _JPEG_RST or marker == 0x01:
            continue
        if marker in (0x00, 0xD8) or pos + 2 > len(data):
            raise PhotoRejected("damaged")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > len(data):
            raise PhotoRejected("damaged")
        body = data[pos + 2 : pos + length]
        segment = data[pos - 2 : pos + length]
        pos += length
        if marker in _JPEG_SOF:
            size = _jpeg_frame_size(body)
        elif marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            orientation = _exif_orientation(body[6:]) or orientation
        if _keep_jpeg_segment(marker, body):
            kept.append(segment)
        if marker == 0xDA:  # SOS: entropy-coded data up to the next real marker
            if size is None:
                raise PhotoRejected("damaged")
            scanned = True
            end = _end_of_scan(data, pos)
            kept.append(data[pos:end])
            pos = end
    if size is None or not scanned:
        raise PhotoRejected("damaged")
    if orientation is not None and orientation != 1:
        kept.insert(_after_jfif(kept), _orientation_segment(orientation))
    kept.append(b"\xff\xd9")
    return Photo(b"".join(kept), "image/jpeg", "jpg", size[0], size[1])


def _next_marker(data: bytes, pos: int) -> tuple[int, int]:
    """The marker at `pos` (fill bytes skipped) and the position after it."""
    if pos >= len(data) or data[pos] != 0xFF:
        raise PhotoRejected("damaged")
    while pos < len(data) and data[pos] == 0xFF:
        pos += 1
    if pos >= len(data):
        raise PhotoRejected("damaged")
    return data[pos], pos + 1


def _end_of_scan(data: bytes, pos: int) -> int:
    """Where the entropy-coded segment starting at `pos` ends (the 0xFF of a marker)."""
    while True:
        found = data.find(b"\xff", pos)
        if found < 0 or found + 1 >= len(data):
            raise PhotoRejected("damaged")  # no end-of-image marker
        following = data[found + 1]
        if following == 0x00 or following in _JPEG_RST or following == 0xFF:
            pos = found + 1 if following == 0xFF else found + 2
            continue
        return found


def _jpeg_frame_size(body: bytes) -> tuple[int, int]:
    if len(body) < 6:
        raise PhotoRejected("damaged")
    height = int.from_bytes(body[1:3], "big")
    width = int.from_bytes(body[3:5], "big")
    _check_dimensions(width, height, max_pixels=JPEG_MAX_PIXELS)
    return width, height


def _keep_jpeg_segment(marker: int, body: bytes) -> bool:
    """Image-coding segments stay; metadata that may identify a person goes."""
    if marker == 0xFE:  # comment
        return False
    if 0xE0 <= marker <= 0xEF:
        return (
            (marker == 0xE0 and body.startswith(b"JFIF\x00"))
            or (marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00"))
            or (marker == 0xEE and body.startswith(b"Adobe"))
        )
    return True


def _exif_orientation(tiff: bytes) -> int | None:
    """The orientation tag of EXIF's first IFD (1-8), if present and well-formed."""
    if tiff[:2] not in (b"II", b"MM") or len(tiff) < 8:
        return None
    little = tiff[:2] == b"II"

    def number(start: int, size: int) -> int:
        return int.from_bytes(tiff[start : start + size], "little" if little else "big")

    if number(2, 2) != 42:
        return None
    ifd = number(4, 4)
    if ifd + 2 > len(tiff):
        return None
    for index in range(min(number(ifd, 2), 1024)):
        entry = ifd + 2 + 12 * index
        if entry + 12 > len(tiff):
            return None
        if number(entry, 2) == _ORIENTATION_TAG and number(entry + 2, 2) == 3:
            value = number(entry + 8, 2)
            return value if 1 <= value <= 8 else None
    return None


def _orientation_segment(orientation: int) -> bytes:
    """A minimal EXIF APP1 segment carrying only the orientation."""
    entry = _ORIENTATION_TAG.to_bytes(2, "big") + (3).to_bytes(2, "big") + (1).to_bytes(4, "big")
    entry += orientation.to_bytes(2, "big") + b"\x00\x00"
    tiff = b"MM\x00\x2a" + (8).to_bytes(4, "big") + (1).to_bytes(2, "big") + entry + bytes(4)
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body


def _after_jfif(kept: list[bytes]) -> int:
    """Where an EXIF segment goes: after SOI, and after JFIF's APP0 if there is one."""
    return 2 if len(kept) > 1 and kept[1].startswith(b"\xff\xe0") else 1


def _check_dimensions(width: int, height: int, *, max_pixels: int) -> None:
    if width == 0 or height == 0:
        raise PhotoRejected("damaged")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > max_pixels:
        raise PhotoRejected("too_big")
