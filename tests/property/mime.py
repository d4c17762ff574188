"""Generated mail as raw bytes: random headers, nested multiparts, wrong charsets, broken
base64 and quoted-printable, images large and small, hostile file names."""

from __future__ import annotations

import base64
import quopri
from email.header import Header

from hypothesis import strategies as st

from tests.property.strategies import any_text

__all__ = ["LPR_REFERENCE", "SANE_SENDERS", "mails", "senders"]

LPR_REFERENCE = "<LPR-261128-7QK2M.diterima@lapor.test>"
# Well-formed and merely unusual From headers (the malformed ones have their own tests).
SANE_SENDERS = (
    "budi@contoh.id",
    "Budi Santoso <budi@contoh.id>",
    '"Santoso, Budi" <Budi.Santoso@Contoh.ID>',
    "<warga@desa.lingga.go.id>",
    "=?utf-8?b?U2l0aSDwn5iA?= <siti@contoh.id>",
    "=?iso-8859-1?q?Andr=E9?= <andre@contoh.id>",
    "=?x-unknown?q?Nama?= <nama@contoh.id>",
    "Mailer-Daemon <MAILER-DAEMON@mx.contoh.id>",
    "noreply@bank.example",
    "pengaduan@lapor.test",
    "undisclosed-recipients:;",
    "bukan alamat",
    "",
)
_CHARSETS = (
    "utf-8",
    "utf-8",
    "UTF-8",
    "iso-8859-1",
    "windows-1252",
    "us-ascii",
    "utf-16",
    "gb2312",
    "x-unknown",
    "",
    '"utf-8',
    "utf-7",
)
_ENCODINGS = ("7bit", "8bit", "binary", "base64", "quoted-printable", "x-bogus", "")
_LEAF_TYPES = (
    "text/plain",
    "text/plain",
    "text/plain",
    "text/html",
    "TEXT/PLAIN",
    "image/png",
    "image/jpeg",
    "image/gif",
    "application/octet-stream",
    "text/calendar",
    "message/delivery-status",
    "",
)
_FILENAMES = (
    None,
    "foto.jpg",
    "../../etc/passwd",
    "foto jalan rusak 😡.png",
    "x" * 500 + ".png",
    "=?utf-8?b?Zm90bw==?=.jpg",
    "a\x00b.png",
)
_OPENINGS = (
    "Lampu jalan di Daik mati sejak sebulan. ",
    "NILAI 4\n",
    "LPR-261128-7QK2M sampai sekarang belum diperbaiki\n",
    "> On Mon, Budi wrote:\n> kutipan\n",
    "",
)
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff\xe0"


def senders() -> st.SearchStrategy[str]:
    """A From header value that is well formed or merely unusual."""
    display = any_text(max_size=30).map(lambda s: Header(s, "utf-8").encode())
    address = st.sampled_from(["warga@contoh.id", "RT.05@desa.example", "x@y.co"])
    built = st.tuples(display, address).map(lambda p: f"{p[0]} <{p[1]}>")
    return st.one_of(st.sampled_from(SANE_SENDERS), built)


