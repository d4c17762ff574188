"""Delayed retries that never block a consumer: TTL wait queues, then back to the queue.

A consumer that hits a temporary failure (the SMTP server or SMS gateway is down) acks the
message and republishes it to `lapor.retry` with routing key = its backoff level; that
level's wait queue holds it (per-message expiration: exponential backoff with jitter) and
dead-letters it into `lapor.retry.back`, a headers exchange that routes it back to the
queue named in its `lapor-retry-target` header. After the last attempt the message is rejected
into the consumer's dead-letter queue, where it stays visible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.rabbit.message import RabbitMessage

from shared.messaging.topology import declare_queue

__all__ = [
    "ATTEMPT_HEADER",
    "RETRY",
    "RETRY_BACK",
    "TARGET_HEADER",
    "RetryPolicy",
    "attempt_of",
    "declare_retry_topology",
    "schedule_retry",
]

RETRY = RabbitExchange("lapor.retry", type=ExchangeType.DIRECT, durable=True)
RETRY_BACK = RabbitExchange("lapor.retry.back", type=ExchangeType.HEADERS, durable=True)
ATTEMPT_HEADER = "lapor-attempt"
TARGET_HEADER = "lapor-retry-target"  # not x-: headers exchanges ignore x- keys
_LEVEL_CAPS = (10, 60, 300, 1800, 7200)  # seconds each wait queue holds at most


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped; `max_attempts` deliveries in all."""

    base_seconds: float = 5.0
    max_seconds: float = 1800.0
    max_attempts: int = 12

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
        raw = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        jitter: float = random.uniform(0.5, 1.0)
        return float(raw) * jitter


def _level_for(delay: float) -> int:
    for level, cap in enumerate(_LEVEL_CAPS):
        if delay <= cap:
            return level
    return len(_LEVEL_CAPS) - 1


def _wait_queue(level: int) -> RabbitQueue:
    return RabbitQueue(
        f"lapor.retry.wait.{level}",
        durable=True,
        routing_key=str(level),
        arguments={
            "x-message-ttl": _LEVEL_CAPS[level] * 1000,
            "x-dead-letter-exchange": RETRY_BACK.name,
        },
    )


async def declare_retry_topology(broker: RabbitBroker, *, targets: list[RabbitQueue]) -> None:
    """Declare the wait queues and route each target queue's retries back to it."""
    retry = await broker.declare_exchange(RETRY)
    back = await broker.declare_exchange(RETRY_BACK)
    for level in range(len(_LEVEL_CAPS)):
        queue = await broker.declare_queue(_wait_queue(level))
        await queue.bind(retry, routing_key=str(level))
    for queue_def in targets:
        target = await declare_queue(broker, queue_def)
        await target.bind(back, arguments={"x-match": "all", TARGET_HEADER: queue_def.name})


def attempt_of(message: RabbitMessage) -> int:
    """Which delivery attempt this is (1 for the first)."""
    value = (message.headers or {}).get(ATTEMPT_HEADER, 1)
    try:
        return max(1, int(str(value)))
    except ValueError:
        return 1


async def schedule_retry(
    broker: RabbitBroker,
    *,
    message: RabbitMessage,
    target: str,
    policy: RetryPolicy,
    counted: bool = True,
) -> bool:
    """Republish for a later attempt; False when the attempts are used up. Not `counted`:
    a look again after the current attempt's delay, keeping its number (the caller bounds
    how often that happens)."""
    attempt = attempt_of(message)
    if counted and attempt >= policy.max_attempts:
        return False
    delay = policy.delay(attempt)
    following = attempt + 1 if counted else attempt
    headers = {**(message.headers or {}), ATTEMPT_HEADER: following, TARGET_HEADER: target}
    await broker.publish(
        message.body,
        exchange=RETRY,
        routing_key=str(_level_for(delay)),
        headers=headers,
        persist=True,
        expiration=delay,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        message_type=message.raw_message.type,
        content_type=message.content_type,
    )
    return True
