"""What an inbound SMS or email means, decided before anything is stored beyond the raw item."""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.model import Submission

__all__ = ["FollowUp", "Ignore", "Intent", "Invalid", "NewComplaint", "Rating", "StatusRequest"]


@dataclass(frozen=True)
class NewComplaint:
    """A complaint to accept."""

    submission: Submission


@dataclass(frozen=True)
class FollowUp:
    """The reporter writes again about a complaint of theirs."""

    tracking_id: str
    text: str


@dataclass(frozen=True)
class Rating:
    """`NILAI n`: the reporter's rating (the complaint may be implied).

    Only the reporter rates: the rating counts when this phone number or address reported
    the complaint (the ratings are published per OPD).
    """

    tracking_id: str | None
    score: int
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class StatusRequest:
    """`CEK <tracking ID>` by SMS: answer on the same number."""

    tracking_id: str | None
    reply_to: str


@dataclass(frozen=True)
class Ignore:
    """Not for us: an auto-reply, a bounce, our own mail, an empty message."""

    reason: str


@dataclass(frozen=True)
class Invalid:
    """Could not be understood: kept for a person to look at."""

    reason: str


Intent = NewComplaint | FollowUp | Rating | StatusRequest | Ignore | Invalid
