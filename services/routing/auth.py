"""Staff authentication: per-role bearer tokens, kept only as SHA-256 digests.

One token for the Admin Koordinator (operator), one per OPD. Comparison is constant-time
over every known digest, so neither timing nor early exit tells a guesser anything.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Principal", "Role", "TokenBook"]


class Role(StrEnum):
    """What a token may do."""

    OPERATOR = "operator"
    OPD = "opd"


@dataclass(frozen=True)
class Principal:
    """An authenticated staff member (a role, not a person: tokens are per role)."""

    role: Role
    opd: str | None = None

    @property
    def name(self) -> str:
        """How the audit trail names this principal."""
        return "operator" if self.role is Role.OPERATOR else f"opd:{self.opd}"

    def may_act_for(self, opd: str | None) -> bool:
        """Operators act on every case; an OPD only on its own."""
        return self.role is Role.OPERATOR or (opd is not None and opd == self.opd)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class TokenBook:
    """Maps token digests to principals."""

    def __init__(self, tokens: dict[str, Principal]) -> None:
        self._entries = [(_digest(token), principal) for token, principal in tokens.items()]

    def authenticate(self, token: str) -> Principal | None:
        """The principal for a presented token, or None."""
        presented = _digest(token)
        found: Principal | None = None
        for digest, principal in self._entries:
            if hmac.compare_digest(presented, digest):
                found = principal
        return found
