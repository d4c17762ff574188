"""Console sessions: an HMAC-signed cookie holding only the role, the OPD and a random id.

The staff token itself never goes into the cookie. Every form carries a CSRF token that is
an HMAC of the session's random id, so it is tied to that session; signing in issues a new
id (no session fixation). Without a configured secret, the key is random per process: the
sessions then end when the service restarts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.routing.auth import Principal, Role

__all__ = ["COOKIE_NAME", "Session", "SessionSigner"]

COOKIE_NAME = "lapor_konsol"
SIGNED_IN_FOR = timedelta(hours=10)  # one working day, then sign in again
SIGNED_OUT_FOR = timedelta(hours=2)  # a sign-in form left open
_MAX_COOKIE_CHARS = 512


@dataclass(frozen=True)
class Session:
    """A browser's session: anonymous (only a CSRF id) or signed in as a principal."""

    sid: str
    expires: datetime
    principal: Principal | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Signs and checks session cookies and CSRF tokens with keys derived from one secret."""

    def __init__(self, secret: str | None = None) -> None:
        root = secret.encode("utf-8") if secret else secrets.token_bytes(32)
        self._cookie_key = hmac.new(root, b"lapor konsol session v1", hashlib.sha256).digest()
        self._csrf_key = hmac.new(root, b"lapor konsol csrf v1", hashlib.sha256).digest()

    def new(self, *, now: datetime, principal: Principal | None = None) -> Session:
        """A fresh session (fresh id), signed in when `principal` is given."""
        lifetime = SIGNED_IN_FOR if principal else SIGNED_OUT_FOR
        return Session(sid=secrets.token_urlsafe(18), expires=now + lifetime, principal=principal)

    def dump(self, session: Session) -> str:
        """The cookie value: payload and signature, both base64url."""
        who = session.principal
        payload = {
            "s": session.sid,
            "e": int(session.expires.timestamp()),
            "r": who.role.value if who else None,
            "o": who.opd if who else None,
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def load(self, value: str | None, *, now: datetime) -> Session | None:
        """The session in a cookie, or None when absent, forged, malformed or expired."""
        if not value or len(value) > _MAX_COOKIE_CHARS or value.count(".") != 1:
            return None
        body, signature = value.split(".")
        if not hmac.compare_digest(self._sign(body).encode(), signature.encode()):
            return None
        try:
            payload = json.loads(_unb64(body))
            session = _session_of(payload, tz_of=now)
        except (ValueError, TypeError, KeyError, binascii.Error):
            return None
        return session if session.expires > now else None

    def csrf_token(self, session: Session) -> str:
        """The token every form of this session carries."""
        return hmac.new(self._csrf_key, session.sid.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, session: Session, token: str | None) -> bool:
        """Whether a posted token belongs to this session."""
        return bool(token) and hmac.compare_digest(
            self.csrf_token(session).encode(), (token or "").encode()
        )

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._cookie_key, body.encode(), hashlib.sha256).digest())


def _session_of(payload: dict[str, object], *, tz_of: datetime) -> Session:
    sid, expires, role, opd = payload["s"], payload["e"], payload["r"], payload["o"]
    if not isinstance(sid, str) or not isinstance(expires, int):
        raise ValueError("malformed session")
    principal = None
    if isinstance(role, str):
        principal = Principal(role=Role(role), opd=opd if isinstance(opd, str) else None)
    elif role is not None:
        raise ValueError("malformed role")
        if (principal.role is Role.OPD) != (principal.opd is not None):
            raise ValueError("malformed principal")
    return Session(
        sid=sid, expires=datetime.fromtimestamp(expires, tz=tz_of.tzinfo), principal=principal
    )
