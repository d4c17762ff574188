"""The citizen-facing web pages of intake: the complaint form, its confirmation, cek status.

Entrypoint code only: it reads the form, checks the CSRF token and the photo, and calls the
same use case as the JSON API (`IntakeService.receive`, keyed by the form's nonce).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.responses import RedirectResponse, Response

from services.intake.intents import Intent, NewComplaint
from services.intake.model import Submission
from services.intake.ports import AttachmentStore, Unavailable
from services.intake.service import IntakeService, Outcome
from services.intake.settings import IntakeSettings
from services.intake.tracking import TRACKING_ID_PATTERN
from services.intake.web.csrf import CsrfGuard, new_nonce
from services.intake.web.forms import (
    PHOTO_MESSAGES,
    CleanForm,
    FormInput,
    ordered_errors,
    validate_form,
)
from services.intake.web.images import Photo, PhotoRejected, inspect_photo
from services.intake.web.rendering import Pages
from services.intake.web.wilayah import Wilayah, load_wilayah
from shared.contracts.types import Channel, Stage
from shared.store.complaints import Attachment, Reporter

__all__ = ["WebForm", "build_web_router", "problem_page_html"]

log = logging.getLogger(__name__)

SITE_NAME = "Layanan Pengaduan Masyarakat Kabupaten Lingga"
STAGE_LABELS = {
    Stage.VERIFICATION: "Batas waktu verifikasi",
    Stage.FOLLOW_UP: "Batas waktu tindak lanjut oleh instansi",
    Stage.COMPLETION: "Batas waktu penyelesaian",
    Stage.AUTO_CLOSE: "Laporan ditutup otomatis pada",
}


def _normalise_tracking_id(value: str) -> str | None:
    tracking_id = value.strip().upper()
    return tracking_id if TRACKING_ID_PATTERN.fullmatch(tracking_id) else None


def _megabytes(size: int) -> str:
    """5242880 -> "5"; 2621440 -> "2,5" (Indonesian decimal comma)."""
    value = round(size / (1024 * 1024), 1)
    return f"{value:g}".replace(".", ",")


@dataclass
class WebForm:
    """The pages and what they need; one instance per app."""

    service: IntakeService
    attachments: AttachmentStore
    pages: Pages
    csrf: CsrfGuard
    wilayah: Wilayah
    max_text_chars: int
    max_photo_bytes: int
    phone_region: str
    https_only: bool
    verification_days: int = 3
    follow_up_days: int = 5

    # --- the form ------------------------------------------------------------------------
    async def form_page(self, request: Request) -> Response:
        """A blank form with a fresh nonce (the browser's cookie is set if it has none)."""
        browser_id = self.csrf.browser_id(request)
        fresh = browser_id is None
        browser_id = browser_id or self.csrf.new_browser_id()
        response = self._form(FormInput(nonce=new_nonce()), browser_id=browser_id)
        if fresh:
            self.csrf.set_cookie(response, browser_id=browser_id, secure=self._secure(request))
        return response

    async def submit(self, request: Request) -> Response:
        """Validate, then accept once per nonce; redirect to the confirmation."""
        posted = await self._read(request)
        if posted is None:
            return self._problem(400, "bad_form")
        data, upload = posted
        browser_id = self.csrf.browser_id(request)
        if browser_id is None or not self.csrf.valid(
            browser_id=browser_id, nonce=data.nonce, token=data.csrf_token
        ):
            log.warning("web form post refused: missing or invalid CSRF token")
            return self._problem(403, "csrf")
        clean, photo, errors = await self._check(data, upload)
        if clean is None or errors:
            return self._form(
                data, browser_id=browser_id, errors=errors, photo_dropped=photo is not None
            )
        try:
            outcome = await self._receive(clean, photo, nonce=data.nonce)
        except Unavailable:
            log.warning("web form submission deferred: store or broker unavailable")
            return self._form(
                data, browser_id=browser_id, photo_dropped=photo is not None, unavailable=True
            )
        return self._accepted(outcome)

    async def received_page(self, tracking_id: str) -> Response:
        """The confirmation: only the tracking ID and what happens next (no personal data)."""
        found = _normalise_tracking_id(tracking_id)
        try:
            status = None if found is None else await self.service.public_status(tracking_id=found)
        except Unavailable:
            return self._problem(503, "unavailable")
        if status is None:
            return self._problem(404, "unknown", asked=tracking_id[:40])
        return self.pages.render(
            "diterima.html",
            tracking_id=status.tracking_id,
            verification_days=self.verification_days,
            follow_up_days=self.follow_up_days,
        )

    # --- public status -------------------------------------------------------------------
    async def check_page(self, request: Request) -> Response:
        """The cek form; `?id=` goes to that complaint's status page."""
        asked = request.query_params.get("id")
        if asked is None:
            return self.pages.render("cek.html", asked="", error=None)
        tracking_id = _normalise_tracking_id(asked)
        if tracking_id is None:
            error = "Nomor pelacakan tidak valid. Contoh yang benar: LPR-261128-7QK2M."
            return self.pages.render("cek.html", status_code=422, asked=asked[:40], error=error)
        return RedirectResponse(f"/cek/{tracking_id}", status_code=303)

    async def status_page(self, tracking_id: str) -> Response:
        """What anyone may see of a complaint (only the status if rahasia)."""
        found = _normalise_tracking_id(tracking_id)
        try:
            status = None if found is None else await self.service.public_status(tracking_id=found)
        except Unavailable:
            return self._problem(503, "unavailable")
        if status is None:
            return self._problem(404, "unknown", asked=tracking_id[:40])
        deadlines = [
            (STAGE_LABELS.get(stage, str(stage)), due) for stage, due in status.deadlines.items()
        ]
        return self.pages.render("status.html", status=status, deadlines=deadlines)

    async def static_file(self, name: str) -> Response:
        """A file of the pages' CSS and JS."""
        return self.pages.static.response(name) or self._problem(404, "not_found")

    # --- helpers -------------------------------------------------------------------------
    @property
    def _max_part(self) -> int:
        return max(64 * 1024, self.max_text_chars * 4 + 1024)

    def _secure(self, request: Request) -> bool:
        return self.https_only or request.url.scheme == "https"

    def _form(
        self,
        data: FormInput,
        *,
        browser_id: str,
        errors: dict[str, str] | None = None,
        photo_dropped: bool = False,
        unavailable: bool = False,
    ) -> Response:
        return self.pages.render(
            "form.html",
            # A form page may go back into the browser's history (back + resubmit must
            # send the same nonce), but never into a shared cache.
            cache="private, no-cache",
            status_code=503 if unavailable else 422 if errors else 200,
            form=data,
            errors=errors or {},
            unavailable=unavailable,
            photo_dropped=photo_dropped,
            csrf_token=self.csrf.token(browser_id=browser_id, nonce=data.nonce),
            wilayah=self.wilayah,
            max_text_chars=self.max_text_chars,
            max_photo_bytes=self.max_photo_bytes,
            max_photo_mb=_megabytes(self.max_photo_bytes),
        )

    def _problem(self, status_code: int, reason: str, **context: Any) -> Response:
        return self.pages.render(
            "masalah.html", status_code=status_code, reason=reason, **{"asked": "", **context}
        )

    async def _read(self, request: Request) -> tuple[FormInput, bytes] | None:
        """The posted fields and the photo's bytes (b"" if none); None if unreadable."""
        try:
            async with request.form(
                max_files=1, max_fields=20, max_part_size=self._max_part
            ) as form:
                upload = form.get("foto")
                photo = b""
                if isinstance(upload, UploadFile):
                    photo = await upload.read(self.max_photo_bytes + 1)
                return FormInput.from_form(form), photo
        except (HTTPException, MultiPartException):
            return None

    async def _check(
        self, data: FormInput, upload: bytes
    ) -> tuple[CleanForm | None, Photo | None, dict[str, str]]:
        """The clean form and photo, and an Indonesian message per field in error."""
        clean, errors = validate_form(
            data,
            wilayah=self.wilayah,
            max_text_chars=self.max_text_chars,
            phone_region=self.phone_region,
        )
        if not upload:
            return clean, None, errors
        try:
            photo = await asyncio.to_thread(inspect_photo, upload, max_bytes=self.max_photo_bytes)
        except PhotoRejected as rejected:
            log.info("photo refused", extra={"reason": rejected.code, "bytes": len(upload)})
            message = PHOTO_MESSAGES[rejected.code]
            errors = {**errors, "foto": message.format(max_mb=_megabytes(self.max_photo_bytes))}
            return clean, None, ordered_errors(errors)
        return clean, photo, errors

    def _accepted(self, outcome: Outcome) -> Response:
        if outcome.tracking_id is None:
            return self._problem(409, "in_progress")
        log.info(
            "web form submission",
            extra={"tracking_id": outcome.tracking_id, "outcome": outcome.kind},
        )
        return RedirectResponse(f"/lapor/diterima/{outcome.tracking_id}", status_code=303)

    async def _receive(self, clean: CleanForm, photo: Photo | None, *, nonce: str) -> Outcome:
        source_key = f"web:{nonce}"

        async def interpret() -> Intent:
            # The photo is stored only for a new complaint, so a resubmitted form (same
            # nonce) leaves no second copy behind.
            attachments = () if photo is None else (await self._save(photo),)
            return NewComplaint(_submission(clean, source_key, attachments))

        return await self.service.receive(
            source_key=source_key,
            channel=Channel.WEB,
            payload=_payload(clean, photo),
            interpret=interpret,
        )

    async def _save(self, photo: Photo) -> Attachment:
        return await self.attachments.save(
            data=photo.data, content_type=photo.content_type, filename=f"foto.{photo.extension}"
        )


def _submission(
    clean: CleanForm, source_key: str, attachments: tuple[Attachment, ...]
) -> Submission:
    return Submission(
        channel=Channel.WEB,
        source_key=source_key,
        text=clean.text,
        title=clean.title,
        location=clean.location,
        kecamatan=clean.kecamatan,
        desa=clean.desa,
        reporter=Reporter(name=clean.name, email=clean.email, phone=clean.phone),
        anonymous=clean.anonymous,
        confidential=clean.confidential,
        attachments=attachments,
    )


def _payload(clean: CleanForm, photo: Photo | None) -> dict[str, Any]:
    """The raw record of the post: the fields, and the photo by digest (never its bytes)."""
    photo_ref = None
    if photo is not None:
        photo_ref = {
            "sha256": hashlib.sha256(photo.data).hexdigest(),
            "content_type": photo.content_type,
            "size": len(photo.data),
            "width": photo.width,
            "height": photo.height,
        }
    return {
        "text": clean.text,
        "title": clean.title,
        "kecamatan": clean.kecamatan,
        "desa": clean.desa,
        "location": clean.location,
        "name": clean.name,
        "email": clean.email,
        "phone": clean.phone,
        "anonymous": clean.anonymous,
        "confidential": clean.confidential,
        "photo": photo_ref,
    }


def problem_page_html(reason: str, *, max_photo_bytes: int) -> str:
    """A whole Indonesian error page for middleware answers to the form.

    `reason`: "too_large" (413) or "too_many" (429). For a body-size or rate limit that
    answers before the router runs and wants to show the citizen a page rather than JSON.
    """
    pages = Pages.create(tz=ZoneInfo("UTC"), site_name=SITE_NAME)
    return pages.html(
        "masalah.html", reason=reason, asked="", max_photo_mb=_megabytes(max_photo_bytes)
    )


def build_web_router(
    service: IntakeService,
    *,
    attachments: AttachmentStore,
    settings: IntakeSettings,
    wilayah: Wilayah | None = None,
) -> APIRouter:
    """The web form's routes: `/`, `/lapor`, `/lapor/diterima/{id}`, `/cek`, `/static`."""
    web = WebForm(
        service=service,
        attachments=attachments,
        pages=Pages.create(tz=settings.tz, site_name=SITE_NAME),
        csrf=CsrfGuard(settings.secret_key.get_secret_value()),
        wilayah=wilayah or load_wilayah(),
        max_text_chars=settings.max_text_chars,
        max_photo_bytes=settings.max_photo_bytes,
        phone_region=settings.default_phone_region,
        https_only=settings.public_base_url.startswith("https://"),
        verification_days=int(getattr(settings, "verification_days", 3)),
        follow_up_days=int(getattr(settings, "follow_up_days", 5)),
    )
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/", web.form_page, methods=["GET"])
    router.add_api_route("/lapor", web.submit, methods=["POST"])
    router.add_api_route("/lapor/diterima/{tracking_id}", web.received_page, methods=["GET"])
    router.add_api_route("/cek", web.check_page, methods=["GET"])
    router.add_api_route("/cek/{tracking_id}", web.status_page, methods=["GET"])
    router.add_api_route("/static/{name}", web.static_file, methods=["GET"])
    return router
