"""Failed sign-ins per client, so tokens cannot be guessed quickly (successes do not count).

In memory and per process, like every limit here: with several replicas each keeps its own.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FailedSignIns"]

_MAX_CLIENTS = 10_000


@dataclass
class FailedSignIns:
    """At most `limit` failed sign-ins per `window` seconds per client."""

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def blocked(self, client: str) -> bool:
        """Whether this client has failed too often lately."""
        return len(self._recent(client)) >= self.limit

    def failed(self, client: str) -> None:
        """Count one failed attempt."""
        self._failures.setdefault(client, deque()).append(self.clock())
        if len(self._failures) > _MAX_CLIENTS:
            for key in [k for k in self._failures if not self._recent(k)]:
                del self._failures[key]

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.get(client, deque())
        cutoff = self.clock() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures
