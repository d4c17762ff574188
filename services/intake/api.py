"""Intake's JSON API: thin translation between HTTP and the use cases."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.intake.model import Submission, clean_text, normalise_phone, normalise_typed_email
from services.intake.service import IntakeService
from services.intake.tracking import TRACKING_ID_PATTERN
from services.intake.views import PublicStatus
from shared.contracts.types import Channel
from shared.store.complaints import Reporter

__all__ = ["ComplaintAccepted", "ComplaintIn", "build_api"]

_TRACKING_ID = TRACKING_ID_PATTERN.pattern


class ComplaintIn(BaseModel):
    """A complaint as the JSON API accepts it; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(description="Isi laporan", max_length=20000)
    title: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    location: str | None = Field(default=None, max_length=300)
    kecamatan: str | None = Field(default=None, max_length=100)
    desa: str | None = Field(default=None, max_length=100)
    anonymous: bool = False
    confidential: bool = False

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        value = clean_text(value)
        if not value:
            raise ValueError("Isi laporan wajib diisi")
        if len(value) < 10:
            raise ValueError("Isi laporan terlalu pendek (minimal 10 karakter)")
        return value

    @field_validator("title", "name", "location", "kecamatan", "desa")
    @classmethod
    def _optional_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return clean_text(value).replace("\n", " ") or None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        email = normalise_typed_email(value)
        if email is None:
            raise ValueError("Alamat email tidak valid")
        return email

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        digits = sum(ch.isdigit() for ch in value)
        if digits < 6:
            raise ValueError("Nomor HP tidak valid")
        return normalise_phone(value)

    def to_submission(self, *, source_key: str) -> Submission:
        """The normalised web complaint."""
        return Submission(
            channel=Channel.WEB,
            source_key=source_key,
            text=self.text,
            title=self.title,
            location=self.location,
            kecamatan=self.kecamatan,
            desa=self.desa,
            reporter=Reporter(name=self.name, email=self.email, phone=self.phone),
            anonymous=self.anonymous,
            confidential=self.confidential,
        )


class ComplaintAccepted(BaseModel):
    """The answer to an accepted complaint."""

    tracking_id: str
    status_url: str


def build_api(service: IntakeService, *, public_base_url: str, max_text_chars: int) -> APIRouter:
    """The `/api/v1` routes bound to intake's use cases."""
    router = APIRouter(prefix="/api/v1", tags=["complaints"])

    def get_service() -> IntakeService:
        return service

    Service = Annotated[IntakeService, Depends(get_service)]

    @router.post(
        "/complaints",
        status_code=201,
        response_model=ComplaintAccepted,
        responses={
            200: {
                "model": ComplaintAccepted,
                "description": "Seen before (same Idempotency-Key): the original tracking ID",
            }
        },
    )
    async def submit_complaint(
        body: ComplaintIn,
        svc: Service,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> ComplaintAccepted:
        """Accept a complaint; answers with its tracking ID (the same one for a repeat)."""
        if len(body.text) > max_text_chars:
            raise RequestValidationError(
                [
                    {
                        "loc": ("body", "text"),
                        "type": "too_long",
                        "msg": f"Isi laporan terlalu panjang (maksimal {max_text_chars} karakter)",
                    }
                ]
            )
        source_key = f"web:{idempotency_key or uuid.uuid4().hex}"
        # Validated already, and stored whole: the complaint is its own raw record, unique on
        # its source key (a repeated Idempotency-Key finds it), so no `inbound` item first.
        result = await svc.submit(submission=body.to_submission(source_key=source_key))
        if result.duplicate:
            response.status_code = 200
        return ComplaintAccepted(
            tracking_id=result.tracking_id,
            status_url=f"{public_base_url.rstrip('/')}/api/v1/complaints/{result.tracking_id}",
        )

    @router.get("/complaints/{tracking_id}", response_model=PublicStatus)
    async def complaint_status(tracking_id: str, svc: Service) -> PublicStatus:
        """A complaint's public status."""
        tracking_id = tracking_id.strip().upper()
        if not TRACKING_ID_PATTERN.fullmatch(tracking_id):
            raise HTTPException(404, detail="Nomor pelacakan tidak dikenal")
        status = await svc.public_status(tracking_id=tracking_id)
        if status is None:
            raise HTTPException(404, detail="Nomor pelacakan tidak dikenal")
        return status

    return router
