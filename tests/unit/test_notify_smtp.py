"""The SMTP adapter against a real SMTP server (aiosmtpd): final and passing refusals."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from services.notify.adapters.smtp import SmtpMailer
from services.notify.messages import OutgoingMail
from services.notify.ports import DeliveryFailed, DeliveryRefused
from services.notify.settings import NotifySettings


class Picky:
    """Takes mail for everyone but `hilang@` (550, no such user) and `penuh@` (452, full)."""

    def __init__(self) -> None:
        self.delivered: list[bytes] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("hilang@"):
            return "550 5.1.1 No such user"
        if address.startswith("penuh@"):
            return "452 4.2.2 Mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.delivered.append(envelope.content)
        return "250 OK"


@pytest.fixture
def server() -> Iterator[tuple[Picky, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Picky()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _mail(to: str) -> OutgoingMail:
    return OutgoingMail(
        sender="pengaduan@lapor.test",
        recipients=(to,),
        message_id="<x@lapor.test>",
        data=b"From: pengaduan@lapor.test\r\nTo: " + to.encode() + b"\r\nSubject: s\r\n\r\nisi\r\n",
    )


async def test_a_permanent_refusal_is_final_a_temporary_one_is_retried_the_next_goes_out(
    server: tuple[Picky, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = server
    monkeypatch.setenv("LAPOR_SMTP_PORT", str(port))
    mailer = SmtpMailer(NotifySettings())
    with pytest.raises(DeliveryRefused, match="550"):
        await mailer.send(_mail("hilang@lapor.test"))
    with pytest.raises(DeliveryFailed) as temporary:
        await mailer.send(_mail("penuh@lapor.test"))
    assert not isinstance(temporary.value, DeliveryRefused)
    await mailer.send(_mail("warga@lapor.test"))
    await mailer.send(_mail("warga@lapor.test"))  # on the kept connection
    await mailer.close()
    assert len(handler.delivered) == 2
