"""Riding out infrastructure outages inside a consumer instead of burning deliveries.

A handler that fails because the store (or the broker, while publishing) is unreachable
would otherwise be nacked and redelivered at once, and after `x-delivery-limit` quick
failures a perfectly good message would sit in the dead-letter queue. This middleware
retries the handler with backoff while the failure is transient, for up to `budget`
seconds; poison messages (any other exception) still go the usual way at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aio_pika.exceptions import AMQPError
from faststream import BaseMiddleware
from faststream.message import StreamMessage
from pymongo.errors import AutoReconnect, ConnectionFailure, ExecutionTimeout, WTimeoutError

__all__ = ["TRANSIENT_ERRORS", "TransientRetry"]

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    AutoReconnect,  # includes NetworkTimeout
    ConnectionFailure,  # includes ServerSelectionTimeoutError
    ExecutionTimeout,
    WTimeoutError,
    AMQPError,
    ConnectionError,
)
BUDGET_SECONDS = 180.0


class TransientRetry(BaseMiddleware):
    """Retry a handler while the store or broker is away (bounded by a time budget)."""

    async def consume_scope(self, call_next: Any, msg: StreamMessage[Any]) -> Any:
        deadline = time.monotonic() + BUDGET_SECONDS
        delay = 0.5
        while True:
            try:
                return await call_next(msg)
            except TRANSIENT_ERRORS as exc:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("handler hit %s; retrying in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(10.0, delay * 2)
