"""The operator and OPD staff API: bearer tokens in, use cases called, errors mapped."""

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.routing.auth import Principal, TokenBook
from services.routing.casework import CaseWork
from services.routing.ports import CaseNotFound, Forbidden, InvalidTransition, UnknownAgency
from services.routing.views import CaseSummary, CaseView

__all__ = ["build_staff_api", "install_staff_error_handlers"]

_bearer = HTTPBearer(auto_error=False, description="Token of the operator or of one OPD")


def _clean(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("Wajib diisi")
    return value


class DispositionIn(BaseModel):
    """Verify and dispose (also re-dispose)."""

    model_config = ConfigDict(extra="ignore")
    opd: str = Field(min_length=1, max_length=20)
    note: str | None = Field(default=None, max_length=2000)


class ReasonIn(BaseModel):
    """A reason, required (bukan wewenang, tunda, arsip)."""

    model_config = ConfigDict(extra="ignore")
    reason: str = Field(max_length=2000)

    @field_validator("reason")
    @classmethod
    def _required(cls, value: str) -> str:
        return _clean(value)


class ResponseIn(BaseModel):
    """The follow-up text the reporter will read."""

    model_config = ConfigDict(extra="ignore")
    text: str = Field(max_length=5000)

    @field_validator("text")
    @classmethod
    def _required(cls, value: str) -> str:
        return _clean(value)


class ResolveIn(BaseModel):
    """Closing words, optional."""

    model_config = ConfigDict(extra="ignore")
    text: str | None = Field(default=None, max_length=5000)


def build_staff_api(work: CaseWork, tokens: TokenBook) -> APIRouter:
    """Routes under `/api/v1` for operators and OPD staff."""
    router = APIRouter(prefix="/api/v1", tags=["staff"])

    def principal(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        found = tokens.authenticate(credentials.credentials) if credentials else None
        if found is None:
            raise HTTPException(
                401, "Token tidak valid atau tidak ada", headers={"WWW-Authenticate": "Bearer"}
            )
        return found

    Staff = Annotated[Principal, Depends(principal)]

    @router.get("/verification", response_model=list[CaseSummary])
    async def verification_queue(who: Staff) -> list[CaseSummary]:
        """Cases waiting for a human verifier, oldest first, then cases on hold (operator)."""
        return await work.verification_queue(principal=who)

    @router.get("/opd/{code}/assignments", response_model=list[CaseSummary])
    async def assignments(code: str, who: Staff) -> list[CaseSummary]:
        """An OPD's open cases with their deadlines, soonest first."""
        return await work.assignments(principal=who, opd=code.upper())

    @router.get("/cases/{tracking_id}", response_model=CaseView)
    async def case_detail(tracking_id: str, who: Staff) -> CaseView:
        """One case with its audited history."""
        return await work.case_detail(principal=who, tracking_id=tracking_id.upper())

    @router.post("/complaints/{tracking_id}/disposition", response_model=CaseView)
    async def dispose(tracking_id: str, body: DispositionIn, who: Staff) -> CaseView:
        """Verify and dispose, or re-dispose (operator)."""
        return await work.dispose(
            principal=who, tracking_id=tracking_id.upper(), opd=body.opd.upper(), note=body.note
        )

    @router.post("/complaints/{tracking_id}/reject", response_model=CaseView)
    async def reject(tracking_id: str, body: ReasonIn, who: Staff) -> CaseView:
        """Bukan wewenang: back to verification with the reason (OPD)."""
        return await work.reject(principal=who, tracking_id=tracking_id.upper(), reason=body.reason)

    @router.post("/complaints/{tracking_id}/responses", response_model=CaseView)
    async def respond(tracking_id: str, body: ResponseIn, who: Staff) -> CaseView:
        """Tindak lanjut; the reporter is told (OPD)."""
        return await work.respond(principal=who, tracking_id=tracking_id.upper(), text=body.text)

    @router.post("/complaints/{tracking_id}/resolve", response_model=CaseView)
    async def resolve(tracking_id: str, who: Staff, body: ResolveIn | None = None) -> CaseView:
        """Selesai (OPD or operator)."""
        text = body.text.strip() if body and body.text and body.text.strip() else None
        return await work.resolve(principal=who, tracking_id=tracking_id.upper(), text=text)

    @router.post("/complaints/{tracking_id}/hold", response_model=CaseView)
    async def hold(tracking_id: str, body: ReasonIn, who: Staff) -> CaseView:
        """Tunda, with a reason (operator)."""
        return await work.hold(principal=who, tracking_id=tracking_id.upper(), reason=body.reason)

    @router.post("/complaints/{tracking_id}/resume", response_model=CaseView)
    async def resume(tracking_id: str, who: Staff) -> CaseView:
        """End a hold (operator)."""
        return await work.resume(principal=who, tracking_id=tracking_id.upper())

    @router.post("/complaints/{tracking_id}/archive", response_model=CaseView)
    async def archive(tracking_id: str, body: ReasonIn, who: Staff) -> CaseView:
        """Arsip, with a reason (operator)."""
        return await work.archive(
            principal=who, tracking_id=tracking_id.upper(), reason=body.reason
        )

    return router


def install_staff_error_handlers(app: FastAPI) -> None:
    """404, 403, 409 (with the current state) and 422 for the staff API's errors."""

    @app.exception_handler(CaseNotFound)
    async def _not_found(request: Request, exc: CaseNotFound) -> JSONResponse:
        return JSONResponse({"detail": "Laporan tidak ditemukan"}, status_code=404)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse({"detail": "Tidak berwenang atas laporan ini"}, status_code=403)

    @app.exception_handler(InvalidTransition)
    async def _conflict(request: Request, exc: InvalidTransition) -> JSONResponse:
        return JSONResponse(
            {
                "detail": f"Tindakan tidak dapat dilakukan pada status {exc.status.value}",
                "status": exc.status.value,
                "action": exc.action,
            },
            status_code=409,
        )

    @app.exception_handler(UnknownAgency)
    async def _unknown(request: Request, exc: UnknownAgency) -> JSONResponse:
        return JSONResponse(
            {"detail": "Data tidak valid", "errors": {"opd": f"Kode OPD tidak dikenal: {exc}"}},
            status_code=422,
        )
