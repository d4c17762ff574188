"""The staff console under `/konsol`: server-rendered pages over the same use cases as the API.

Entrypoint code only: it reads the session cookie and the form, checks the CSRF token, and
calls `CaseWork` (the same calls as `services.routing.api`); the use cases decide who may
see and do what, and hide an anonim reporter.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from pymongo.errors import PyMongoError
from starlette.responses import RedirectResponse, Response

from services.routing.auth import Principal, Role, TokenBook
from services.routing.casework import CaseWork
from services.routing.console.forms import ACTIONS, ActionForm, FormRejected, read_form
from services.routing.console.rendering import NO_STORE, SECURITY_HEADERS, Pages
from services.routing.console.session import COOKIE_NAME, Session, SessionSigner
from services.routing.console.throttle import FailedSignIns
from services.routing.ports import CaseNotFound, Forbidden, InvalidTransition, UnknownAgency
from services.routing.views import CaseSummary, CaseView
from shared.contracts.types import STATUS_LABELS, Status
from shared.directory import Directory

__all__ = ["PREFIX", "Console", "Urgency", "available_actions", "console_routes"]

log = logging.getLogger(__name__)

PREFIX = "/konsol"
DUE_SOON = timedelta(hours=24)
TRACKING_ID = re.compile(r"LPR-[0-9]{6}-[0-9A-Z]{4,8}")
_OPD_CODE = re.compile(r"[A-Za-z0-9]{2,20}")
_ASSIGNED = frozenset({Status.DIDISPOSISIKAN, Status.DITERUSKAN, Status.DITINDAKLANJUTI})
_UNVERIFIED = frozenset({Status.BELUM_TERVERIFIKASI})


class Urgency(StrEnum):
    """How close a case is to its deadline (shown as text, not only as colour)."""

    OVERDUE = "terlambat"
    DUE_SOON = "segera"


@dataclass(frozen=True)
class Line:
    """One case in a queue, with its urgency."""

    case: CaseSummary
    urgency: Urgency | None


def urgency_of(case: CaseSummary, now: datetime) -> Urgency | None:
    """Overdue, due within 24 hours, or neither."""
    if case.overdue:
        return Urgency.OVERDUE
    if case.next_deadline is not None and case.next_deadline - now <= DUE_SOON:
        return Urgency.DUE_SOON
    return None


def available_actions(who: Principal, status: Status) -> frozenset[str]:
    """The forms worth showing (the use cases still decide, with a 409 page if refused)."""
    if who.role is Role.OPERATOR:
        allowed = {
            "disposisi": _UNVERIFIED | _ASSIGNED,
            "tunda": _UNVERIFIED | _ASSIGNED,
            "lanjutkan": {Status.TUNDA},
            "arsip": _UNVERIFIED | {Status.TUNDA, Status.SELESAI},
            "selesai": _ASSIGNED,
        }
    else:
        allowed = {
            "tindak-lanjut": _ASSIGNED,
            "selesai": _ASSIGNED,
            "bukan-wewenang": {Status.DIDISPOSISIKAN, Status.DITERUSKAN},
        }
    return frozenset(slug for slug, statuses in allowed.items() if status in statuses)


def _safe_next(value: str | None) -> str | None:
    """Only a path inside the console (no open redirect)."""
    if not value or not value.startswith(f"{PREFIX}/") or "//" in value or "\\" in value:
        return None
    return value if value.isprintable() and len(value) < 300 else None


@dataclass
class Console:
    """The console's pages; one instance per app."""

    work: CaseWork
    tokens: TokenBook
    directory: Directory
    pages: Pages
    sessions: SessionSigner
    failed_sign_ins: FailedSignIns
    https_only: bool = False
    refresh_seconds: int = 10

    # --- signing in and out ---------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        """Each role's start page."""
        session = self._staff(request)
        if session is None or session.principal is None:
            return self._redirect(f"{PREFIX}/masuk")
        return self._redirect(self._start_of(session.principal))

    async def sign_in_page(self, request: Request) -> Response:
        """The sign-in form (with a fresh anonymous session for its CSRF token)."""
        session = self._session(request)
        if session is not None and session.principal is not None:
            if self._still_valid(session.principal):
                return self._redirect(self._start_of(session.principal))
            session = None  # an OPD no longer in the directory: start afresh
        fresh = session is None
        session = session or self.sessions.new(now=self._now())
        response = self._sign_in_form(
            session,
            signed_out="keluar" in request.query_params,
            next_url=_safe_next(request.query_params.get("lanjut")),
        )
        if fresh:
            self._set_cookie(request, response, session)
        return response

    async def sign_in(self, request: Request) -> Response:
        """Check the token; on success a new signed-in session with a new id."""
        session = self._session(request)
        posted, refused = await self._posted(request, session)
        if refused is not None or session is None:
            return refused or self._problem(session, 403, "csrf")
        next_url = _safe_next(posted.get("lanjut"))
        client = request.client.host if request.client else "unknown"
        if self.failed_sign_ins.blocked(client):
            log.warning("console sign-in throttled")
            error = "Terlalu banyak percobaan yang gagal. Tunggu beberapa menit, lalu coba lagi."
            return self._sign_in_form(session, error=error, next_url=next_url, status_code=429)
        principal = self.tokens.authenticate(posted.get("token", "").strip())
        if principal is None or not self._still_valid(principal):
            self.failed_sign_ins.failed(client)
            log.info("console sign-in refused")
            error = "Token akses tidak dikenali. Periksa kembali token Anda."
            return self._sign_in_form(session, error=error, next_url=next_url, status_code=401)
        log.info("console sign-in", extra={"actor": principal.name})
        signed_in = self.sessions.new(now=self._now(), principal=principal)
        response = self._redirect(next_url or self._start_of(principal))
        self._set_cookie(request, response, signed_in)
        return response

    async def sign_out(self, request: Request) -> Response:
        """End the session (the cookie is cleared)."""
        session = self._session(request)
        _, refused = await self._posted(request, session)
        if refused is not None:
            return refused
        response = self._redirect(f"{PREFIX}/masuk?keluar=1")
        response.delete_cookie(
            COOKIE_NAME, path=PREFIX, httponly=True, samesite="strict", secure=self._secure(request)
        )
        return response

    # --- queues ---------------------------------------------------------------------------
    async def verification_page(self, request: Request) -> Response:
        """The operator's verification queue."""
        return await self._queue_page(
            request, lambda who: self.work.verification_queue(principal=who), "verifikasi"
        )

    async def verification_fragment(self, request: Request) -> Response:
        """The verification queue's list alone, for the periodic refresh."""
        return await self._queue_fragment(
            request, lambda who: self.work.verification_queue(principal=who), "verifikasi"
        )

    async def opd_choice(self, request: Request) -> Response:
        """`/konsol/opd?kode=` goes to that OPD's queue; an OPD goes to its own."""
        session = self._staff(request)
        if session is None or session.principal is None:
            return self._to_sign_in(request)
        code = session.principal.opd or request.query_params.get("kode", "")
        if not _OPD_CODE.fullmatch(code):
            return self._redirect(f"{PREFIX}/verifikasi")
        return self._redirect(f"{PREFIX}/opd/{code.upper()}")

    async def opd_page(self, request: Request, code: str) -> Response:
        """An OPD's open cases, soonest deadline first."""
        opd = code.upper()
        return await self._queue_page(
            request, lambda who: self.work.assignments(principal=who, opd=opd), "opd", opd=opd
        )

    async def opd_fragment(self, request: Request, code: str) -> Response:
        """An OPD's list alone, for the periodic refresh."""
        opd = code.upper()
        return await self._queue_fragment(
            request, lambda who: self.work.assignments(principal=who, opd=opd), "opd", opd=opd
        )

    async def search(self, request: Request) -> Response:
        """Find a case by its tracking ID."""
        session = self._staff(request)
        if session is None:
            return self._to_sign_in(request)
        asked = request.query_params.get("id", "").strip().upper()
        if not TRACKING_ID.fullmatch(asked):
            return self._problem(session, 422, "bad_id", asked=asked[:40])
        return self._redirect(f"{PREFIX}/laporan/{asked}")

    # --- one case -------------------------------------------------------------------------
    async def case_page(self, request: Request, tracking_id: str) -> Response:
        """One case: what was reported, by whom (unless anonim), its history and the actions."""
        session = self._staff(request)
        if session is None or session.principal is None:
            return self._to_sign_in(request)
        who = session.principal
        found = tracking_id.upper()
        if not TRACKING_ID.fullmatch(found):
            return self._problem(session, 404, "not_found", asked=tracking_id[:40])
        done = ACTIONS.get(request.query_params.get("hasil", ""))

        async def show() -> Response:
            case = await self.work.case_detail(principal=who, tracking_id=found)
            return self._case(session, case, notice=done.done if done else None)

        return await self._guarded(session, show, tracking_id=found)

    async def act(self, request: Request, tracking_id: str, action: str) -> Response:
        """Run one action from a case page's form, then show its outcome (POST-redirect-GET)."""
        session = self._staff(request)
        form = ACTIONS.get(action)
        found = tracking_id.upper()
        if form is None or not TRACKING_ID.fullmatch(found):
            return self._problem(session, 404, "page")
        if session is None or session.principal is None:
            return self._to_sign_in(request, back=f"{PREFIX}/laporan/{found}")
        posted, refused = await self._posted(request, session)
        if refused is not None:
            return refused
        who = session.principal
        values, errors = form.check(posted)
        if form.slug == "disposisi" and values["disposisi-opd"] not in self.directory:
            errors.setdefault("disposisi-opd", "Pilih OPD tujuan dari daftar.")

        async def run() -> Response:
            if errors:
                case = await self.work.case_detail(principal=who, tracking_id=found)
                return self._case(session, case, values=values, errors=errors, status_code=422)
            await self._perform(who, found, form, values)
            return self._redirect(self._after(who, found, form))

        return await self._guarded(session, run, tracking_id=found)

    async def static_file(self, name: str) -> Response:
        """The console's CSS and JS."""
        return self.pages.static.response(name) or self._problem(None, 404, "page")

    # --- the use cases ----------------------------------------------------------------------
    async def _perform(
        self, who: Principal, tracking_id: str, form: ActionForm, values: dict[str, str]
    ) -> CaseView:
        def value(name: str) -> str:
            return form.value(values, name)

        ids: dict[str, Any] = {"principal": who, "tracking_id": tracking_id}
        match form.slug:
            case "disposisi":
                opd, note = value("opd").upper(), value("catatan") or None
                return await self.work.dispose(**ids, opd=opd, note=note)
            case "bukan-wewenang":
                return await self.work.reject(**ids, reason=value("alasan"))
            case "tindak-lanjut":
                return await self.work.respond(**ids, text=value("teks"))
            case "selesai":
                return await self.work.resolve(**ids, text=value("teks") or None)
            case "tunda":
                return await self.work.hold(**ids, reason=value("alasan"))
            case "lanjutkan":
                return await self.work.resume(**ids)
            case "arsip":
                return await self.work.archive(**ids, reason=value("alasan"))
        raise AssertionError(f"no use case for {form.slug}")

    def _after(self, who: Principal, tracking_id: str, form: ActionForm) -> str:
        """Where the officer lands: the case, or their queue once the case is no longer theirs."""
        if form.slug == "bukan-wewenang" and who.opd:
            return f"{PREFIX}/opd/{who.opd}?hasil={form.slug}"
        return f"{PREFIX}/laporan/{tracking_id}?hasil={form.slug}"

    async def _guarded(
        self, session: Session, call: Callable[[], Awaitable[Response]], *, tracking_id: str = ""
    ) -> Response:
        """The use cases' errors as pages: 403, 404, 409, 503."""
        try:
            return await call()
        except Forbidden:
            return self._problem(session, 403, "forbidden")
        except CaseNotFound:
            return self._problem(session, 404, "not_found", asked=tracking_id)
        except UnknownAgency:
            return self._problem(session, 404, "unknown_opd")
        except InvalidTransition as exc:
            label = STATUS_LABELS[exc.status]
            return self._problem(session, 409, "conflict", tracking_id=tracking_id, status=label)
        except PyMongoError:
            log.warning("console: store unavailable", exc_info=True)
            return self._problem(session, 503, "unavailable")

    # --- queues, shared -------------------------------------------------------------------
    async def _queue_page(
        self,
        request: Request,
        load: Callable[[Principal], Awaitable[list[CaseSummary]]],
        kind: str,
        *,
        opd: str | None = None,
    ) -> Response:
        session = self._staff(request)
        if session is None or session.principal is None:
            return self._to_sign_in(request)
        who = session.principal
        done = ACTIONS.get(request.query_params.get("hasil", ""))

        async def show() -> Response:
            context = self._queue(await load(who), kind, opd=opd)
            return self._page(
                session,
                "antrean.html",
                notice=done.done if done else None,
                agencies=self.directory.agencies,
                **context,
            )

        return await self._guarded(session, show)

    async def _queue_fragment(
        self,
        request: Request,
        load: Callable[[Principal], Awaitable[list[CaseSummary]]],
        kind: str,
        *,
        opd: str | None = None,
    ) -> Response:
        session = self._staff(request)
        if session is None or session.principal is None:
            return self._fragment("<p>Sesi berakhir. Silakan masuk lagi.</p>", 401)
        who = session.principal
        try:
            context = self._queue(await load(who), kind, opd=opd)
        except Forbidden:
            return self._fragment("<p>Tidak berwenang.</p>", 403)
        except (UnknownAgency, CaseNotFound):
            return self._fragment("<p>Tidak ditemukan.</p>", 404)
        except PyMongoError:
            return self._fragment("<p>Layanan sedang terganggu.</p>", 503)
        return self._fragment(self.pages.html("_daftar.html", **context), 200)

    def _queue(self, cases: list[CaseSummary], kind: str, *, opd: str | None) -> dict[str, Any]:
        now = self._now()
        lines = [Line(case=c, urgency=urgency_of(c, now)) for c in cases]
        fingerprint = "|".join(
            f"{line.case.model_dump_json()}:{line.urgency}" for line in lines
        ).encode()
        agency = self.directory.get(opd) if opd else None
        base = f"{PREFIX}/opd/{opd}" if opd else f"{PREFIX}/verifikasi"
        return {
            "kind": kind,
            "lines": lines,
            "opd": agency,
            "version": hashlib.sha256(fingerprint).hexdigest()[:16],
            "loaded_at": now,
            "page_url": base,
            "refresh_url": f"{base}/daftar",
            "refresh_seconds": self.refresh_seconds,
            "overdue": sum(1 for line in lines if line.urgency is Urgency.OVERDUE),
            "due_soon": sum(1 for line in lines if line.urgency is Urgency.DUE_SOON),
        }

    # --- pages ----------------------------------------------------------------------------
    def _case(
        self,
        session: Session,
        case: CaseView,
        *,
        notice: str | None = None,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        who = session.principal
        assert who is not None
        suggested = case.suggested_opd if case.status is Status.BELUM_TERVERIFIKASI else None
        return self._page(
            session,
            "laporan.html",
            status_code=status_code,
            case=case,
            notice=notice,
            urgency=urgency_of(case, self._now()),
            actions=available_actions(who, case.status),
            agencies=self.directory.agencies,
            values={"disposisi-opd": suggested or "", **(values or {})},
            errors=errors or {},
        )

    def _sign_in_form(
        self,
        session: Session,
        *,
        error: str | None = None,
        signed_out: bool = False,
        next_url: str | None = None,
        status_code: int = 200,
    ) -> Response:
        return self._page(
            session,
            "masuk.html",
            status_code=status_code,
            error=error,
            signed_out=signed_out,
            next_url=next_url or "",
        )

    def _problem(
        self, session: Session | None, status_code: int, reason: str, **context: Any
    ) -> Response:
        defaults = {"asked": "", "tracking_id": "", "status": ""}
        return self._page(
            session, "masalah.html", status_code=status_code, reason=reason, **defaults | context
        )

    def _page(
        self, session: Session | None, template: str, *, status_code: int = 200, **context: Any
    ) -> Response:
        who = session.principal if session else None
        return self.pages.render(
            template,
            status_code=status_code,
            who=who,
            csrf=self.sessions.csrf_token(session) if session else "",
            status_label=STATUS_LABELS,
            **context,
        )

    @staticmethod
    def _fragment(html: str, status_code: int) -> Response:
        headers = {**SECURITY_HEADERS, **NO_STORE}
        return Response(html, status_code=status_code, media_type="text/html", headers=headers)

    # --- requests and sessions ------------------------------------------------------------
    def _now(self) -> datetime:
        return self.work.clock()

    def _session(self, request: Request) -> Session | None:
        return self.sessions.load(request.cookies.get(COOKIE_NAME), now=self._now())

    def _staff(self, request: Request) -> Session | None:
        """The session if it is signed in as a principal that still exists."""
        session = self._session(request)
        if session is None or session.principal is None:
            return None
        return session if self._still_valid(session.principal) else None

    def _still_valid(self, principal: Principal) -> bool:
        return principal.role is Role.OPERATOR or principal.opd in self.directory

    async def _posted(
        self, request: Request, session: Session | None
    ) -> tuple[dict[str, str], Response | None]:
        """The form, or the refusal: unreadable (400/413) or without this session's token."""
        try:
            posted = await read_form(request)
        except FormRejected as exc:
            reason = "too_large" if exc.status_code == 413 else "bad_form"
            return {}, self._problem(session, exc.status_code, reason)
        if (
            session is None
            or request.headers.get("sec-fetch-site") == "cross-site"
            or not self.sessions.csrf_valid(session, posted.get("csrf"))
        ):
            log.warning("console post refused: missing or invalid CSRF token")
            return {}, self._problem(session, 403, "csrf")
        return posted, None

    def _start_of(self, principal: Principal) -> str:
        if principal.role is Role.OPERATOR:
            return f"{PREFIX}/verifikasi"
        return f"{PREFIX}/opd/{principal.opd}"

    def _to_sign_in(self, request: Request, *, back: str | None = None) -> Response:
        here = back or request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = _safe_next(here)
        suffix = f"?lanjut={quote(target, safe='/')}" if target else ""
        return self._redirect(f"{PREFIX}/masuk{suffix}")

    @staticmethod
    def _redirect(url: str) -> Response:
        return RedirectResponse(url, status_code=303, headers={**SECURITY_HEADERS, **NO_STORE})

    def _secure(self, request: Request) -> bool:
        return self.https_only or request.url.scheme == "https"

    def _set_cookie(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE_NAME,
            self.sessions.dump(session),
            httponly=True,
            samesite="strict",
            secure=self._secure(request),
            path=PREFIX,
        )


def console_routes(console: Console) -> APIRouter:
    """The console's routes under `/konsol` (not in the OpenAPI schema: they are pages)."""
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    router.add_api_route("", console.home, methods=["GET"])
    router.add_api_route("/", console.home, methods=["GET"])
    router.add_api_route("/masuk", console.sign_in_page, methods=["GET"])
    router.add_api_route("/masuk", console.sign_in, methods=["POST"])
    router.add_api_route("/keluar", console.sign_out, methods=["POST"])
    router.add_api_route("/verifikasi", console.verification_page, methods=["GET"])
    router.add_api_route("/verifikasi/daftar", console.verification_fragment, methods=["GET"])
    router.add_api_route("/opd", console.opd_choice, methods=["GET"])
    router.add_api_route("/opd/{code}", console.opd_page, methods=["GET"])
    router.add_api_route("/opd/{code}/daftar", console.opd_fragment, methods=["GET"])
    router.add_api_route("/cari", console.search, methods=["GET"])
    router.add_api_route("/laporan/{tracking_id}", console.case_page, methods=["GET"])
    router.add_api_route("/laporan/{tracking_id}/{action}", console.act, methods=["POST"])
    router.add_api_route("/static/{name}", console.static_file, methods=["GET"])
    return router
