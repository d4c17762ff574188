"""CSRF protection for the web form: a signed double-submit token bound to a cookie.

The browser gets a random id in a SameSite=Strict, HttpOnly cookie; every form carries a
nonce (the complaint's idempotency key) and `HMAC-SHA256(key, browser id | nonce)`. A post
is accepted only when the cookie, the nonce and the token agree, so another site can neither
read a valid token nor make the browser send the cookie, and the nonce cannot be swapped.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["COOKIE_NAME", "CsrfGuard", "new_nonce"]

COOKIE_NAME = "lapor_csrf"
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]{22,128}")
_PURPOSE = b"lapor web form csrf v1"


def new_nonce() -> str:
    """A fresh, unguessable form nonce."""
    return secrets.token_urlsafe(18)


def valid_nonce(nonce: str) -> bool:
    """Whether a nonce looks like one we issue (before it is used as a key)."""
    return bool(_TOKEN_CHARS.fullmatch(nonce))


class CsrfGuard:
    """Issues and checks form tokens with a key derived from the service's secret."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()

    def browser_id(self, request: Request) -> str | None:
        """The browser's id from its cookie, if it has a well-formed one."""
        value = request.cookies.get(COOKIE_NAME, "")
        return value if _TOKEN_CHARS.fullmatch(value) else None

    @staticmethod
    def new_browser_id() -> str:
        """A fresh browser id for the cookie."""
        return secrets.token_urlsafe(32)

    def token(self, *, browser_id: str, nonce: str) -> str:
        """The token a form for this browser and nonce carries."""
        message = f"{browser_id}|{nonce}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def valid(self, *, browser_id: str | None, nonce: str, token: str) -> bool:
        """Whether a posted token matches this browser's cookie and the form's nonce."""
        if browser_id is None or not valid_nonce(nonce) or not token:
            return False
        expected = self.token(browser_id=browser_id, nonce=nonce)
        return hmac.compare_digest(expected.encode(), token.encode())

    @staticmethod
    def set_cookie(response: Response, *, browser_id: str, secure: bool) -> None:
        """Give the browser its id: HttpOnly, SameSite=Strict, Secure over https."""
        response.set_cookie(
            COOKIE_NAME,
            browser_id,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/",
        )
