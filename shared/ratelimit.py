"""Rate limits: a token bucket per key (client address, phone number), in memory.

Per process: with several replicas each enforces its own share. Buckets that have refilled
completely are forgotten, so memory stays bounded by the number of active senders.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["RateLimiter"]


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class RateLimiter:
    """`capacity` requests, refilled evenly over `period` seconds, per key."""

    capacity: int
    period: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def allow(self, key: str) -> bool:
        """Take one token for `key`; False when its bucket is empty."""
        now = self.clock()
        rate = self.capacity / self.period
        bucket = self._buckets.get(key) or _Bucket(tokens=float(self.capacity), stamp=now)
        bucket.tokens = min(float(self.capacity), bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        self._buckets[key] = bucket
        if len(self._buckets) > 10_000:
            self._forget_full(now, rate)
        return allowed

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again."""
        bucket = self._buckets.get(key)
        if bucket is None or bucket.tokens >= 1.0:
            return 0
        return max(1, round((1.0 - bucket.tokens) * self.period / self.capacity))

    def _forget_full(self, now: float, rate: float) -> None:
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (now - b.stamp) * rate >= self.capacity
        ]
        for key in full:
            del self._buckets[key]
