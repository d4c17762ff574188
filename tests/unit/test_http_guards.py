"""Security headers, body limits and rate limits, as a client sees them."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from shared.http import BodySizeLimit, RateLimitByClient, SecurityHeaders
from shared.ratelimit import RateLimiter


def app_with(limiter: RateLimiter) -> httpx.AsyncClient:
    app = FastAPI()

    @app.post("/api/v1/complaints")
    async def post() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/own-csp")
    async def own() -> PlainTextResponse:
        return PlainTextResponse("x", headers={"Content-Security-Policy": "default-src 'none'"})

    app.add_middleware(SecurityHeaders)
    app.add_middleware(RateLimitByClient, limiter=limiter, paths=frozenset({"/api/v1/complaints"}))
    app.add_middleware(BodySizeLimit, max_bytes=100, overrides={"/upload": 1000})
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_every_response_carries_the_security_headers() -> None:
    client = app_with(RateLimiter(capacity=10, period=60))
    response = await client.post("/api/v1/complaints")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    # A page that sets its own policy keeps it.
    own = await client.get("/own-csp")
    assert own.headers["content-security-policy"] == "default-src 'none'"


async def test_a_client_posting_too_often_gets_429_with_retry_after() -> None:
    now = [0.0]
    client = app_with(RateLimiter(capacity=3, period=60, clock=lambda: now[0]))
    codes = [(await client.post("/api/v1/complaints")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = await client.post("/api/v1/complaints")
    assert int(limited.headers["retry-after"]) >= 1
    now[0] += 20.0  # a token back after a third of the period
    assert (await client.post("/api/v1/complaints")).status_code == 200


async def test_bodies_over_the_limit_get_413() -> None:
    client = app_with(RateLimiter(capacity=10, period=60))
    response = await client.post("/api/v1/complaints", content=b"x" * 101)
    assert response.status_code == 413


def test_the_limiter_forgets_keys_that_have_refilled() -> None:
    now = [0.0]
    limiter = RateLimiter(capacity=1, period=1, clock=lambda: now[0])
    for n in range(10_001):
        limiter.allow(f"k{n}")
    now[0] += 5
    limiter.allow("new")
    assert len(limiter._buckets) < 100
