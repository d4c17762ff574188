"""The human loop: verification, disposition, bukan wewenang, follow-up, resolution, hold.

Every action checks who may do it (403), whether the case's state allows it (409), records
who, when, what and why in the case history, and queues its events in the same write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.routing.assignment import SERVICE, assignment_events, status_for
from services.routing.auth import Principal, Role
from services.routing.metrics import RoutingMetrics
from services.routing.ports import (
    CaseNotFound,
    CaseStore,
    EventRelay,
    Forbidden,
    InvalidTransition,
    UnknownAgency,
)
from services.routing.views import CaseSummary, CaseView, case_summary, case_view
from shared.contracts.events import (
    CloseComplaint,
    ComplaintFollowUpReceived,
    ComplaintHeldForVerification,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
    Event,
)
from shared.contracts.types import RoutingMethod, Status
from shared.directory import Agency, Directory
from shared.locks import KeyedLock
from shared.messaging.topology import EVENTS
from shared.mongo import Document
from shared.outbox import outbox_entry
from shared.store.cases import CaseDocument, HistoryEntry
from shared.store.complaints import ComplaintDocument

__all__ = ["CaseWork"]

log = logging.getLogger(__name__)

OPEN_FOR_AGENCY = (Status.DIDISPOSISIKAN, Status.DITERUSKAN, Status.DITINDAKLANJUTI, Status.TUNDA)
_ASSIGNED = {Status.DIDISPOSISIKAN, Status.DITERUSKAN, Status.DITINDAKLANJUTI}
AUTO_CLOSE_NOTE = "Ditutup otomatis: tidak ada tanggapan pelapor atas tindak lanjut"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Change:
    """What an action does to a case."""

    status: Status
    note: str | None
    events: list[Event | Document] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    public: bool = True


@dataclass
class CaseWork:
    """Staff actions on cases."""

    store: CaseStore
    relay: EventRelay
    directory: Directory
    metrics: RoutingMetrics
    locks: KeyedLock
    tz: ZoneInfo
    status_url: Callable[[str], str]
    clock: Callable[[], datetime] = _utcnow

    # --- queries -------------------------------------------------------------------------
    async def verification_queue(self, *, principal: Principal) -> list[CaseSummary]:
        """What waits for the operator (operator only): cases to verify, oldest first, then
        cases on hold, which only the operator resumes; held before disposition, they are
        in no OPD's queue."""
        self._require_operator(principal)
        waiting = await self.store.list_cases(statuses=[Status.BELUM_TERVERIFIKASI])
        held = await self.store.list_cases(statuses=[Status.TUNDA])
        return await self._summaries([*waiting, *held])

    async def assignments(self, *, principal: Principal, opd: str) -> list[CaseSummary]:
        """An agency's open cases, ordered by their next deadline."""
        agency = self._agency(opd)
        if not principal.may_act_for(agency.code):
            raise Forbidden(f"{principal.name} may not see {agency.code}'s cases")
        cases = await self.store.list_cases(statuses=OPEN_FOR_AGENCY, opd=agency.code)
        summaries = await self._summaries(cases)
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(summaries, key=lambda s: s.next_deadline or far)

    async def case_detail(self, *, principal: Principal, tracking_id: str) -> CaseView:
        """One case as its handler sees it."""
        case = await self.store.load_case(tracking_id)
        if case is None:
            raise CaseNotFound(tracking_id)
        if not principal.may_act_for(case.opd):
            raise Forbidden(f"{principal.name} may not see {tracking_id}")
        return await self._view(tracking_id)

    async def _view(self, tracking_id: str) -> CaseView:
        case, complaint = await self._load(tracking_id)
        deadlines = (await self.store.deadlines_of([tracking_id])).get(tracking_id, {})
        return case_view(case, complaint, deadlines, self.directory, tz=self.tz, now=self.clock())

    # --- actions -------------------------------------------------------------------------
    async def dispose(
        self, *, principal: Principal, tracking_id: str, opd: str, note: str | None
    ) -> CaseView:
        """Verify and give the case to an agency, or move it to another (operator)."""
        self._require_operator(principal)
        agency = self._agency(opd)

        def change(case: CaseDocument, complaint: ComplaintDocument, now: datetime) -> _Change:
            events = assignment_events(
                complaint=complaint,
                agency=agency,
                method=RoutingMethod.OPERATOR,
                confidence=1.0,
                assigned_at=now,
                correlation_id=tracking_id,
                status_url=self.status_url(tracking_id),
                previous_opd=case.opd,
                note=note,
            )
            verb = "Diteruskan ke" if agency.external else "Didisposisikan ke"
            return _Change(
                status=status_for(agency),
                note=f"{verb} {agency.name}" + (f". Catatan: {note}" if note else ""),
                events=list(events),
                fields={"opd": agency.code},
            )

        allowed = {Status.BELUM_TERVERIFIKASI, *_ASSIGNED}
        view = await self._act(principal, tracking_id, "disposition", allowed, change, note)
        complaint = await self.store.load_complaint(tracking_id)
        if complaint is not None:
            await self.store.keep_label(
                tracking_id=tracking_id, text=complaint.text, opd=agency.code, at=self.clock()
            )
        self.metrics.routed.labels(opd=agency.code, method=RoutingMethod.OPERATOR.value).inc()
        return view

    async def reject(self, *, principal: Principal, tracking_id: str, reason: str) -> CaseView:
        """Bukan wewenang: the agency passes the case back to verification (OPD)."""
        if principal.role is not Role.OPD:
            raise Forbidden("only the assigned OPD can pass a case back")

        def change(case: CaseDocument, complaint: ComplaintDocument, now: datetime) -> _Change:
            held = ComplaintHeldForVerification(
                correlation_id=tracking_id,
                tracking_id=tracking_id,
                suggested_opd=None,
                confidence=0.0,
                reason="rejected_by_opd",
                rejected_by=case.opd,
                note=reason,
            )
            return _Change(
                status=Status.BELUM_TERVERIFIKASI,
                events=[held],
                fields={"opd": None},
                note=f"Bukan wewenang {case.opd}: {reason}",
                public=False,
            )

        allowed = {Status.DIDISPOSISIKAN, Status.DITERUSKAN}
        return await self._act(principal, tracking_id, "bukan_wewenang", allowed, change, reason)

    async def respond(self, *, principal: Principal, tracking_id: str, text: str) -> CaseView:
        """Tindak lanjut: the agency's answer, which the reporter is told (OPD)."""
        if principal.role is not Role.OPD:
            raise Forbidden("only the assigned OPD writes the follow-up")

        def change(case: CaseDocument, complaint: ComplaintDocument, now: datetime) -> _Change:
            agency = self._agency(case.opd or "")
            responded = ComplaintResponded(
                correlation_id=tracking_id,
                tracking_id=tracking_id,
                opd=agency.code,
                opd_name=agency.name,
                response=text,
                responded_at=now,
            )
            return _Change(
                status=Status.DITINDAKLANJUTI,
                note=text,
                events=[responded],
                fields={"responses": case.responses + 1},
            )

        return await self._act(principal, tracking_id, "tindak_lanjut", _ASSIGNED, change, text)

    async def resolve(
        self, *, principal: Principal, tracking_id: str, text: str | None
    ) -> CaseView:
        """Selesai (the assigned OPD or the operator)."""

        def change(case: CaseDocument, complaint: ComplaintDocument, now: datetime) -> _Change:
            agency = self.directory.get(case.opd) if case.opd else None
            resolved = ComplaintResolved(
                correlation_id=tracking_id,
                tracking_id=tracking_id,
                opd=agency.code if agency else None,
                opd_name=agency.name if agency else None,
                text=text,
                resolved_by=principal.name,
                resolved_at=now,
            )
            return _Change(status=Status.SELESAI, note=text or "Laporan selesai", events=[resolved])

        return await self._act(principal, tracking_id, "selesai", _ASSIGNED, change, text)

    async def hold(self, *, principal: Principal, tracking_id: str, reason: str) -> CaseView:
        """Tunda: pause the case, and its clocks, with a reason (operator)."""
        self._require_operator(principal)

        def change(case: CaseDocument, complaint: ComplaintDocument, now: datetime) -> _Change:
            return _Change(
                status=Status.TUNDA,
                note=reason,
                events=[self._status_changed(case, Status.TUNDA, reason, now)],
                fields={"status_before_hold": case.status.value},
            )

        allowed = {Status.BELUM_TERVERIFIKASI, *_ASSIGNED}
        return await self._act(principal, tracking_id, "tunda", allowed, change, reason)

    async def resume(self, *, principal: Principal, tracking_id: str) -> CaseView:
        """End a hold: the case returns to where it was (operator)."""
        self._require_operator(principal)

        def change(case: CaseDocument, complaint: ComplaintDocument, now: datetime) -> _Change:
            back = case.status_before_hold or Status.BELUM_TERVERIFIKASI
            return _Change(
                status=back,
                note="Dilanjutkan",
                events=[self._status_changed(case, back, None, now)],
                fields={"status_before_hold": None},
            )

        return await self._act(principal, tracking_id, "lanjut", {Status.TUNDA}, change, None)

    async def archive(self, *, principal: Principal, tracking_id: str, reason: str) -> CaseView:
        """Arsip: close without action (not a complaint, duplicate, ...) (operator)."""
        self._require_operator(principal)

        def change(case: CaseDocument, complaint: ComplaintDocument, now: datetime) -> _Change:
            return _Change(
                status=Status.ARSIP,
                note=reason,
                events=[self._status_changed(case, Status.ARSIP, reason, now)],
            )

        allowed = {Status.BELUM_TERVERIFIKASI, Status.TUNDA, Status.SELESAI}
        return await self._act(principal, tracking_id, "arsip", allowed, change, reason)

    async def note_reporter_reply(self, *, event: ComplaintFollowUpReceived) -> None:
        """The reporter wrote again: the reply joins the case's history for its handlers."""
        async with self.locks.hold(event.tracking_id):
            case = await self.store.load_case(event.tracking_id)
            if case is None:
                raise CaseNotFound(event.tracking_id)
            if any(
                h.action == "tanggapan_pelapor" and h.at == event.received_at for h in case.history
            ):
                return  # redelivered
            await self.store.change_case(
                tracking_id=event.tracking_id,
                expect_status=case.status,
                set_fields={},
                history=HistoryEntry(
                    at=event.received_at,
                    status=case.status,
                    actor="pelapor",
                    action="tanggapan_pelapor",
                    note=event.text,
                    public=False,
                ),
                outbox=[],
            )

    async def close_unanswered(self, *, command: CloseComplaint) -> None:
        """Auto-close: a follow-up the reporter did not answer in time (from sla)."""
        system = Principal(role=Role.OPERATOR)

        def change(case: CaseDocument, complaint: ComplaintDocument, now: datetime) -> _Change:
            agency = self.directory.get(case.opd) if case.opd else None
            resolved = ComplaintResolved(
                correlation_id=tracking_id,
                tracking_id=tracking_id,
                opd=agency.code if agency else None,
                opd_name=agency.name if agency else None,
                text=None,
                resolved_by="system:auto_close",
                resolved_at=now,
            )
            return _Change(status=Status.SELESAI, note=AUTO_CLOSE_NOTE, events=[resolved])

        tracking_id = command.tracking_id
        try:
            await self._act(
                system,
                tracking_id,
                "auto_close",
                {Status.DITINDAKLANJUTI},
                change,
                command.reason,
                actor="system:auto_close",
            )
        except InvalidTransition as exc:  # the reporter answered, or staff acted: nothing to do
            log.info(
                "auto-close skipped", extra={"tracking_id": tracking_id, "status": exc.status.value}
            )

    # --- machinery -----------------------------------------------------------------------
    async def _act(
        self,
        principal: Principal,
        tracking_id: str,
        action: str,
        allowed: Collection[Status],
        change: Callable[[CaseDocument, ComplaintDocument, datetime], _Change],
        why: str | None,
        *,
        actor: str | None = None,
    ) -> CaseView:
        async with self.locks.hold(tracking_id):
            case, complaint = await self._load(tracking_id)
            if not principal.may_act_for(case.opd):
                raise Forbidden(f"{principal.name} may not act on {tracking_id}")
            if case.status not in allowed:
                raise InvalidTransition(action=action, status=case.status)
            now = self.clock()
            result = change(case, complaint, now)
            outbox = [
                e
                if isinstance(e, dict)
                else outbox_entry(publisher=SERVICE, exchange=EVENTS, event=e)
                for e in result.events
            ]
            history = HistoryEntry(
                at=now,
                status=result.status,
                actor=principal.name,
                action=action,
                note=result.note,
                public=result.public,
            )
            changed = await self.store.change_case(
                tracking_id=tracking_id,
                expect_status=case.status,
                set_fields={"status": result.status.value, **result.fields},
                history=history,
                outbox=outbox,
            )
            if not changed:  # only possible if another process wrote the case meanwhile
                current = await self.store.load_case(tracking_id)
                raise InvalidTransition(
                    action=action, status=current.status if current else case.status
                )
        log.info(
            "case action",
            extra={
                "tracking_id": tracking_id,
                "action": action,
                "actor": principal.name,
                "has_reason": why is not None,
            },
        )
        await self.relay.flush(tracking_id)
        return await self._view(tracking_id)  # the actor sees the outcome of its own action

    def _status_changed(
        self, case: CaseDocument, status: Status, reason: str | None, now: datetime
    ) -> ComplaintStatusChanged:
        return ComplaintStatusChanged(
            correlation_id=case.tracking_id,
            tracking_id=case.tracking_id,
            status=status,
            previous_status=case.status,
            reason=reason,
            changed_at=now,
        )

    async def _load(self, tracking_id: str) -> tuple[CaseDocument, ComplaintDocument]:
        case = await self.store.load_case(tracking_id)
        complaint = await self.store.load_complaint(tracking_id) if case else None
        if case is None or complaint is None:
            raise CaseNotFound(tracking_id)
        return case, complaint

    async def _summaries(self, cases: list[CaseDocument]) -> list[CaseSummary]:
        deadlines = await self.store.deadlines_of([c.tracking_id for c in cases])
        now = self.clock()
        return [
            case_summary(c, deadlines.get(c.tracking_id, {}), self.directory, tz=self.tz, now=now)
            for c in cases
        ]

    def _agency(self, code: str) -> Agency:
        agency = self.directory.get(code)
        if agency is None:
            raise UnknownAgency(code)
        return agency

    @staticmethod
    def _require_operator(principal: Principal) -> None:
        if principal.role is not Role.OPERATOR:
            raise Forbidden("only the Admin Koordinator may do this")
