"""Email addresses as SMTP without SMTPUTF8 takes them: one rule for intake and notify.

Intake refuses a typed address no mail server could take (the reporter can correct it);
notify refuses to send to one that got in another way (an inbound mail's sender).
"""

from __future__ import annotations

import re

__all__ = ["ATOM", "wire_address"]

ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")  # RFC 5322 atext: needs no quoting
_LOCAL = re.compile(rf"{ATOM.pattern}(\.{ATOM.pattern})*")
_DOMAIN = re.compile(r"([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}")


def wire_address(address: str) -> str:
    """The address as SMTP without SMTPUTF8 takes it: an internationalised domain in its
    ASCII (punycode) form. ValueError for one no such server can take: a non-ASCII local
    part, or a character that does not belong in an address."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError("not an address")
    if not local.isascii():
        raise ValueError("the part before @ cannot be sent without SMTPUTF8")
    if not _LOCAL.fullmatch(local):
        raise ValueError("the part before @ is not valid")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("the domain is not a valid name") from exc
    if not _DOMAIN.fullmatch(ascii_domain):
        raise ValueError("the domain is not a valid name")
    return f"{local}@{ascii_domain}"
