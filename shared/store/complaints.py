"""What the citizen sent: the `complaints` collection, written only by intake.

`_id` is the tracking ID. The document also carries intake's outbox (see `shared.outbox`).
Other services read it (routing for the text, notify for the reporter's contact details).
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts.types import Channel
from shared.mongo import Collection, Document

__all__ = ["Attachment", "ComplaintDocument", "Reporter", "load_complaint"]


class Reporter(BaseModel):
    """Who sent the complaint and how to reach them. Never leaves the store unfiltered."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    email: str | None = None
    phone: str | None = None


class Attachment(BaseModel):
    """A file the reporter sent (a photo), stored in the attachment store, never in a message."""

    model_config = ConfigDict(frozen=True)

    attachment_id: str
    content_type: str
    size: int
    filename: str | None = None


class ComplaintDocument(BaseModel):
    """The stored complaint as received."""

    model_config = ConfigDict(extra="ignore")

    tracking_id: str
    channel: Channel
    text: str
    title: str | None = None
    location: str | None = None
    kecamatan: str | None = None
    desa: str | None = None
    reporter: Reporter = Field(default_factory=Reporter)
    attachments: list[Attachment] = Field(default_factory=list)
    source_key: str
    anonymous: bool = False
    confidential: bool = False
    received_at: AwareDatetime

    def to_mongo(self, *, outbox: list[Document]) -> Document:
        """The insertable document, with its first outgoing events."""
        doc = self.model_dump(mode="python")
        doc["_id"] = self.tracking_id
        doc["outbox"] = outbox
        return doc


async def load_complaint(collection: Collection, tracking_id: str) -> ComplaintDocument | None:
    """The complaint with this tracking ID, or None."""
    doc = await collection.find_one({"_id": tracking_id}, {"outbox": 0})
    return None if doc is None else ComplaintDocument.model_validate(doc)
