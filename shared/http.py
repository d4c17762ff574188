"""HTTP pieces every service's web app shares: size limit, error shapes, 503 mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.ratelimit import RateLimiter

__all__ = [
    "ERROR_DESCRIPTIONS",
    "BodySizeLimit",
    "RateLimitByClient",
    "SecurityHeaders",
    "document_errors",
    "install_error_handlers",
]


class BodySizeLimit:
    """Answer 413 for bodies over `max_bytes` (or a path's own limit), by header or stream."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, overrides: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = overrides or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.overrides.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send)
            return
        seen = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _too_large(send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b'{"detail":"Isi permintaan terlalu besar"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _field_of(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI, *, unavailable: type[Exception]) -> None:
    """422 with one message per field; `unavailable` errors become 503."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: dict[str, str] = {}
        for err in exc.errors():
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            errors.setdefault(_field_of(err.get("loc", ())), message)
        return JSONResponse({"detail": "Data tidak valid", "errors": errors}, status_code=422)

    @app.exception_handler(unavailable)
    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": "Layanan sedang tidak tersedia, silakan coba lagi"},
            status_code=503,
            headers={"Retry-After": "10"},
        )


_SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds the security headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in _SECURITY_HEADERS if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class RateLimitByClient:
    """429 with Retry-After when one client address posts to `paths` too often."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, paths: frozenset[str]) -> None:
        self.app = app
        self.limiter = limiter
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and scope.get("path") in self.paths
        ):
            client = (scope.get("client") or ("unknown", 0))[0]
            if not self.limiter.allow(str(client)):
                wait = str(self.limiter.retry_after(str(client))).encode()
                body = b'{"detail":"Terlalu banyak permintaan, silakan coba lagi nanti"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 429,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"retry-after", wait),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


# --- errors in the OpenAPI document ----------------------------------------------------------
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "Every error answer: a message in Bahasa Indonesia, and for 422 one "
    "message per invalid field. Some errors add context (409: the case's current status).",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["detail"],
}
ERROR_DESCRIPTIONS = {
    401: "Token tidak valid atau tidak ada",
    403: "Tidak berwenang",
    404: "Tidak ditemukan",
    409: "Status laporan tidak mengizinkan tindakan ini",
    413: "Isi permintaan terlalu besar",
    422: "Data tidak valid",
    429: "Terlalu banyak permintaan (lihat Retry-After)",
    503: "Layanan sedang tidak tersedia (lihat Retry-After)",
}


def document_errors(app: FastAPI, errors: Mapping[str, Iterable[int]]) -> None:
    """Publish the error answers as they are: `{"detail", "errors"?}` (the `Problem` schema).

    `errors` maps "METHOD /path" (as in the OpenAPI document) to the error statuses that
    operation can answer besides 422; FastAPI's own 422 schema (`{"detail": [...]}`), which
    `install_error_handlers` replaces, is replaced in the document too.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = _PROBLEM_SCHEMA
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                responses = operation.setdefault("responses", {})
                codes = {int(c) for c in responses if c == "422"}
                codes |= set(errors.get(f"{method.upper()} {path}", ()))
                for code in sorted(codes):
                    responses[str(code)] = {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": _PROBLEM_REF}},
                    }
        text = str(schema["paths"])
        for name in ("HTTPValidationError", "ValidationError"):
            if f"/{name}'" not in text:
                schemas.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
