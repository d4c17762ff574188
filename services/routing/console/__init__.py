"""The staff console: web pages for the Admin Koordinator and OPD officers, under `/konsol`.

It sits on the same use cases as the staff API (`CaseWork`) and the same tokens
(`TokenBook`); only the way in differs (a signed session cookie and CSRF-checked forms).
"""

from __future__ import annotations

from fastapi import APIRouter

from services.routing.auth import TokenBook
from services.routing.casework import CaseWork
from services.routing.console.rendering import Pages
from services.routing.console.routes import PREFIX, Console, console_routes
from services.routing.console.session import SessionSigner
from services.routing.console.throttle import FailedSignIns
from shared.directory import Directory
from shared.settings import CommonSettings

__all__ = ["build_console_router"]


def build_console_router(
    work: CaseWork,
    tokens: TokenBook,
    *,
    directory: Directory,
    settings: CommonSettings,
    secret: str | None = None,
    refresh_seconds: int = 10,
) -> APIRouter:
    """The console's routes. Without `secret`, sessions are signed with a per-process key."""
    console = Console(
        work=work,
        tokens=tokens,
        directory=directory,
        pages=Pages.create(tz=settings.tz, directory=directory, prefix=PREFIX),
        sessions=SessionSigner(secret),
        failed_sign_ins=FailedSignIns(limit=10, window=300.0),
        https_only=settings.environment == "production",
        refresh_seconds=refresh_seconds,
    )
    return console_routes(console)