def _encode(data: bytes, encoding: str, *, broken: bool) -> bytes:
    if encoding == "base64":
        encoded = base64.encodebytes(data)
        return encoded[: len(encoded) // 2] + b"!!*==\r\nnot base64" if broken else encoded
    if encoding == "quoted-printable":
        encoded = quopri.encodestring(data)
        return encoded + b"=ZZ=\r\n=4" if broken else encoded
    return data


@st.composite
def _leaf(draw: st.DrawFn, *, max_bytes: int) -> bytes:
    content_type = draw(st.sampled_from(_LEAF_TYPES))
    charset = draw(st.sampled_from(_CHARSETS))
    encoding = draw(st.sampled_from(_ENCODINGS))
    if content_type.lower().startswith("image/"):
        magic = _PNG if content_type.endswith("png") else _JPEG
        size = draw(st.sampled_from([0, 1, 100, max_bytes, max_bytes + 1]))
        data = (magic + draw(st.binary(max_size=64)) * (size // 64 + 1))[:size]
    else:
        opening = draw(st.sampled_from(_OPENINGS))
        text = opening + draw(any_text(max_size=300))
        if content_type.endswith("html"):
            text = f"<html><body><p>{text}</p><script>{text}</script></body></html>"
        codec = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))  # may not be `charset`
        data = text.encode(codec, "replace")
    headers = f"Content-Type: {content_type}"
    headers += f"; charset={charset}" if charset else ""
    headers += f"\r\nContent-Transfer-Encoding: {encoding}" if encoding else ""
    filename = draw(st.sampled_from(_FILENAMES))
    if filename is not None:
        headers += f'\r\nContent-Disposition: attachment; filename="{filename}"'
    body = _encode(data, encoding, broken=draw(st.booleans()))
    return headers.encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body


@st.composite
def _part(draw: st.DrawFn, *, depth: int, max_bytes: int) -> bytes:
    if depth == 0 or not draw(st.booleans()):
        return draw(_leaf(max_bytes=max_bytes))
    subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "digest"]))
    boundary = draw(st.sampled_from(["b1", "==b2==", "x" * 70, "b 3"])) + str(depth)
    children = draw(st.lists(_part(depth=depth - 1, max_bytes=max_bytes), max_size=4))
    closed = draw(st.booleans())
    delimiter = f"--{boundary}".encode()
    body = b"preamble\r\n" + b"".join(delimiter + b"\r\n" + c + b"\r\n" for c in children)
    body += delimiter + b"--\r\nepilogue" if closed else b""
    header = f'Content-Type: multipart/{subtype}; boundary="{boundary}"'
    return header.encode() + b"\r\n\r\n" + body


@st.composite
def mails(draw: st.DrawFn, *, max_bytes: int = 4096) -> bytes:
    """One raw message: top headers, then a body that may nest multiparts three deep."""
    headers = {
        "From": draw(senders()),
        "To": "pengaduan@lapor.test",
        "Subject": draw(
            st.one_of(
                any_text(max_size=120).map(lambda s: Header(s, "utf-8").encode()),
                any_text(max_size=120),
                st.sampled_from(
                    [
                        "Re: [LPR-261128-7QK2M] jalan rusak",
                        "=?utf-8?b?broken base64?=",
                        "=?x-unknown?q?Caf=E9?=",
                        "NILAI 5",
                    ]
                ),
            )
        ),
        "Message-ID": draw(st.sampled_from(["<m1@contoh.id>", "", "<>", "no brackets", "<a@b>"])),
        "MIME-Version": draw(st.sampled_from(["1.0", "", "2.0"])),
    }
    optional = {
        "In-Reply-To": st.sampled_from([LPR_REFERENCE, "<x@y>", "garbage <<"]),
        "References": st.sampled_from([LPR_REFERENCE, f"<a@b> {LPR_REFERENCE}", "(("]),
        "Auto-Submitted": st.sampled_from(["auto-replied", "no", "=?utf-8?q?x?="]),
        "Precedence": st.sampled_from(["bulk", "list", "junk", "first-class"]),
        "List-Id": st.just("<warga.lists.example>"),
        "X-Loop": st.just("pengaduan@lapor.test"),
        "Date": st.sampled_from(["Sat, 28 Nov 2026 10:00:00 +0700", "yesterday", ""]),
    }
    for name, values in optional.items():
        if draw(st.sampled_from([False] * 5 + [True])):
            headers[name] = draw(values)
    top = "".join(f"{name}: {value}\r\n" for name, value in headers.items() if value != "")
    encoding = draw(st.sampled_from(["utf-8", "latin-1"]))  # raw 8-bit headers either way
    return top.encode(encoding, "replace") + draw(_part(depth=3, max_bytes=max_bytes))
